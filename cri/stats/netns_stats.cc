#include "cri/stats/netns_stats.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cri/stats/proc_file.h"

namespace cri_dockerd::stats {

std::vector<InterfaceStats> ParseNetDev(absl::string_view text) {
  std::vector<InterfaceStats> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    // "  eth0: 3272 50 0 0 0 0 0 0 42 1 0 0 0 0 0 0"; the name and the
    // first number may touch ("eth0:123456789") when numbers are wide.
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;  // the two headers
    const absl::string_view name =
        absl::StripAsciiWhitespace(line.substr(0, colon));
    std::vector<absl::string_view> f = absl::StrSplit(
        line.substr(colon + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    // rx: bytes packets errs drop fifo frame compressed multicast,
    // tx: bytes packets errs drop fifo colls carrier compressed.
    if (name.empty() || f.size() < 16) continue;
    InterfaceStats s;
    s.name = std::string(name);
    if (!absl::SimpleAtoi(f[0], &s.rx_bytes) ||
        !absl::SimpleAtoi(f[1], &s.rx_packets) ||
        !absl::SimpleAtoi(f[2], &s.rx_errors) ||
        !absl::SimpleAtoi(f[3], &s.rx_dropped) ||
        !absl::SimpleAtoi(f[8], &s.tx_bytes) ||
        !absl::SimpleAtoi(f[9], &s.tx_packets) ||
        !absl::SimpleAtoi(f[10], &s.tx_errors) ||
        !absl::SimpleAtoi(f[11], &s.tx_dropped)) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<InterfaceStats>> ReadNetnsInterfaces(
    const std::string& proc_root, int pid) {
  if (pid <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no process (pid ", pid, ")"));
  }
  absl::StatusOr<std::string> text =
      ReadProcFile(absl::StrCat(proc_root, "/", pid, "/net/dev"));
  if (!text.ok()) return text.status();
  std::vector<InterfaceStats> all = ParseNetDev(*text);
  std::vector<InterfaceStats> out;
  for (InterfaceStats& s : all) {
    if (s.name != "lo") out.push_back(std::move(s));
  }
  return out;
}

}  // namespace cri_dockerd::stats
