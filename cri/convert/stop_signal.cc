#include "cri/convert/stop_signal.h"

#include <array>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace cri_dockerd {
namespace {

// Linux's numbering (x86, arm, and the generic table), as docker's
// signal map has it.
constexpr std::array<const char*, 32> kStandardNames = {
    "",       "HUP",  "INT",    "QUIT", "ILL",   "TRAP", "ABRT", "BUS",
    "FPE",    "KILL", "USR1",   "SEGV", "USR2",  "PIPE", "ALRM", "TERM",
    "STKFLT", "CHLD", "CONT",   "STOP", "TSTP",  "TTIN", "TTOU", "URG",
    "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
// docker's SIGRTMIN and SIGRTMAX (glibc keeps 32 and 33 for itself).
constexpr int64_t kRtMin = 34;
constexpr int64_t kRtMax = 64;

// The name (without "SIG") docker gives signal number `n`; "" if none.
std::string NameOfNumber(int64_t n) {
  if (n > 0 && n < static_cast<int64_t>(kStandardNames.size())) {
    return kStandardNames[n];
  }
  if (n == kRtMin) return "RTMIN";
  if (n == kRtMax) return "RTMAX";
  // docker names 35..49 from RTMIN up and 50..63 from RTMAX down, as CRI.
  if (n > kRtMin && n <= kRtMin + 15) return absl::StrCat("RTMIN+", n - kRtMin);
  if (n > kRtMin + 15 && n < kRtMax) return absl::StrCat("RTMAX-", kRtMax - n);
  return "";
}

}  // namespace

absl::StatusOr<std::string> DockerStopSignal(v1::Signal signal) {
  if (!v1::Signal_IsValid(signal)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stop_signal ", static_cast<int>(signal),
                     " is not a CRI Signal value"));
  }
  if (signal == v1::RUNTIME_DEFAULT) return std::string();
  return absl::StrReplaceAll(v1::Signal_Name(signal),
                             {{"PLUS", "+"}, {"MINUS", "-"}});
}

v1::Signal DefaultStopSignal() { return v1::SIGTERM; }

v1::Signal CriStopSignal(absl::string_view docker) {
  std::string name = absl::AsciiStrToUpper(docker);
  if (int64_t n = 0; absl::SimpleAtoi(name, &n)) name = NameOfNumber(n);
  absl::string_view bare = name;
  absl::ConsumePrefix(&bare, "SIG");
  if (bare.empty()) return v1::RUNTIME_DEFAULT;
  const std::string cri = absl::StrCat(
      "SIG", absl::StrReplaceAll(bare, {{"+", "PLUS"}, {"-", "MINUS"}}));
  v1::Signal out = v1::RUNTIME_DEFAULT;
  if (!v1::Signal_Parse(cri, &out)) return v1::RUNTIME_DEFAULT;
  return out;
}

}  // namespace cri_dockerd
