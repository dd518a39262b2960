#include "common/logging.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

#include "absl/strings/ascii.h"

namespace cri_dockerd {
namespace {
std::atomic<int> g_min_severity{static_cast<int>(LogSeverity::kInfo)};

char SeverityLetter(LogSeverity s) {
  switch (s) {
    case LogSeverity::kTrace:
    case LogSeverity::kDebug:
      return 'D';
    case LogSeverity::kInfo:
      return 'I';
    case LogSeverity::kWarning:
      return 'W';
    case LogSeverity::kError:
      return 'E';
  }
  return 'I';
}

const char* BaseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}
}  // namespace

void SetMinLogSeverity(LogSeverity severity) {
  g_min_severity.store(static_cast<int>(severity), std::memory_order_relaxed);
}

LogSeverity MinLogSeverity() {
  return static_cast<LogSeverity>(
      g_min_severity.load(std::memory_order_relaxed));
}

bool LogEnabled(LogSeverity severity) {
  return static_cast<int>(severity) >=
         g_min_severity.load(std::memory_order_relaxed);
}

bool ParseLogLevel(std::string_view text, LogSeverity* out) {
  const std::string level = absl::AsciiStrToLower(std::string(text));
  if (level == "trace") {
    *out = LogSeverity::kTrace;
  } else if (level == "debug") {
    *out = LogSeverity::kDebug;
  } else if (level == "info") {
    *out = LogSeverity::kInfo;
  } else if (level == "warn" || level == "warning") {
    *out = LogSeverity::kWarning;
  } else if (level == "error" || level == "fatal" || level == "panic") {
    *out = LogSeverity::kError;
  } else {
    return false;
  }
  return true;
}

namespace internal {
LogMessage::LogMessage(LogSeverity severity, const char* file, int line) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm local;
  localtime_r(&tv.tv_sec, &local);
  char prefix[64];
  std::snprintf(prefix, sizeof(prefix), "%c%02d%02d %02d:%02d:%02d.%06ld %7d ",
                SeverityLetter(severity), local.tm_mon + 1, local.tm_mday,
                local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<long>(tv.tv_usec), static_cast<int>(gettid()));
  stream_ << prefix << BaseName(file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << '\n';
  const std::string line = stream_.str();
  // One write per line keeps concurrent lines from interleaving.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}
}  // namespace internal
}  // namespace cri_dockerd
