#include "cri/store/sandbox_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace cri_dockerd::store {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes
// there are not one (Go's utf8.DecodeRuneInString rules: no overlong forms,
// no surrogates, nothing above U+10FFFF).
size_t ValidRuneLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  const unsigned c = byte(i);
  if (c < 0x80) return 1;
  if (c < 0xC2 || c > 0xF4) return 0;
  const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  // The second byte's range is narrower after these lead bytes.
  const unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
  const unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Replaces each byte that is not part of valid UTF-8 with U+FFFD: what a
// string reads back as after Go's json.Marshal wrote it.
std::string RepairUtf8(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = ValidRuneLength(s, i);
    absl::StrAppend(&out, n == 0 ? "\xEF\xBF\xBD" : s.substr(i, n));
    i += std::max<size_t>(n, 1);
  }
  return out;
}

// Returns s as a JSON string the way Go's encoding/json (Go >= 1.22, with
// its default HTML escaping) writes it: \" \\ \b \f \n \r \t, other control
// bytes and < > & as \u00xx, U+2028/U+2029 escaped, each invalid UTF-8 byte
// as \ufffd, and everything else (DEL and non-ASCII too) verbatim.
std::string GoJsonString(absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr absl::string_view kShortEscaped = "\"\\\b\f\n\r\t";
  static constexpr absl::string_view kShortLetters = "\"\\bfnrt";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = ValidRuneLength(s, i);
    const absl::string_view rune = s.substr(i, std::max<size_t>(n, 1));
    i += rune.size();
    const size_t k = kShortEscaped.find(static_cast<char>(c));
    if (n == 0) {
      out += "\\ufffd";
    } else if (rune == "\xE2\x80\xA8" || rune == "\xE2\x80\xA9") {
      out += rune == "\xE2\x80\xA8" ? "\\u2028" : "\\u2029";
    } else if (c != 0 && k != absl::string_view::npos) {
      out += {'\\', kShortLetters[k]};
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
    } else {
      out.append(rune.data(), rune.size());
    }
  }
  return out + "\"";
}

uint32_t Fnv32a(absl::string_view data) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

// Decoding helpers. Like Go's encoding/json, a JSON null leaves a field at
// its zero value (nil for the pointer fields); any other wrong type fails.

absl::Status TypeError(absl::string_view field, absl::string_view want) {
  return absl::DataLossError(absl::StrCat("corrupt sandbox checkpoint: \"",
                                          field, "\" is not ", want));
}

// Finds a field the way Go matches JSON keys to struct fields: the exact
// name, else any ASCII-case variant (the smallest, to be deterministic).
const Value* Find(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end()) {
    const std::string* best = nullptr;
    for (const auto& [name, value] : s.fields()) {
      if (absl::EqualsIgnoreCase(name, key) && (!best || name < *best)) {
        best = &name;
      }
    }
    if (best == nullptr) return nullptr;
    it = s.fields().find(*best);
  }
  if (it->second.kind_case() == Value::kNullValue) return nullptr;
  return &it->second;
}

absl::Status GetString(const Struct& s, const std::string& key,
                       std::string* out) {
  const Value* v = Find(s, key);
  if (v == nullptr) return absl::OkStatus();
  if (v->kind_case() != Value::kStringValue) return TypeError(key, "a string");
  *out = v->string_value();
  return absl::OkStatus();
}

absl::Status GetString(const Struct& s, const std::string& key,
                       std::optional<std::string>* out) {
  if (Find(s, key) == nullptr) return absl::OkStatus();
  return GetString(s, key, &out->emplace());
}

// JSON numbers arrive as doubles; Go wants integers in the field's range.
bool IsIntegerIn(const Value& v, double lo, double hi) {
  const double d = v.number_value();
  return v.kind_case() == Value::kNumberValue && std::isfinite(d) &&
         d == std::trunc(d) && d >= lo && d <= hi;
}

absl::Status GetInt32(const Struct& s, const std::string& key,
                      std::optional<int32_t>* out) {
  const Value* v = Find(s, key);
  if (v == nullptr) return absl::OkStatus();
  if (!IsIntegerIn(*v, INT32_MIN, INT32_MAX)) {
    return TypeError(key, "a 32-bit integer");
  }
  *out = static_cast<int32_t>(v->number_value());
  return absl::OkStatus();
}

absl::StatusOr<CheckpointPortMapping> DecodePortMapping(const Value& v,
                                                        int index) {
  const std::string field = absl::StrCat("port_mappings[", index, "]");
  if (v.kind_case() != Value::kStructValue)
    return TypeError(field, "an object");
  const Struct& s = v.struct_value();
  CheckpointPortMapping pm;
  absl::Status st = GetString(s, "protocol", &pm.protocol);
  if (st.ok()) st = GetInt32(s, "container_port", &pm.container_port);
  if (st.ok()) st = GetInt32(s, "host_port", &pm.host_port);
  if (st.ok()) st = GetString(s, "host_ip", &pm.host_ip);
  if (!st.ok()) {
    return absl::DataLossError(absl::StrCat(st.message(), " in ", field));
  }
  return pm;
}

absl::Status DecodeData(const Struct& data, SandboxCheckpoint* cp) {
  if (const Value* list = Find(data, "port_mappings")) {
    if (list->kind_case() != Value::kListValue) {
      return TypeError("port_mappings", "a list");
    }
    // Non-empty lists keep the default; see SandboxCheckpoint.
    cp->port_mappings_null = list->list_value().values_size() != 0;
    int index = 0;
    for (const Value& v : list->list_value().values()) {
      absl::StatusOr<CheckpointPortMapping> pm = DecodePortMapping(v, index++);
      if (!pm.ok()) return pm.status();
      cp->port_mappings.push_back(*std::move(pm));
    }
  }
  if (const Value* v = Find(data, "host_network")) {
    if (v->kind_case() != Value::kBoolValue) {
      return TypeError("host_network", "a boolean");
    }
    cp->host_network = v->bool_value();
  }
  return absl::OkStatus();
}

// The protobuf JSON parser slows down badly on deep nesting (minutes for
// a few thousand levels), so deep documents are refused before parsing. A
// checkpoint needs 4 levels; protobuf itself refuses objects nested deeper
// than about 32.
constexpr int kMaxJsonDepth = 32;

