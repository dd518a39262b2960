// Reading the small text files of procfs and cgroupfs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::stats {

// The whole file. NotFound if it does not exist (a process or cgroup
// that went away); other failures keep errno's text.
absl::StatusOr<std::string> ReadProcFile(const std::string& path);

// A file holding one unsigned number. InvalidArgument if it holds
// something else.
absl::StatusOr<uint64_t> ReadUint(const std::string& path);

// The "key value" lines of a file (memory.stat, cpu.stat, ...); lines
// that are not a key and one unsigned number are skipped. Empty if the
// file cannot be read.
std::map<std::string, uint64_t> ReadKeyedFile(const std::string& path);

// Parses "<number>" or, when `max_word` is true, "max" (-> UINT64_MAX).
bool ParseUint(absl::string_view text, uint64_t* out, bool max_word = false);

// cgroup v1 reports "no limit" as the largest page-aligned long
// (9223372036854771712); anything this large means unlimited.
inline constexpr uint64_t kUnlimitedAbove = uint64_t{1} << 62;

// ReadUint, with an unreadable file as nullopt.
std::optional<uint64_t> ReadOptionalUint(const std::string& path);

// The value of `key` in a ReadKeyedFile map, if present.
std::optional<uint64_t> KeyedValue(const std::map<std::string, uint64_t>& m,
                                   const std::string& key);

}  // namespace cri_dockerd::stats
