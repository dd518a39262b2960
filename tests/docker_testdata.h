// Golden Docker Engine replies for tests: the files of
// tests/testdata/docker/ (crid_add_test gives every test the folder as
// CRID_TESTDATA_DIR).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace cri_dockerd::docker {

// The text of tests/testdata/docker/<name>.
inline std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(CRID_TESTDATA_DIR) + "/docker/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cri_dockerd::docker
