// Sending a List verb's items as a server stream: batches of
// kStreamBatch items, the same size as StreamPodSandboxes and
// StreamContainers send; one empty message when there is nothing, so
// the client always sees a reply.
#pragma once

#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cri_dockerd {

inline constexpr int kStreamBatch = 100;

// Moves `items` into messages of type Batch (into the repeated field
// `field(batch)` returns) and hands each to `send`. Cancelled once
// `send` returns false.
template <typename Batch, typename Item, typename Field>
absl::Status SendInBatches(google::protobuf::RepeatedPtrField<Item>& items,
                           Field field,
                           const std::function<bool(const Batch&)>& send) {
  Batch batch;
  for (Item& item : items) {
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
