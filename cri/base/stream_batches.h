// Sending a List verb's items as a server stream, as every Stream* verb
// does: batches of kStreamBatch items; one empty message when there is
// nothing, so the client always sees a reply.
#pragma once

#include <functional>
#include <utility>

#include "absl/status/status.h"

namespace cri_dockerd {

inline constexpr int kStreamBatch = 100;

// Moves `items` (a RepeatedPtrField or std::vector of messages) into
// messages of type Batch (into the repeated field `field(batch)` returns)
// and hands each to `send`. Cancelled once `send` returns false.
template <typename Batch, typename Items, typename Field>
absl::Status SendInBatches(Items& items, Field field,
                           const std::function<bool(const Batch&)>& send) {
  Batch batch;
  for (auto& item : items) {
    *field(batch)->Add() = std::move(item);
    if (field(batch)->size() == kStreamBatch) {
      if (!send(batch)) return absl::CancelledError("client went away");
      batch.Clear();
    }
  }
  if ((field(batch)->size() > 0 || items.empty()) && !send(batch)) {
    return absl::CancelledError("client went away");
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