bool NestedTooDeeply(absl::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

bool SandboxCheckpoint::operator==(const SandboxCheckpoint& other) const {
  return name == other.name && ns == other.ns &&
         port_mappings == other.port_mappings &&
         host_network == other.host_network &&
         (!port_mappings.empty() ||
          port_mappings_null == other.port_mappings_null);
}

// go-spew's "%#v" with DisableMethods (Indent and SortKeys do not matter
// for this type) prints one line with no separators other than single
// spaces between struct fields and slice elements:
//   - the top-level struct as "(core.CheckpointData){Field:value ...}";
//   - each field value prefixed by its Go type in parentheses: "(bool)true",
//     "(*int32)80", "(*config.Protocol)tcp", "(string)127.0.0.1" (strings raw,
//     no quotes or escaping), a nil pointer as "(*int32)<nil>";
//   - a nil slice as "([]*config.PortMapping)<nil>", an empty one as
//     "([]*config.PortMapping)[]";
//   - a slice element of pointer type without its type, as "<*>" followed by
//     the struct: "[<*>{Protocol:... HostIP:(string)} <*>{...}]".
// Example, one tcp mapping 80 -> 8080 and no host network:
//   (core.CheckpointData){PortMappings:([]*config.PortMapping)[<*>{Protocol:
//   (*config.Protocol)tcp ContainerPort:(*int32)80 HostPort:(*int32)8080
//   HostIP:(string)}] HostNetwork:(bool)false}    (without the line breaks)
// A null element in the list would print "<nil>" and make spew drop the next
// "(bool)"; decoding rejects such files instead (Go's shim cannot use them).
std::string SpewCheckpointData(const SandboxCheckpoint& checkpoint) {
  std::string out =
      "(core.CheckpointData){PortMappings:([]*config.PortMapping)";
  if (checkpoint.port_mappings.empty() && checkpoint.port_mappings_null) {
    out += "<nil>";
  } else {
    out += "[";
    bool first = true;
    for (const CheckpointPortMapping& pm : checkpoint.port_mappings) {
      if (!first) out += " ";
      first = false;
      absl::StrAppend(
          &out, "<*>{Protocol:(*config.Protocol)",
          pm.protocol ? *pm.protocol : "<nil>", " ContainerPort:(*int32)",
          pm.container_port ? absl::StrCat(*pm.container_port) : "<nil>",
          " HostPort:(*int32)",
          pm.host_port ? absl::StrCat(*pm.host_port) : "<nil>",
          " HostIP:(string)", pm.host_ip, "}");
    }
    out += "]";
  }
  absl::StrAppend(&out, " HostNetwork:(bool)",
                  checkpoint.host_network ? "true" : "false", "}");
  return out;
}

uint64_t CheckpointChecksum(const SandboxCheckpoint& checkpoint) {
  return Fnv32a(SpewCheckpointData(checkpoint));
}

std::string EncodeCheckpoint(const SandboxCheckpoint& checkpoint) {
  // Fields in Go's struct order, each left out when Go's omitempty would.
  std::vector<std::string> mappings;
  for (const CheckpointPortMapping& pm : checkpoint.port_mappings) {
    std::vector<std::string> fields;
    if (pm.protocol) {
      fields.push_back("\"protocol\":" + GoJsonString(*pm.protocol));
    }
    if (pm.container_port) {
      fields.push_back(absl::StrCat("\"container_port\":", *pm.container_port));
    }
    if (pm.host_port) {
      fields.push_back(absl::StrCat("\"host_port\":", *pm.host_port));
    }
    if (!pm.host_ip.empty()) {
      fields.push_back("\"host_ip\":" + GoJsonString(pm.host_ip));
    }
    mappings.push_back(absl::StrCat("{", absl::StrJoin(fields, ","), "}"));
  }
  std::vector<std::string> data;
  // Go would omit an empty non-nil list too, but then hash "[]" and write a
  // file that fails its own check; "[]" reads back as what was hashed.
  if (!checkpoint.port_mappings.empty() || !checkpoint.port_mappings_null) {
    data.push_back(
        absl::StrCat("\"port_mappings\":[", absl::StrJoin(mappings, ","), "]"));
  }
  if (checkpoint.host_network) data.push_back("\"host_network\":true");

  // Hash what a reader will see: strings after the \ufffd repair (Go hashes
  // the unrepaired strings, here too writing a file that fails its check).
  SandboxCheckpoint repaired = checkpoint;
  for (CheckpointPortMapping& pm : repaired.port_mappings) {
    if (pm.protocol) pm.protocol = RepairUtf8(*pm.protocol);
    pm.host_ip = RepairUtf8(pm.host_ip);
  }
  return absl::StrCat("{\"version\":\"", kCheckpointVersion,
                      "\",\"name\":", GoJsonString(checkpoint.name),
                      ",\"namespace\":", GoJsonString(checkpoint.ns),
                      ",\"data\":{", absl::StrJoin(data, ","),
                      "},\"checksum\":", CheckpointChecksum(repaired), "}");
}

absl::StatusOr<SandboxCheckpoint> DecodeCheckpoint(absl::string_view json) {
  if (NestedTooDeeply(json)) {
    return absl::DataLossError(
        "corrupt sandbox checkpoint: JSON nested too deeply");
  }
  Struct root;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &root)
           .ok()) {
    return absl::DataLossError("corrupt sandbox checkpoint: not a JSON object");
  }
  SandboxCheckpoint cp;
  std::string version;
  absl::Status st = GetString(root, "version", &version);
  if (st.ok()) st = GetString(root, "name", &cp.name);
  if (st.ok()) st = GetString(root, "namespace", &cp.ns);
  if (!st.ok()) return st;

  const Value* data = Find(root, "data");
  if (data == nullptr) {
    return absl::DataLossError("corrupt sandbox checkpoint: no \"data\"");
  }
  if (data->kind_case() != Value::kStructValue) {
    return TypeError("data", "an object");
  }
  if (st = DecodeData(data->struct_value(), &cp); !st.ok()) return st;

  double stored = 0;  // Go's uint64; integers up to 2^53 are exact
  if (const Value* v = Find(root, "checksum")) {
    if (!IsIntegerIn(*v, 0, 18446744073709549568.0)) {  // max double < 2^64
      return TypeError("checksum", "an unsigned 64-bit integer");
    }
    stored = v->number_value();
  }
  if (version != kCheckpointVersion) {
    return absl::DataLossError(absl::StrCat(
        "unsupported sandbox checkpoint version \"", version, "\""));
  }
  const uint64_t computed = CheckpointChecksum(cp);
  if (stored != static_cast<double>(computed)) {
    return absl::DataLossError(absl::StrCat(
        "corrupt sandbox checkpoint: checksum mismatch (file says ",
        static_cast<uint64_t>(stored), ", contents hash to ", computed, ")"));
  }
  return cp;
}

}  // namespace cri_dockerd::store
