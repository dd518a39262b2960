// An in-process metrics registry rendered in the Prometheus text format:
// labelled counters and histograms that many threads update at once, plus
// collectors that produce unlabelled values at scrape time (process
// memory, CPU, file descriptors). Owned by main.cc; nothing here is global.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace cri_dockerd::metrics {

// Label values, one per label name of the family, in the same order.
using LabelValues = std::initializer_list<absl::string_view>;

namespace internal {

// Hashing and equality shared by owned keys (std::vector<std::string>) and
// borrowed lookups (absl::Span<const absl::string_view>), so that finding
// an existing series allocates nothing.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(const std::vector<std::string>& key) const;
  size_t operator()(absl::Span<const absl::string_view> key) const;
};
struct KeyEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (absl::string_view(a[i]) != absl::string_view(b[i])) return false;
    }
    return true;
  }
};

// The series of one family: a map from label values to a cell that never
// moves once created (callers may keep the pointer).
template <typename Cell>
class SeriesMap {
 public:
  // Returns the cell for `values`, creating it with `make` on first use.
  template <typename Make>
  Cell* Get(absl::Span<const absl::string_view> values, Make make) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = cells_.find(values);
      if (it != cells_.end()) return it->second.get();
    }
    absl::MutexLock lock(&mu_);
    auto it = cells_.find(values);
    if (it != cells_.end()) return it->second.get();
    std::vector<std::string> key(values.begin(), values.end());
    auto cell = make();
    Cell* raw = cell.get();
    cells_.emplace(std::move(key), std::move(cell));
    return raw;
  }
  // Calls fn(label values, cell) for every series, sorted by label values.
  void ForEachSorted(const std::function<void(const std::vector<std::string>&,
                                              const Cell&)>& fn) const {
    std::vector<std::pair<const std::vector<std::string>*, const Cell*>> all;
    {
      absl::ReaderMutexLock lock(&mu_);
      all.reserve(cells_.size());
      for (const auto& [key, cell] : cells_) all.emplace_back(&key, cell.get());
    }
    // Keys and cells are never removed, so the pointers stay valid.
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (const auto& [key, cell] : all) fn(*key, *cell);
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::vector<std::string>, std::unique_ptr<Cell>, KeyHash,
                      KeyEq>
      cells_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal

// One counter series. Lock-free.
class Counter {
 public:
  void Increment(uint64_t by = 1) {
    value_.fetch_add(by, std::memory_order_relaxed);
  }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One histogram series. Lock-free: one atomic add for the bucket and a
// compare-and-swap loop for the sum.
class Histogram {
 public:
  // `bounds` must outlive the histogram (its family owns them).
  explicit Histogram(const std::vector<double>* bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* const bounds_;
  // Non-cumulative: bucket i counts values in (bounds[i-1], bounds[i]];
  // the last one counts values above every bound.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> sum_bits_{0};  // a double, as its bit pattern
};

// A counter metric with fixed label names. Thread-safe.
class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help,
                std::vector<std::string> label_names);

  // The series for `values` (as many as label names). Finding an existing
  // series takes a shared lock and allocates nothing; the pointer stays
  // valid for the family's lifetime.
  Counter* WithLabels(absl::Span<const absl::string_view> values);
  Counter* WithLabels(LabelValues values) {
    return WithLabels(absl::MakeConstSpan(values.begin(), values.size()));
  }

  void Render(std::string* out) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  internal::SeriesMap<Counter> series_;
};

// A histogram metric with fixed label names and bucket bounds. Thread-safe.
class HistogramFamily {
 public:
  // `bounds`: upper bounds, strictly increasing, finite (+Inf is implied).
  HistogramFamily(std::string name, std::string help,
                  std::vector<std::string> label_names,
                  std::vector<double> bounds);

  // As CounterFamily::WithLabels.
  Histogram* WithLabels(absl::Span<const absl::string_view> values);
  Histogram* WithLabels(LabelValues values) {
    return WithLabels(absl::MakeConstSpan(values.begin(), values.size()));
  }

  void Render(std::string* out) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  internal::SeriesMap<Histogram> series_;
};

// An unlabelled value produced by a collector at scrape time.
struct Sample {
  enum class Type { kGauge, kCounter };
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  double value = 0;
};
using Collector = std::function<std::vector<Sample>()>;

// Owns families; renders them (and collectors' samples) in registration
// order. Registration is meant for start-up; rendering and updates are
// thread-safe at any time. Names must be valid Prometheus metric and
// label names (see ValidMetricName / ValidLabelName), unique in the
// registry, and label names must not include "le" for histograms.
class Registry {
 public:
  CounterFamily* AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names);
  HistogramFamily* AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds);
  void AddCollector(Collector collector);

  // The whole exposition, text format 0.0.4.
  std::string Render() const;

 private:
  struct Entry {
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<HistogramFamily> histogram;
    Collector collector;
  };
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

bool ValidMetricName(absl::string_view name);
bool ValidLabelName(absl::string_view name);

}  // namespace cri_dockerd::metrics
