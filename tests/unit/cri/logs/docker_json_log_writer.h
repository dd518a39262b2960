// Test helper: writes a container's json-file log the way dockerd does
// (one JSON object per line, "\n" in `log` only for a complete line) and
// rotates it the way docker's max-size/max-file rotation does: close,
// drop the oldest, rename ".k" -> ".k+1" from the oldest down, the file
// -> ".1", create a new file.
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cri_dockerd::testing_util {

class DockerJsonLogWriter {
 public:
  // Writes `dir`/`id`-json.log.
  DockerJsonLogWriter(const std::string& dir, const std::string& id)
      : path_(absl::StrCat(dir, "/", id, "-json.log")) {
    Open();
  }
  ~DockerJsonLogWriter() { Close(); }

  const std::string& path() const { return path_; }

  // One entry's line as docker writes it.
  static std::string Line(absl::Time t, const std::string& stream,
                          const std::string& text, bool partial = false) {
    std::string escaped;
    for (char c : text) {
      switch (c) {
        case '"':
          escaped += "\\\"";
          break;
        case '\\':
          escaped += "\\\\";
          break;
        case '\n':
          escaped += "\\n";
          break;
        case '\r':
          escaped += "\\r";
          break;
        case '\t':
          escaped += "\\u0009";
          break;
        case '<':
          escaped += "\\u003c";
          break;
        default:
          escaped += c;
      }
    }
    return absl::StrCat(
        "{\"log\":\"", escaped, partial ? "" : "\\n", "\",\"stream\":\"",
        stream, "\",\"time\":\"",
        absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone()),
        "\"}\n");
  }

  void Write(const std::string& bytes) {
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  void Entry(absl::Time t, const std::string& stream, const std::string& text,
             bool partial = false) {
    Write(Line(t, stream, text, partial));
  }

  // Docker's rotation with max-file `max_file`.
  void Rotate(int max_file) {
    Close();
    unlink(absl::StrCat(path_, ".", max_file - 1).c_str());
    for (int k = max_file - 2; k >= 1; --k) {
      rename(absl::StrCat(path_, ".", k).c_str(),
             absl::StrCat(path_, ".", k + 1).c_str());
    }
    if (max_file > 1) rename(path_.c_str(), (path_ + ".1").c_str());
    Open();
  }

  // Docker closing the log when the container stops.
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  void Open() {
    fd_ = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    ASSERT_GE(fd_, 0) << path_;
  }

  const std::string path_;
  int fd_ = -1;
};

}  // namespace cri_dockerd::testing_util
