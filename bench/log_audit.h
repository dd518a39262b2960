// Reading back what the density benchmark's containers wrote: each prints
// a counter ("0", "1", ...) one line at a time. Docker keeps its json-file
// log; the shim copies the lines into the CRI log file. These functions
// tell how far docker's log goes and check the CRI copy against it: no
// value missing (lost), none written twice (repeated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cri_dockerd::bench {

// Docker's json-file log of a container: `log_path` (LogPath of
// GET /containers/{id}/json) and the rotated files beside it
// (`log_path`.1, .2, ...) that exist.
std::vector<std::string> DockerLogFiles(const std::string& log_path);

// Total size in bytes of the files at `paths` (missing ones count 0).
uint64_t FileBytes(const std::vector<std::string>& paths);

// The largest counter value in docker's json-file logs `files` (entries
// like {"log":"42\n",...}); -1 if there is none.
int64_t LastDockerCounter(const std::vector<std::string>& files);

// A CRI log file checked against the counter sequence 0..upto.
struct CriLogAudit {
  int64_t lines = 0;           // lines in the file
  int64_t garbled = 0;         // lines that are no "<time> <stream> F <n>"
  int64_t max_value = -1;      // the largest counter value seen
  int64_t lost = 0;            // values in 0..upto not in the file
  int64_t repeated = 0;        // extra copies of values in 0..upto
  uint64_t content_bytes = 0;  // the output itself: content + '\n' per line
  uint64_t file_bytes = 0;     // the file's size
};

// Reads the CRI log at `path`; `upto` < 0 checks no sequence (lost and
// repeated stay 0).
CriLogAudit AuditCriLog(const std::string& path, int64_t upto);

}  // namespace cri_dockerd::bench
