// Test support: reading the daemon's Prometheus endpoint
// (--metrics-bind-addr) over loopback.
#pragma once

#include <string>

namespace cri_dockerd::testing_support {

// A loopback port nothing listens on right now.
int FreePort();

// One HTTP exchange with 127.0.0.1:port (the whole reply, head and body);
// "" if it cannot connect.
std::string HttpGet(int port, const std::string& path);

// The first answer of 127.0.0.1:port/metrics. The daemon opens the
// metrics endpoint just after the CRI socket StartCriDaemon waits for, so
// the first attempts may find nothing listening yet.
std::string FirstScrape(int port);

// The sum of every cri_dockerd_docker_requests_total sample in a scrape:
// the docker Engine API requests the daemon made so far.
double DockerRequests(const std::string& scrape);

}  // namespace cri_dockerd::testing_support
