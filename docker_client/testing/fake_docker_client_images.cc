// FakeDockerClient's image store, scripted pulls and disk usage.
#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"

namespace cri_dockerd::docker {
namespace {

constexpr absl::Duration kCheckPeriod = absl::Milliseconds(10);

// "host:5000/busybox:1.36" -> "host:5000/busybox"; "repo@sha256:.." ->
// "repo"; a reference without tag or digest is returned as is.
absl::string_view Repository(absl::string_view ref) {
  if (const size_t at = ref.find('@'); at != absl::string_view::npos) {
    return ref.substr(0, at);
  }
  const size_t colon = ref.rfind(':');
  const size_t slash = ref.rfind('/');
  if (colon != absl::string_view::npos &&
      (slash == absl::string_view::npos || colon > slash)) {
    return ref.substr(0, colon);
  }
  return ref;
}

bool HasTagOrDigest(absl::string_view ref) { return Repository(ref) != ref; }

bool IsHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
           (c >= 'a' && c <= 'f');
  });
}

std::string ShortId(absl::string_view id) {
  return std::string(absl::StripPrefix(id, "sha256:").substr(0, 12));
}

int64_t UnixSeconds(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) return 0;
  return absl::ToUnixSeconds(t);
}

// Waits `interval`, polling `check` every kCheckPeriod (and once even for
// a zero interval) and honouring `deadline`.
absl::Status Wait(absl::Duration interval,
                  const std::function<absl::Status()>& check,
                  absl::Time deadline) {
  const absl::Time end = absl::Now() + interval;
  for (;;) {
    if (check) {
      if (absl::Status s = check(); !s.ok()) return s;
    }
    const absl::Time now = absl::Now();
    if (now >= end) return absl::OkStatus();
    if (now >= deadline) {
      return absl::DeadlineExceededError("pull: deadline exceeded (fake)");
    }
    absl::SleepFor(std::min({kCheckPeriod, end - now, deadline - now}));
  }
}

}  // namespace

void FakeDockerClient::AddImage(ImageInspect image) {
  absl::MutexLock lock(&mu_);
  AddImageLocked(std::move(image));
}

void FakeDockerClient::AddImageLocked(ImageInspect image) {
  for (auto& [id, other] : images_) {
    if (id == image.id) continue;
    std::erase_if(other.repo_tags, [&](const std::string& tag) {
      return std::find(image.repo_tags.begin(), image.repo_tags.end(), tag) !=
             image.repo_tags.end();
    });
  }
  std::string id = image.id;
  images_[id] = std::move(image);
}

void FakeDockerClient::SetImageInUse(const std::string& id, bool in_use) {
  absl::MutexLock lock(&mu_);
  if (in_use) {
    images_in_use_.insert(id);
  } else {
    images_in_use_.erase(id);
  }
}

void FakeDockerClient::SetPullScript(const std::string& image_and_tag,
                                     FakePull pull) {
  absl::MutexLock lock(&mu_);
  pull_scripts_[image_and_tag] = std::move(pull);
}

void FakeDockerClient::HoldPulls(bool hold) {
  absl::MutexLock lock(&mu_);
  pulls_held_ = hold;
}

int FakeDockerClient::ActivePulls() const {
  absl::MutexLock lock(&mu_);
  return active_pulls_;
}

std::vector<PullOptions> FakeDockerClient::PullCalls() const {
  absl::MutexLock lock(&mu_);
  return pull_calls_;
}

void FakeDockerClient::SetDiskUsage(DiskUsage usage) {
  absl::MutexLock lock(&mu_);
  disk_usage_ = std::move(usage);
}

absl::StatusOr<std::string> FakeDockerClient::ResolveImageLocked(
    const std::string& name, std::string* ref) const {
  ref->clear();
  const absl::string_view bare = absl::StripPrefix(name, "sha256:");
  for (const auto& [id, image] : images_) {
    if (id == name || absl::StripPrefix(id, "sha256:") == bare) return id;
  }
  // Like docker, accept the normalised form of a Docker Hub name
  // ("docker.io/library/busybox:latest" finds tag "busybox:latest").
  std::string familiar = name;
  if (absl::StartsWith(familiar, "docker.io/library/")) {
    familiar = familiar.substr(18);
  } else if (absl::StartsWith(familiar, "docker.io/")) {
    familiar = familiar.substr(10);
  }
  std::vector<std::string> candidates = {name, familiar};
  if (!HasTagOrDigest(familiar)) candidates.push_back(familiar + ":latest");
  for (const std::string& want : candidates) {
    for (const auto& [id, image] : images_) {
      for (const auto* refs : {&image.repo_tags, &image.repo_digests}) {
        if (std::find(refs->begin(), refs->end(), want) != refs->end()) {
          *ref = want;
          return id;
        }
      }
    }
  }
  if (bare.size() >= 4 && IsHex(bare)) {
    std::vector<std::string> matches;
    for (const auto& [id, image] : images_) {
      if (absl::StartsWith(absl::StripPrefix(id, "sha256:"), bare)) {
        matches.push_back(id);
      }
    }
    if (matches.size() == 1) return matches[0];
    if (matches.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("multiple IDs found with provided prefix: ", name));
    }
  }
  return absl::NotFoundError(absl::StrCat("No such image: ", name));
}

