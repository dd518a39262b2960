// Logging facade: klog-style lines on stderr, e.g.
//   I1121 23:24:41.068123 server.cc:176] msg
// so journald users read it like kubelet's log. Use LOG(INFO) << ...;
// LOG(DEBUG) is for the polls kubelet makes every second.
#pragma once

#include <sstream>
#include <string_view>

namespace cri_dockerd {

enum class LogSeverity { kTrace = 0, kDebug, kInfo, kWarning, kError };

// Sets the lowest severity written. Thread-safe.
void SetMinLogSeverity(LogSeverity severity);
LogSeverity MinLogSeverity();
bool LogEnabled(LogSeverity severity);

// Parses a --log-level value (trace, debug, info, warn/warning, error,
// fatal, panic; the last two map to error). Returns false if unknown.
bool ParseLogLevel(std::string_view text, LogSeverity* out);

namespace internal {
// Accumulates one line and writes it atomically on destruction.
class LogMessage {
 public:
  LogMessage(LogSeverity severity, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets the LOG macro discard the stream expression when disabled.
struct Voidify {
  void operator&(std::ostream&) {}
};
}  // namespace internal
}  // namespace cri_dockerd

#define CRID_LOG_SEVERITY_TRACE ::cri_dockerd::LogSeverity::kTrace
#define CRID_LOG_SEVERITY_DEBUG ::cri_dockerd::LogSeverity::kDebug
#define CRID_LOG_SEVERITY_INFO ::cri_dockerd::LogSeverity::kInfo
#define CRID_LOG_SEVERITY_WARNING ::cri_dockerd::LogSeverity::kWarning
#define CRID_LOG_SEVERITY_ERROR ::cri_dockerd::LogSeverity::kError

#define LOG(severity)                                                         \
  !::cri_dockerd::LogEnabled(CRID_LOG_SEVERITY_##severity)                    \
      ? (void)0                                                               \
      : ::cri_dockerd::internal::Voidify() &                                  \
            ::cri_dockerd::internal::LogMessage(CRID_LOG_SEVERITY_##severity, \
                                                __FILE__, __LINE__)           \
                .stream()
