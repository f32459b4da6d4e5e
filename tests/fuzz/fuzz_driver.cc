// A deterministic stand-in for libFuzzer's driver, so every fuzz target also runs as a bounded
// unit test in the normal build: it feeds the target its seed corpus and then N mutations of it
// drawn from a fixed-seed generator. Usage: <target> [iterations] (default 20000).
// The same target sources build with clang -fsanitize=fuzzer for open-ended fuzzing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional: a target may provide seed inputs.
std::vector<std::string> TgrpcFuzzSeeds() __attribute__((weak));

namespace {

uint64_t state = 0x5eed;
uint64_t Next() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string Mutate(const std::vector<std::string>& corpus) {
  std::string s = corpus[Next() % corpus.size()];
  int rounds = 1 + Next() % 4;
  for (int i = 0; i < rounds; ++i) {
    size_t pos = s.empty() ? 0 : Next() % s.size();
    switch (Next() % 7) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos] ^= static_cast<char>(1 << (Next() % 8));
        break;
      case 1: {  // an interesting 32-bit value (lengths, ids)
        static const uint32_t kValues[] = {0,          1,          0xff,       0xfe,
                                           0x7fffffff, 0xffffffff, 0x1cb5c415, 0x997275b5,
                                           0xbc799737, 0x100,      0xfefefefe};
        uint32_t v = kValues[Next() % (sizeof(kValues) / sizeof(kValues[0]))];
        if (s.size() >= 4) {
          s.replace((pos % (s.size() - 3)) & ~size_t{3}, 4, reinterpret_cast<char*>(&v), 4);
        }
        break;
      }
      case 2:  // truncate
        s.resize(pos);
        break;
      case 3:  // insert random bytes
        s.insert(pos, std::string(1 + Next() % 8, static_cast<char>(Next())));
        break;
      case 4:  // duplicate a chunk
        if (!s.empty()) s.insert(pos, s.substr(Next() % s.size(), 1 + Next() % 16));
        break;
      case 5: {  // splice with another seed
        const std::string& other = corpus[Next() % corpus.size()];
        s = s.substr(0, pos) + other.substr(std::min<size_t>(other.size(), Next() % 8));
        break;
      }
      default:  // random byte
        if (!s.empty()) s[pos] = static_cast<char>(Next());
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20000;
  std::vector<std::string> corpus;
  if (TgrpcFuzzSeeds) corpus = TgrpcFuzzSeeds();
  corpus.push_back("");
  for (const std::string& s : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  for (long i = 0; i < iterations; ++i) {
    std::string s = Mutate(corpus);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz driver: %zu seeds + %ld mutated inputs, no crash\n", corpus.size(), iterations);
  return 0;
}
