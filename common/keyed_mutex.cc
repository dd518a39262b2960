#include "common/keyed_mutex.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cri_dockerd {

KeyedMutex::Lock::Lock(KeyedMutex* owner, std::string key)
    : owner_(owner), key_(std::move(key)) {}

KeyedMutex::Lock::Lock(Lock&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      key_(std::move(other.key_)) {}

KeyedMutex::Lock& KeyedMutex::Lock::operator=(Lock&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

KeyedMutex::Lock::~Lock() { Release(); }

void KeyedMutex::Lock::Release() {
  if (owner_ != nullptr) owner_->Unlock(key_);
  owner_ = nullptr;
}

absl::StatusOr<KeyedMutex::Lock> KeyedMutex::Acquire(const std::string& key,
                                                     absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[key];  // stable: std::map never moves its nodes
  if (entry.held) {
    ++entry.waiters;
    const bool free =
        mu_.AwaitWithDeadline(absl::Condition(
                                  +[](Entry* e) { return !e->held; }, &entry),
                              deadline);
    --entry.waiters;
    if (!free) {
      // The holder is still there, so the entry stays.
      return absl::DeadlineExceededError(
          absl::StrCat("waited too long for ", key,
                       ": another call on it is still running"));
    }
  }
  entry.held = true;
  return Lock(this, key);
}

void KeyedMutex::Unlock(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.held = false;
  if (it->second.waiters == 0) entries_.erase(it);
}

size_t KeyedMutex::KeysInUse() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

int KeyedMutex::Waiters(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.waiters;
}

}  // namespace cri_dockerd
