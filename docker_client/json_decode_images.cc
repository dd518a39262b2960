#include "docker_client/json_decode_images.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "docker_client/json_util.h"

namespace cri_dockerd::docker {
namespace {

using json_util::Field;
using json_util::GetInt;
using json_util::GetObjectKeys;
using json_util::GetString;
using json_util::GetStringArray;
using json_util::json;
using json_util::ObjectField;

// Docker's placeholders for an untagged / digest-less image.
std::vector<std::string> GetRefs(const json& obj, const char* key,
                                 absl::string_view placeholder) {
  std::vector<std::string> refs = GetStringArray(obj, key);
  std::erase_if(refs, [&](const std::string& r) { return r == placeholder; });
  return refs;
}

// Descriptor.annotations: string values only.
std::map<std::string, std::string> GetDescriptorAnnotations(const json& obj) {
  std::map<std::string, std::string> out;
  const json* descriptor = ObjectField(obj, "Descriptor");
  if (descriptor == nullptr) return out;
  const json* annotations = ObjectField(*descriptor, "annotations");
  if (annotations == nullptr) return out;
  for (auto it = annotations->begin(); it != annotations->end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get_ref<const std::string&>();
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ImageSummary>> DecodeImageList(
    absl::string_view body) {
  absl::StatusOr<json> doc = json_util::ParseArray(body, "GET /images/json");
  if (!doc.ok()) return doc.status();
  std::vector<ImageSummary> images;
  images.reserve(doc->size());
  for (const json& item : *doc) {
    if (!item.is_object()) continue;
    ImageSummary image;
    image.id = GetString(item, "Id");
    image.repo_tags = GetRefs(item, "RepoTags", "<none>:<none>");
    image.repo_digests = GetRefs(item, "RepoDigests", "<none>@<none>");
    image.size = GetInt(item, "Size");
    image.shared_size = GetInt(item, "SharedSize", -1);
    image.created = GetInt(item, "Created");
    image.annotations = GetDescriptorAnnotations(item);
    images.push_back(std::move(image));
  }
  return images;
}

absl::StatusOr<ImageInspect> DecodeImageInspect(absl::string_view body) {
  absl::StatusOr<json> doc =
      json_util::ParseObject(body, "GET /images/{name}/json");
  if (!doc.ok()) return doc.status();
  const json& d = *doc;
  ImageInspect image;
  image.id = GetString(d, "Id");
  image.repo_tags = GetRefs(d, "RepoTags", "<none>:<none>");
  image.repo_digests = GetRefs(d, "RepoDigests", "<none>@<none>");
  image.size = GetInt(d, "Size");
  image.created = GetString(d, "Created");
  image.os = GetString(d, "Os");
  image.architecture = GetString(d, "Architecture");
  if (const json* config = ObjectField(d, "Config")) {
    const json& c = *config;
    image.user = GetString(c, "User");
    image.env = GetStringArray(c, "Env");
    image.entrypoint = GetStringArray(c, "Entrypoint");
    image.cmd = GetStringArray(c, "Cmd");
    image.working_dir = GetString(c, "WorkingDir");
    image.stop_signal = GetString(c, "StopSignal");
    if (const json* labels = ObjectField(c, "Labels")) {
      for (auto it = labels->begin(); it != labels->end(); ++it) {
        if (it->is_string()) {
          image.labels[it.key()] = it->get_ref<const std::string&>();
        }
      }
    }
    image.volumes = GetObjectKeys(c, "Volumes");
    image.exposed_ports = GetObjectKeys(c, "ExposedPorts");
  }
  image.annotations = GetDescriptorAnnotations(d);
  image.raw_json = std::string(body);
  return image;
}

absl::StatusOr<RemovedImage> DecodeRemovedImage(absl::string_view body) {
  absl::StatusOr<json> doc =
      json_util::ParseArray(body, "DELETE /images/{name}");
  if (!doc.ok()) return doc.status();
  RemovedImage removed;
  for (const json& item : *doc) {
    if (std::string s = GetString(item, "Untagged"); !s.empty()) {
      removed.untagged.push_back(std::move(s));
    }
    if (std::string s = GetString(item, "Deleted"); !s.empty()) {
      removed.deleted.push_back(std::move(s));
    }
  }
  return removed;
}

absl::StatusOr<DiskUsage> DecodeDiskUsage(absl::string_view body) {
  absl::StatusOr<json> doc = json_util::ParseObject(body, "GET /system/df");
  if (!doc.ok()) return doc.status();
  DiskUsage usage;
  usage.layers_size = GetInt(*doc, "LayersSize");
  const json* containers = Field(*doc, "Containers");
  if (containers != nullptr && containers->is_array()) {
    for (const json& item : *containers) {
      if (!item.is_object()) continue;
      usage.containers.push_back(
          {GetString(item, "Id"), GetInt(item, "SizeRw")});
    }
  }
  return usage;
}

JsonMessageStream::JsonMessageStream(size_t max_message_bytes)
    : max_message_bytes_(max_message_bytes) {}

absl::Status JsonMessageStream::Feed(absl::string_view chunk,
                                     const Handler& handler) {
  if (!error_.ok()) return error_;
  auto fail = [this](absl::Status s) {
    error_ = s;
    pending_.clear();
    return s;
  };
  auto append = [&](absl::string_view bytes) {
    if (pending_.size() + bytes.size() > max_message_bytes_) {
      return fail(absl::ResourceExhaustedError(
          absl::StrCat("docker's progress stream holds a message over ",
                       max_message_bytes_, " bytes")));
    }
    pending_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  };
  size_t start = 0;  // where the current object's bytes begin in `chunk`
  for (size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (depth_ == 0) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
      if (c != '{') {
        return fail(absl::InternalError(absl::StrCat(
            "malformed progress stream from docker: unexpected byte 0x",
            absl::Hex(static_cast<unsigned char>(c)), " between messages")));
      }
      depth_ = 1;
      start = i;
      continue;
    }
    // Only nesting is tracked here; the JSON parser judges the rest.
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      --depth_;
    }
    if (depth_ != 0) continue;
    if (absl::Status s = append(chunk.substr(start, i + 1 - start)); !s.ok()) {
      return s;
    }
    const json doc = json_util::Parse(pending_);
    if (doc.is_discarded() || !doc.is_object()) {
      return fail(absl::InternalError(
          absl::StrCat("malformed progress stream from docker: invalid JSON "
                       "message (",
                       pending_.size(), " bytes)")));
    }
    pending_.clear();
    JsonMessage message;
    message.error = GetString(doc, "error");
    const json* detail = Field(doc, "errorDetail");
    if (message.error.empty() && detail != nullptr && !detail->is_null()) {
      message.error = GetString(*detail, "message");
      // An errorDetail without text is still a failure.
      if (message.error.empty()) message.error = "unknown pull error";
    }
    message.progress.id = GetString(doc, "id");
    message.progress.status = GetString(doc, "status");
    if (const json* progress = ObjectField(doc, "progressDetail")) {
      message.progress.current = GetInt(*progress, "current");
      message.progress.total = GetInt(*progress, "total");
    }
    if (absl::Status s = handler(message); !s.ok()) return s;
  }
  if (depth_ > 0) return append(chunk.substr(start));
  return absl::OkStatus();
}

absl::Status JsonMessageStream::Finish() const {
  if (!error_.ok()) return error_;
  if (depth_ > 0) {
    return absl::InternalError(
        absl::StrCat("docker's progress stream ended inside a message (",
                     pending_.size(), " bytes pending)"));
  }
  return absl::OkStatus();
}

std::string EncodeRegistryAuth(const RegistryAuth& auth) {
  std::string username = auth.username;
  std::string password = auth.password;
  if (username.empty() && password.empty() && !auth.auth.empty()) {
    std::string decoded;
    if (absl::Base64Unescape(auth.auth, &decoded)) {
      const size_t colon = decoded.find(':');
      if (colon != std::string::npos) {
        username = decoded.substr(0, colon);
        password = decoded.substr(colon + 1);
      }
    }
  }
  const json doc = {
      {"username", username},
      {"password", password},
      {"auth", auth.auth},
      {"serveraddress", auth.server_address},
      {"identitytoken", auth.identity_token},
      {"registrytoken", auth.registry_token},
  };
  // Invalid UTF-8 is replaced rather than thrown on.
  const std::string text =
      doc.dump(-1, ' ', false, json::error_handler_t::replace);
  return absl::StrReplaceAll(absl::Base64Escape(text),
                             {{"+", "-"}, {"/", "_"}});
}

}  // namespace cri_dockerd::docker
