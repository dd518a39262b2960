// Structure-aware fuzzing without libprotobuf-mutator (Debian has none):
// a fuzzer's input bytes read as a stream of choices that build a
// well-typed protobuf message of any Descriptor through reflection. Every
// field kind is covered (scalars, strings, bytes, open and closed enums,
// nested messages to a depth bound, repeated and map fields of bounded
// size, oneofs), with values biased towards the ones that break code:
// boundaries of each integer type, NaN and infinities, empty, huge and
// path-like strings, unknown enum values, and caller-supplied hints (IDs
// that exist, image names). The same bytes always build the same message,
// so libFuzzer's byte-level mutations become field-level ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace cri_dockerd::fuzz {

// The fuzzer's bytes as choices. Past the end every choice is 0, which
// the generator reads as "leave unset": a short input builds a small,
// mostly default message.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return (Byte() & 1) != 0; }
  // Eight bytes, little-endian.
  uint64_t Uint64();
  // A number in [0, n); n must be positive. Reads one byte for n <= 256,
  // more for larger n.
  size_t Below(size_t n);
  // Up to `max` raw bytes (the length is read first).
  std::string Bytes(size_t max);

  bool exhausted() const { return pos_ >= size_; }
  size_t consumed() const { return pos_; }

 private:
  const uint8_t* const data_;
  const size_t size_;
  size_t pos_ = 0;
};

struct GeneratorOptions {
  // Each field is set with a chance of one in this many (to overlay a
  // few changes on a valid request, make it large).
  int set_one_in = 2;
  // Messages nested deeper than this stay empty.
  int max_depth = 6;
  // Elements of one repeated or map field: usually at most this many...
  int max_elements = 4;
  // ... sometimes up to this many (whole lists that stress a verb).
  int max_elements_burst = 64;
  // Raw strings taken from the input: at most this long.
  size_t max_string = 64;
  // Every string of one message together (huge ones included) stays
  // under this; past it strings come out empty.
  size_t byte_budget = 1 << 20;
  // Values worth trying for a string field (IDs that exist, image names,
  // paths); an empty list means none. Called for every string field set.
  std::function<std::vector<std::string>(
      const google::protobuf::FieldDescriptor&)>
      string_hints;
};

// Builds messages from `in`. Not thread-safe; `in` must outlive it.
class ProtoGenerator {
 public:
  ProtoGenerator(FuzzInput* in, GeneratorOptions options);

  // Sets fields of `msg` from the input (over what it holds: singular
  // fields are replaced, repeated ones get more elements).
  void Fill(google::protobuf::Message* msg);

  // One string as Fill would make it for `field` (also usable for
  // values the caller builds itself).
  std::string String(const google::protobuf::FieldDescriptor& field);

 private:
  void FillMessage(google::protobuf::Message* msg, int depth);
  // Sets (or, repeated, adds) one value of `field`.
  void SetValue(google::protobuf::Message* msg,
                const google::protobuf::FieldDescriptor* field, int depth);
  void SetRepeated(google::protobuf::Message* msg,
                   const google::protobuf::FieldDescriptor* field, int depth);
  int64_t SignedValue(int64_t min, int64_t max);
  uint64_t UnsignedValue(uint64_t max);
  double DoubleValue();
  int EnumValue(const google::protobuf::FieldDescriptor& field);
  // Charges `size` bytes to the budget; false (charging nothing) if over.
  bool Charge(size_t size);

  FuzzInput* const in_;
  const GeneratorOptions options_;
  size_t bytes_used_ = 0;
};

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by '?': proto3 strings are UTF-8 on the wire, so the service
// never sees anything else in one.
std::string ToValidUtf8(const std::string& s);

}  // namespace cri_dockerd::fuzz
