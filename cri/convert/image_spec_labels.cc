#include "cri/convert/image_spec_labels.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "cri/convert/naming.h"

namespace cri_dockerd {
namespace {

// Label names after kImageSpecLabelPrefix.
constexpr absl::string_view kUserSpecified = "user-specified";
constexpr absl::string_view kRuntimeHandler = "runtime-handler";
constexpr absl::string_view kAnnotation = "annotation.";

}  // namespace

void SetImageSpecLabels(const v1::ImageSpec& spec,
                        std::map<std::string, std::string>* labels) {
  if (!spec.user_specified_image().empty()) {
    (*labels)[absl::StrCat(kImageSpecLabelPrefix, kUserSpecified)] =
        spec.user_specified_image();
  }
  if (!spec.runtime_handler().empty()) {
    (*labels)[absl::StrCat(kImageSpecLabelPrefix, kRuntimeHandler)] =
        spec.runtime_handler();
  }
  for (const auto& [key, value] : spec.annotations()) {
    (*labels)[absl::StrCat(kImageSpecLabelPrefix, kAnnotation, key)] = value;
  }
}

void FillImageSpecFromLabels(const std::map<std::string, std::string>& labels,
                             v1::ImageSpec* spec) {
  for (auto it = labels.lower_bound(kImageSpecLabelPrefix);
       it != labels.end() && absl::StartsWith(it->first, kImageSpecLabelPrefix);
       ++it) {
    absl::string_view key = it->first;
    key.remove_prefix(sizeof(kImageSpecLabelPrefix) - 1);
    if (key == kUserSpecified) {
      spec->set_user_specified_image(it->second);
    } else if (key == kRuntimeHandler) {
      spec->set_runtime_handler(it->second);
    } else if (absl::ConsumePrefix(&key, kAnnotation)) {
      (*spec->mutable_annotations())[std::string(key)] = it->second;
    }
  }
}

}  // namespace cri_dockerd