absl::StatusOr<std::vector<ImageSummary>> FakeDockerClient::ListImages(
    const std::string& reference, absl::Time deadline) {
  if (absl::Status s = Enter("ListImages", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto matches = [&](const ImageInspect& image) {
    if (reference.empty() || image.id == reference ||
        absl::StripPrefix(image.id, "sha256:") == reference) {
      return true;
    }
    for (const auto* refs : {&image.repo_tags, &image.repo_digests}) {
      for (const std::string& ref : *refs) {
        if (ref == reference) return true;
        if (!HasTagOrDigest(reference) && Repository(ref) == reference) {
          return true;
        }
      }
    }
    return false;
  };
  std::vector<ImageSummary> out;
  for (const auto& [id, image] : images_) {
    if (!matches(image)) continue;
    out.push_back({.id = image.id,
                   .repo_tags = image.repo_tags,
                   .repo_digests = image.repo_digests,
                   .size = image.size,
                   .shared_size = -1,
                   .created = UnixSeconds(image.created),
                   .annotations = image.annotations});
  }
  return out;
}

absl::StatusOr<ImageInspect> FakeDockerClient::InspectImage(
    const std::string& name, absl::Time deadline) {
  if (absl::Status s = Enter("InspectImage", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  std::string ref;
  absl::StatusOr<std::string> id = ResolveImageLocked(name, &ref);
  if (!id.ok()) return id.status();
  return images_.at(*id);
}

absl::Status FakeDockerClient::PullImage(const PullOptions& options,
                                         absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    PullOptions copy;
    copy.image = options.image;
    copy.tag = options.tag;
    copy.auth = options.auth;
    pull_calls_.push_back(std::move(copy));
  }
  if (absl::Status s = Enter("PullImage", deadline); !s.ok()) return s;
  if (deadline <= absl::Now()) {
    return absl::DeadlineExceededError("pull: deadline passed (fake)");
  }
  const std::string key = absl::StrCat(options.image, ":", options.tag);
  FakePull pull;
  {
    absl::MutexLock lock(&mu_);
    auto it = pull_scripts_.find(key);
    if (it == pull_scripts_.end()) {
      const bool digest = absl::StrContains(options.tag, ":");
      return absl::NotFoundError(absl::StrCat(
          "manifest for ", options.image, digest ? "@" : ":", options.tag,
          " not found: manifest unknown: manifest "
          "unknown"));
    }
    pull = it->second;
    ++active_pulls_;
  }
  absl::Cleanup finished = [this] {
    absl::MutexLock lock(&mu_);
    --active_pulls_;
  };
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (!pulls_held_) break;
    }
    if (absl::Status s = Wait(kCheckPeriod, options.check, deadline); !s.ok()) {
      return s;
    }
  }
  if (!pull.username.empty() && options.auth.username != pull.username) {
    return absl::UnauthenticatedError(absl::StrCat(
        "pulling ", key, ": unauthorized: authentication required"));
  }
  for (const PullProgress& message : pull.messages) {
    if (absl::Status s = Wait(pull.interval, options.check, deadline);
        !s.ok()) {
      return s;
    }
    if (options.on_progress) options.on_progress(message);
  }
  if (pull.result.ok() && pull.image.has_value()) {
    absl::MutexLock lock(&mu_);
    AddImageLocked(*std::move(pull.image));
    LogImageEventLocked("pull", key);
  }
  return pull.result;
}

absl::StatusOr<RemovedImage> FakeDockerClient::RemoveImage(
    const std::string& name, bool force, absl::Time deadline) {
  if (absl::Status s = Enter("RemoveImage", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  std::string ref;
  absl::StatusOr<std::string> id = ResolveImageLocked(name, &ref);
  if (!id.ok()) return id.status();
  ImageInspect& image = images_.at(*id);
  const bool in_use =
      images_in_use_.count(*id) > 0 || ImageUsedByContainerLocked(*id);
  RemovedImage removed;
  if (!ref.empty()) {
    const bool last = image.repo_tags.size() + image.repo_digests.size() <= 1;
    if (last && in_use && !force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "conflict: unable to remove repository reference \"", ref,
          "\" (must force) - container 0123456789ab is using its referenced "
          "image ",
          ShortId(*id)));
    }
    std::erase(image.repo_tags, ref);
    std::erase(image.repo_digests, ref);
    removed.untagged.push_back(ref);
    LogImageEventLocked("untag", *id);
    if (!image.repo_tags.empty() || !image.repo_digests.empty()) {
      return removed;
    }
  } else {
    if (in_use && !force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "conflict: unable to delete ", ShortId(*id),
          " (must be forced) - image is being used by stopped container "
          "0123456789ab"));
    }
    for (const auto* refs : {&image.repo_tags, &image.repo_digests}) {
      removed.untagged.insert(removed.untagged.end(), refs->begin(),
                              refs->end());
      for (size_t i = 0; i < refs->size(); ++i) {
        LogImageEventLocked("untag", *id);
      }
    }
  }
  removed.deleted.push_back(*id);
  LogImageEventLocked("delete", *id);
  images_in_use_.erase(*id);
  images_.erase(*id);
  return removed;
}

absl::StatusOr<DiskUsage> FakeDockerClient::GetDiskUsage(absl::Time deadline) {
  if (absl::Status s = Enter("GetDiskUsage", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return disk_usage_;
}

}  // namespace cri_dockerd::docker
