// Stop signals: every CRI Signal value in the spelling docker accepts, and
// back from what docker's Config.StopSignal can hold.
#include "cri/convert/stop_signal.h"

#include <iterator>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

// The enum's names, since <signal.h> (which gtest includes) makes macros
// of most of them.
v1::Signal Sig(const std::string& name) {
  v1::Signal s = v1::RUNTIME_DEFAULT;
  EXPECT_TRUE(v1::Signal_Parse(name, &s)) << name;
  return s;
}

struct SignalCase {
  const char* cri;
  const char* docker;  // what docker is sent
  int number;          // Linux's number for it (docker's numbering)
};

// Every value of the enum, each with docker's name and Linux's number.
constexpr SignalCase kCases[] = {
    {"SIGABRT", "SIGABRT", 6},
    {"SIGALRM", "SIGALRM", 14},
    {"SIGBUS", "SIGBUS", 7},
    {"SIGCHLD", "SIGCHLD", 17},
    {"SIGCLD", "SIGCLD", 17},
    {"SIGCONT", "SIGCONT", 18},
    {"SIGFPE", "SIGFPE", 8},
    {"SIGHUP", "SIGHUP", 1},
    {"SIGILL", "SIGILL", 4},
    {"SIGINT", "SIGINT", 2},
    {"SIGIO", "SIGIO", 29},
    {"SIGIOT", "SIGIOT", 6},
    {"SIGKILL", "SIGKILL", 9},
    {"SIGPIPE", "SIGPIPE", 13},
    {"SIGPOLL", "SIGPOLL", 29},
    {"SIGPROF", "SIGPROF", 27},
    {"SIGPWR", "SIGPWR", 30},
    {"SIGQUIT", "SIGQUIT", 3},
    {"SIGSEGV", "SIGSEGV", 11},
    {"SIGSTKFLT", "SIGSTKFLT", 16},
    {"SIGSTOP", "SIGSTOP", 19},
    {"SIGSYS", "SIGSYS", 31},
    {"SIGTERM", "SIGTERM", 15},
    {"SIGTRAP", "SIGTRAP", 5},
    {"SIGTSTP", "SIGTSTP", 20},
    {"SIGTTIN", "SIGTTIN", 21},
    {"SIGTTOU", "SIGTTOU", 22},
    {"SIGURG", "SIGURG", 23},
    {"SIGUSR1", "SIGUSR1", 10},
    {"SIGUSR2", "SIGUSR2", 12},
    {"SIGVTALRM", "SIGVTALRM", 26},
    {"SIGWINCH", "SIGWINCH", 28},
    {"SIGXCPU", "SIGXCPU", 24},
    {"SIGXFSZ", "SIGXFSZ", 25},
    {"SIGRTMIN", "SIGRTMIN", 34},
    {"SIGRTMINPLUS1", "SIGRTMIN+1", 35},
    {"SIGRTMINPLUS2", "SIGRTMIN+2", 36},
    {"SIGRTMINPLUS3", "SIGRTMIN+3", 37},
    {"SIGRTMINPLUS4", "SIGRTMIN+4", 38},
    {"SIGRTMINPLUS5", "SIGRTMIN+5", 39},
    {"SIGRTMINPLUS6", "SIGRTMIN+6", 40},
    {"SIGRTMINPLUS7", "SIGRTMIN+7", 41},
    {"SIGRTMINPLUS8", "SIGRTMIN+8", 42},
    {"SIGRTMINPLUS9", "SIGRTMIN+9", 43},
    {"SIGRTMINPLUS10", "SIGRTMIN+10", 44},
    {"SIGRTMINPLUS11", "SIGRTMIN+11", 45},
    {"SIGRTMINPLUS12", "SIGRTMIN+12", 46},
    {"SIGRTMINPLUS13", "SIGRTMIN+13", 47},
    {"SIGRTMINPLUS14", "SIGRTMIN+14", 48},
    {"SIGRTMINPLUS15", "SIGRTMIN+15", 49},
    {"SIGRTMAXMINUS14", "SIGRTMAX-14", 50},
    {"SIGRTMAXMINUS13", "SIGRTMAX-13", 51},
    {"SIGRTMAXMINUS12", "SIGRTMAX-12", 52},
    {"SIGRTMAXMINUS11", "SIGRTMAX-11", 53},
    {"SIGRTMAXMINUS10", "SIGRTMAX-10", 54},
    {"SIGRTMAXMINUS9", "SIGRTMAX-9", 55},
    {"SIGRTMAXMINUS8", "SIGRTMAX-8", 56},
    {"SIGRTMAXMINUS7", "SIGRTMAX-7", 57},
    {"SIGRTMAXMINUS6", "SIGRTMAX-6", 58},
    {"SIGRTMAXMINUS5", "SIGRTMAX-5", 59},
    {"SIGRTMAXMINUS4", "SIGRTMAX-4", 60},
    {"SIGRTMAXMINUS3", "SIGRTMAX-3", 61},
    {"SIGRTMAXMINUS2", "SIGRTMAX-2", 62},
    {"SIGRTMAXMINUS1", "SIGRTMAX-1", 63},
    {"SIGRTMAX", "SIGRTMAX", 64},
};

