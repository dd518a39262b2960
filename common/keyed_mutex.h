// A mutex per key (a pod sandbox ID, say), made on first use and dropped
// once nobody holds or waits for it, so the map holds only the keys in use.
#pragma once

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd {

class KeyedMutex {
 public:
  // Holds one key's mutex until destroyed (or moved from). Must not
  // outlive the KeyedMutex it came from.
  class Lock {
   public:
    Lock(Lock&& other) noexcept;
    Lock& operator=(Lock&& other) noexcept;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock();

   private:
    friend class KeyedMutex;
    Lock(KeyedMutex* owner, std::string key);
    void Release();

    KeyedMutex* owner_ = nullptr;
    std::string key_;
  };

  KeyedMutex() = default;
  KeyedMutex(const KeyedMutex&) = delete;
  KeyedMutex& operator=(const KeyedMutex&) = delete;

  // Blocks until `key` is free, then holds it. DeadlineExceeded, holding
  // nothing, if `deadline` passes first. Waiters are not served in any
  // particular order. Not reentrant: a thread that holds `key` and asks
  // again waits for itself.
  absl::StatusOr<Lock> Acquire(const std::string& key, absl::Time deadline);

  // Keys held or waited for now.
  size_t KeysInUse() const;
  // Threads waiting for `key` now (not counting its holder).
  int Waiters(const std::string& key) const;

 private:
  struct Entry {
    bool held = false;
    int waiters = 0;
  };
  void Unlock(const std::string& key);

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd
