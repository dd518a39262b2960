// Pod sandbox checkpoints: the JSON record the shim keeps on disk for each
// sandbox (pod name/namespace, host port mappings, host-network flag) so it
// can tear a pod's network down after a restart, and the checksum that guards
// it. The format is byte-compatible with the Go cri-dockerd's
// core.PodSandboxCheckpoint, so either shim reads the other's files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::store {

// The only schema version either shim writes.
inline constexpr char kCheckpointVersion[] = "v1";

// One host port mapping. The Go type has pointer fields, and a missing
// (nil) value prints differently from zero in the checksum, so the optionals
// are kept as read; the Go writer always sets all three.
struct CheckpointPortMapping {
  std::optional<std::string> protocol;  // "tcp", "udp" or "sctp"
  std::optional<int32_t> container_port;
  std::optional<int32_t> host_port;
  std::string host_ip;  // empty: all addresses

  bool operator==(const CheckpointPortMapping&) const = default;
};

struct SandboxCheckpoint {
  std::string name;  // pod name
  std::string ns;    // pod namespace
  std::vector<CheckpointPortMapping> port_mappings;
  bool host_network = false;
  // Only meaningful when port_mappings is empty. Go tells a nil slice (field
  // absent or null; what its writer produces) from an empty one
  // ("port_mappings":[] in a file), and the two checksums differ. Setting
  // this to false makes EncodeCheckpoint write "port_mappings":[].
  bool port_mappings_null = true;

  // Equal as Go values: port_mappings_null only counts when the list is
  // empty.
  bool operator==(const SandboxCheckpoint& other) const;
};

// Returns the checkpoint file contents: compact JSON, byte-identical to what
// the Go shim writes for the same values, including "version":"v1" and the
// checksum. Invalid UTF-8 in strings is written as U+FFFD, as Go does (the
// checksum is computed over the repaired values so the file reads back).
std::string EncodeCheckpoint(const SandboxCheckpoint& checkpoint);

// Parses a checkpoint file written by either shim and verifies its checksum.
// Returns DataLoss, with a message saying what is wrong, when the text is not
// a JSON object, a field has the wrong JSON type or range, "data" is missing,
// the version is not "v1", or the checksum does not match. Unknown fields are
// ignored, like Go's encoding/json does.
absl::StatusOr<SandboxCheckpoint> DecodeCheckpoint(absl::string_view json);

// Go's checksum of the checkpoint's data part (name/namespace are not
// covered): FNV-1a 32 over SpewCheckpointData(), widened to 64 bits.
uint64_t CheckpointChecksum(const SandboxCheckpoint& checkpoint);

// The exact text go-spew prints for the Go core.CheckpointData value (see the
// .cc for the format). Exposed for tests.
std::string SpewCheckpointData(const SandboxCheckpoint& checkpoint);

}  // namespace cri_dockerd::store