// Aliases share a number; a number reads back as the usual name.
const std::map<std::string, std::string> kAliasOf = {
    {"SIGCLD", "SIGCHLD"},
    {"SIGIOT", "SIGABRT"},
    {"SIGPOLL", "SIGIO"},
};

TEST(StopSignalTest, TheTableCoversEveryEnumValue) {
  const auto* e = v1::Signal_descriptor();
  int covered = 0;
  for (int i = 0; i < e->value_count(); ++i) {
    const auto cri = static_cast<v1::Signal>(e->value(i)->number());
    if (cri == v1::RUNTIME_DEFAULT) continue;
    bool found = false;
    for (const SignalCase& c : kCases) found = found || Sig(c.cri) == cri;
    EXPECT_TRUE(found) << e->value(i)->name();
    ++covered;
  }
  EXPECT_EQ(covered, static_cast<int>(std::size(kCases)));
}

TEST(StopSignalTest, EverySignalInDockersSpellingAndBack) {
  for (const SignalCase& c : kCases) {
    SCOPED_TRACE(c.cri);
    const v1::Signal cri = Sig(c.cri);
    absl::StatusOr<std::string> docker = DockerStopSignal(cri);
    ASSERT_TRUE(docker.ok()) << docker.status();
    EXPECT_EQ(*docker, c.docker);
    EXPECT_EQ(CriStopSignal(*docker), cri);
    // As docker's Config may hold it: without "SIG", any case, a number.
    EXPECT_EQ(CriStopSignal(std::string(c.docker).substr(3)), cri);
    EXPECT_EQ(CriStopSignal(absl::AsciiStrToLower(c.docker)), cri);
    auto alias = kAliasOf.find(c.cri);
    EXPECT_EQ(CriStopSignal(std::to_string(c.number)),
              alias == kAliasOf.end() ? cri : Sig(alias->second));
  }
}

TEST(StopSignalTest, RuntimeDefaultLeavesItToDocker) {
  absl::StatusOr<std::string> docker = DockerStopSignal(v1::RUNTIME_DEFAULT);
  ASSERT_TRUE(docker.ok());
  EXPECT_EQ(*docker, "");
}

TEST(StopSignalTest, AValueOutsideTheEnumIsRefused) {
  absl::StatusOr<std::string> docker =
      DockerStopSignal(static_cast<v1::Signal>(99));
  EXPECT_EQ(docker.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(docker.status().message().find("99"), std::string::npos);
}

TEST(StopSignalTest, WhatCriCannotNameIsRuntimeDefault) {
  for (const char* s : {"", "SIG", "SIGNOPE", "0", "32", "33", "65", "-1",
                        "RTMIN+0", "RTMIN+16", "RTMAX-15", "RUNTIME_DEFAULT"}) {
    EXPECT_EQ(CriStopSignal(s), v1::RUNTIME_DEFAULT) << s;
  }
}

}  // namespace
}  // namespace cri_dockerd
