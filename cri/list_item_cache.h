// The entries of kubelet's List replies (a CRI Container or PodSandbox
// per docker container), converted and encoded once per docker summary
// rather than on every poll: the container view hands out the same
// immutable summary until docker's container changes, so an entry is
// made again only then. With 300 containers this takes the conversion
// and the encoding (0.5 ms of a 0.6 ms ListContainers) off the poll.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "cri/container_view/container_view.h"
#include "google/protobuf/unknown_field_set.h"

namespace cri_dockerd {

// One List entry: the message and its encoding.
template <typename Message>
struct ListItem {
  Message message;
  std::string wire;  // message.SerializeAsString()
};

template <typename Message>
using ListItemPtr = std::shared_ptr<const ListItem<Message>>;

// Makes an item from `message`.
template <typename Message>
ListItemPtr<Message> MakeListItem(Message message) {
  auto item = std::make_shared<ListItem<Message>>();
  item->wire = message.SerializeAsString();
  item->message = std::move(message);
  return item;
}

// The items' messages, copied (for callers that keep or change them).
template <typename Message>
std::vector<Message> MessagesOf(
    const std::vector<ListItemPtr<Message>>& items) {
  std::vector<Message> out;
  out.reserve(items.size());
  for (const ListItemPtr<Message>& item : items) out.push_back(item->message);
  return out;
}

// A List reply whose entries travel already encoded: each item's bytes
// as an unknown field numbered `field` (the reply's repeated entry
// field), which serializes to the very bytes the parsed reply would.
template <typename Reply, typename Message>
Reply EncodedReply(const std::vector<ListItemPtr<Message>>& items, int field) {
  Reply reply;
  google::protobuf::UnknownFieldSet* unknown =
      reply.GetReflection()->MutableUnknownFields(&reply);
  for (const ListItemPtr<Message>& item : items) {
    unknown->AddLengthDelimited(field, item->wire);
  }
  return reply;
}

// The List filters' common part: ID (full or prefix), state, labels.
template <typename Message, typename Filter>
bool MatchesListFilter(const Message& m, const Filter& filter) {
  if (!filter.id().empty() && !absl::StartsWith(m.id(), filter.id())) {
    return false;
  }
  if (filter.has_state() && filter.state().state() != m.state()) return false;
  for (const auto& [key, value] : filter.label_selector()) {
    auto it = m.labels().find(key);
    if (it == m.labels().end() || it->second != value) return false;
  }
  return true;
}

// Thread-safe. Holds no summary alive: an entry is keyed by its
// summary's address and kept with a weak pointer, so a summary docker
// replaced (freed, its address perhaps reused) is never mistaken for
// the new one; entries of freed summaries are swept as the cache grows.
template <typename Message>
class ListItemCache {
 public:
  using Convert = absl::FunctionRef<std::optional<Message>(
      const docker::ContainerSummary&)>;

  // The item made from this very summary, or convert(*summary) made into
  // one (nullptr when it gives nothing: such summaries are remembered as
  // giving nothing). convert runs without the lock; two callers may both
  // run it for one summary, and either result is kept.
  ListItemPtr<Message> Get(const container_view::SummaryPtr& summary,
                           Convert convert) {
    {
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(summary.get());
      if (it != slots_.end() && it->second.source.lock() == summary) {
        return it->second.item;
      }
    }
    std::optional<Message> message = convert(*summary);
    ListItemPtr<Message> item =
        message.has_value() ? MakeListItem(*std::move(message)) : nullptr;
    absl::MutexLock lock(&mu_);
    slots_[summary.get()] = Slot{summary, item};
    if (slots_.size() >= sweep_at_) {
      absl::erase_if(slots_, [](const auto& slot) {
        return slot.second.source.expired();
      });
      sweep_at_ = std::max<size_t>(kMinSweepAt, 2 * slots_.size());
    }
    return item;
  }

  // Entries held (live or not yet swept); for tests.
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return slots_.size();
  }

 private:
  static constexpr size_t kMinSweepAt = 64;
  struct Slot {
    std::weak_ptr<const docker::ContainerSummary> source;
    ListItemPtr<Message> item;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<const docker::ContainerSummary*, Slot> slots_
      ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = kMinSweepAt;
};

}  // namespace cri_dockerd
