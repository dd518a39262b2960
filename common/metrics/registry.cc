#include "common/metrics/registry.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "common/metrics/text_format.h"

namespace cri_dockerd::metrics {
namespace internal {
namespace {

template <typename Seq>
size_t HashKey(const Seq& key) {
  size_t h = key.size();
  for (const auto& part : key) {
    h = absl::HashOf(h, absl::string_view(part));
  }
  return h;
}

}  // namespace

size_t KeyHash::operator()(const std::vector<std::string>& key) const {
  return HashKey(key);
}
size_t KeyHash::operator()(absl::Span<const absl::string_view> key) const {
  return HashKey(key);
}

}  // namespace internal

namespace {

uint64_t Bits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}
double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  // The first bound >= value: Prometheus buckets are "less or equal".
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_->begin(), bounds_->end(), value) -
      bounds_->begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(old, Bits(FromBits(old) + value),
                                          std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snap;
  snap.cumulative.reserve(bounds_->size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(total);
  }
  snap.sum = FromBits(sum_bits_.load(std::memory_order_relaxed));
  return snap;
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

Counter* CounterFamily::WithLabels(absl::Span<const absl::string_view> values) {
  assert(values.size() == label_names_.size());
  return series_.Get(values, [] { return std::make_unique<Counter>(); });
}

void CounterFamily::Render(std::string* out) const {
  AppendHeader(out, name_, help_, "counter");
  series_.ForEachSorted(
      [&](const std::vector<std::string>& values, const Counter& counter) {
        AppendSample(out, name_, label_names_, values, "", "",
                     absl::StrCat(counter.Value()));
      });
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

Histogram* HistogramFamily::WithLabels(
    absl::Span<const absl::string_view> values) {
  assert(values.size() == label_names_.size());
  return series_.Get(values,
                     [this] { return std::make_unique<Histogram>(&bounds_); });
}

void HistogramFamily::Render(std::string* out) const {
  AppendHeader(out, name_, help_, "histogram");
  const std::string bucket = name_ + "_bucket";
  const std::string sum = name_ + "_sum";
  const std::string count = name_ + "_count";
  series_.ForEachSorted([&](const std::vector<std::string>& values,
                            const Histogram& histogram) {
    const Histogram::Snapshot snap = histogram.Read();
    for (size_t i = 0; i < bounds_.size(); ++i) {
      AppendSample(out, bucket, label_names_, values, "le",
                   FormatValue(bounds_[i]), absl::StrCat(snap.cumulative[i]));
    }
    // +Inf and _count come from the same read, so they always agree.
    const std::string total = absl::StrCat(snap.cumulative.back());
    AppendSample(out, bucket, label_names_, values, "le", "+Inf", total);
    AppendSample(out, sum, label_names_, values, "", "", FormatValue(snap.sum));
    AppendSample(out, count, label_names_, values, "", "", total);
  });
}

CounterFamily* Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  assert(ValidMetricName(name));
  auto family = std::make_unique<CounterFamily>(
      std::move(name), std::move(help), std::move(label_names));
  CounterFamily* raw = family.get();
  absl::MutexLock lock(&mu_);
  entries_.push_back(Entry{std::move(family), nullptr, nullptr});
  return raw;
}

HistogramFamily* Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds) {
  assert(ValidMetricName(name));
  auto family = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names),
      std::move(bounds));
  HistogramFamily* raw = family.get();
  absl::MutexLock lock(&mu_);
  entries_.push_back(Entry{nullptr, std::move(family), nullptr});
  return raw;
}

void Registry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  entries_.push_back(Entry{nullptr, nullptr, std::move(collector)});
}

std::string Registry::Render() const {
  std::string out;
  absl::ReaderMutexLock lock(&mu_);
  for (const Entry& entry : entries_) {
    if (entry.counter) entry.counter->Render(&out);
    if (entry.histogram) entry.histogram->Render(&out);
    if (entry.collector) {
      for (const Sample& sample : entry.collector()) {
        AppendHeader(
            &out, sample.name, sample.help,
            sample.type == Sample::Type::kCounter ? "counter" : "gauge");
        AppendSample(&out, sample.name, {}, {}, "", "",
                     FormatValue(sample.value));
      }
    }
  }
  return out;
}

bool ValidMetricName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == ':';
  });
}

bool ValidLabelName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

}  // namespace cri_dockerd::metrics
