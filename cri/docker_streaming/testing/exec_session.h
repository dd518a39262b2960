// Test support for the exec-kill path: processes started the way runc
// starts exec processes (each the leader of a session of its own), and a
// count of a session's live processes from /proc.
#pragma once

#include <dirent.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern char** environ;

namespace cri_dockerd::testing_util {

// Starts `argv` in a session of its own, like runc starts exec processes.
inline pid_t Spawn(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), environ),
            0);
  posix_spawnattr_destroy(&attr);
  return pid;
}

// Processes of session `sid` that have not exited (zombies aside).
inline int LiveInSession(pid_t sid) {
  int n = 0;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return -1;
  while (const dirent* e = readdir(dir)) {
    if (!std::all_of(e->d_name, e->d_name + strlen(e->d_name),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(text.substr(paren + 1));
    std::string state;
    long ppid = 0, pgrp = 0, session = 0;
    fields >> state >> ppid >> pgrp >> session;
    if (session == sid && state != "Z") ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace cri_dockerd::testing_util
