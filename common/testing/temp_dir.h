// Test helper: a scratch directory, removed with its contents at
// destruction, with small helpers to write files into it.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace cri_dockerd::testing_util {

// A scratch directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/crid-unit-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    const std::string cmd = "rm -rf '" + path_ + "'";
    if (system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot remove " << path_;
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  // An executable stand-in for a CNI plugin binary.
  void MakeExecutable(const std::string& name) const {
    const std::string p = Write(name, "#!/bin/sh\n");
    chmod(p.c_str(), 0755);
  }

 private:
  std::string path_;
};

}  // namespace cri_dockerd::testing_util
