#include "cri/grpc_subject.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace cri_dockerd {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The value of string field `name` of `m`, or "" if it has none.
std::string StringField(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

// Sub-message `name` of `m` when it is set.
const Message* MessageField(const Message& m, const char* name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() ||
      f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      !m.GetReflection()->HasField(m, f)) {
    return nullptr;
  }
  return &m.GetReflection()->GetMessage(m, f);
}

void AddIfSet(std::vector<std::string>* parts, const char* label,
              const std::string& value) {
  if (!value.empty()) parts->push_back(absl::StrCat(label, " ", value));
}

// The IDs and image a request or filter names directly.
void AddIds(const Message& m, std::vector<std::string>* parts) {
  AddIfSet(parts, "pod", StringField(m, "pod_sandbox_id"));
  AddIfSet(parts, "container", StringField(m, "container_id"));
  if (const Message* image = MessageField(m, "image")) {
    AddIfSet(parts, "image", StringField(*image, "image"));
  }
}

}  // namespace

std::string RequestSubject(const Message& req) {
  std::vector<std::string> parts;
  // RunPodSandbox names the pod by its metadata, CreateContainer the
  // container by its own (and the pod by pod_sandbox_id).
  if (const Message* config = MessageField(req, "config")) {
    if (const Message* meta = MessageField(*config, "metadata")) {
      const std::string ns = StringField(*meta, "namespace");
      const std::string name = StringField(*meta, "name");
      if (!ns.empty() || !name.empty()) {
        const bool pod = StringField(req, "pod_sandbox_id").empty();
        AddIfSet(&parts, pod ? "pod" : "container",
                 pod ? absl::StrCat(ns, "/", name) : name);
      }
    }
  }
  AddIds(req, &parts);
  if (const Message* filter = MessageField(req, "filter")) {
    AddIfSet(&parts, "id", StringField(*filter, "id"));
    AddIds(*filter, &parts);
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace cri_dockerd
