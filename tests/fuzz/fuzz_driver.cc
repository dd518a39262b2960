// A standalone main for fuzz targets built without libFuzzer: replays every
// file of the seed corpus directories given on the command line, then a
// fixed number of deterministic mutations of them (bit flips, byte
// overwrites, insertions, truncations, splices). A crash or sanitizer report
// fails the test; nothing else is checked here.
//   <fuzzer> DIR...            # seeds + 20000 mutations
//   CRID_FUZZ_ITERATIONS=N <fuzzer> DIR...
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
}

std::string Mutate(const std::vector<std::string>& seeds, std::mt19937& rng) {
  std::string s = seeds[rng() % seeds.size()];
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    size_t pos = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 6) {
      case 0:
        if (!s.empty())
          s[pos] = static_cast<char>(s[pos] ^ (1u << (rng() % 8)));
        break;
      case 1:
        if (!s.empty()) s[pos] = static_cast<char>(rng());
        break;
      case 2:
        s.insert(pos, 1 + rng() % 4, static_cast<char>(rng()));
        break;
      case 3:
        s.resize(pos);
        break;
      case 4: {
        const std::string& other = seeds[rng() % seeds.size()];
        if (!other.empty()) {
          size_t from = rng() % other.size();
          s.insert(pos, other, from, 1 + rng() % (other.size() - from));
        }
        break;
      }
      default:
        if (!s.empty()) {
          static const unsigned char kInteresting[] = {0x00, 0x01, 0x7f,
                                                       0x80, 0xfe, 0xff};
          s[pos] = static_cast<char>(kInteresting[rng() % 6]);
        }
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i], ec)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in),
                         std::istreambuf_iterator<char>());
    }
    if (ec) {
      std::fprintf(stderr, "cannot read corpus %s: %s\n", argv[i],
                   ec.message().c_str());
      return 2;
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  for (const std::string& seed : seeds) Run(seed);
  long iterations = 20000;
  if (const char* env = std::getenv("CRID_FUZZ_ITERATIONS")) {
    iterations = std::strtol(env, nullptr, 10);
  }
  std::mt19937 rng(12345);
  for (long i = 0; i < iterations; ++i) Run(Mutate(seeds, rng));
  std::printf("%zu seeds, %ld mutations: no crash\n", seeds.size(), iterations);
  return 0;
}
