// The one driver behind every fuzz target (a target defines only LLVMFuzzerTestOneInput, and
// optionally TgrpcFuzzSeeds for its seed corpus). Usage: <target> [iterations] (default 20000).
//
// Default build (gcc): a deterministic stand-in for libFuzzer, so each target runs as a bounded
// unit test: the seeds, then `iterations` mutations of them from a fixed-seed generator.
//
// --config=libfuzzer (clang, -DTGRPC_LIBFUZZER): the seeds are written to a corpus directory and
// libFuzzer itself runs, coverage-guided, for `iterations` runs with a fixed seed, through
// LLVMFuzzerRunDriver. Extra arguments after the count go to libFuzzer unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional: a target may provide seed inputs.
std::vector<std::string> TgrpcFuzzSeeds() __attribute__((weak));

#ifdef TGRPC_LIBFUZZER
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*callback)(const uint8_t* data, size_t size));
#endif

namespace {

constexpr uint64_t kMutationSeed = 0x5eed;
constexpr size_t kMaxInputSize = size_t{1} << 16;

// Words that steer decoders into their interesting branches: lengths at the edges, TL ids of
// vectors, bools and containers, transport markers and error codes.
uint32_t InterestingWord(std::mt19937_64& rng) {
  static constexpr uint32_t kWords[] = {0,
                                        1,
                                        4,
                                        12,
                                        0x7e,
                                        0x7f,
                                        0x80,
                                        0xfe,
                                        0xff,
                                        0x100,
                                        0xffff,
                                        0x10000,
                                        0x7fffffff,
                                        0x80000000,
                                        0xffffffff,
                                        0x1cb5c415 /* vector */,
                                        0x997275b5 /* boolTrue */,
                                        0xbc799737 /* boolFalse */,
                                        0x73f1f8dc /* msg_container */,
                                        0xf35c6d01 /* rpc_result */,
                                        0x3072cfa1 /* gzip_packed */,
                                        0xfffffe6c /* -404 */,
                                        0xfffffe53 /* -429 */,
                                        0xeeeeeeee,
                                        0xdddddddd,
                                        0xefefefef,
                                        0xfefefefe};
  return kWords[rng() % std::size(kWords)];
}

std::string Mutate(std::string input, const std::vector<std::string>& corpus,
                   std::mt19937_64& rng) {
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int round = 0; round < rounds; ++round) {
    const size_t at = input.empty() ? 0 : rng() % input.size();
    switch (rng() % 8) {
      case 0:  // flip a bit
        if (!input.empty()) input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8)));
        break;
      case 1:  // random byte
        if (!input.empty()) input[at] = static_cast<char>(rng());
        break;
      case 2:  // insert random bytes
        for (int n = 1 + static_cast<int>(rng() % 8); n > 0; --n) {
          input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng()));
        }
        break;
      case 3:  // erase a range
        input.erase(at, 1 + rng() % 16);
        break;
      case 4: {  // duplicate a range
        const std::string range = input.substr(at, 1 + rng() % 32);
        input.insert(rng() % (input.size() + 1), range);
        break;
      }
      case 5: {  // an interesting little-endian word, aligned as TL is
        const uint32_t word = InterestingWord(rng);
        const size_t aligned = at & ~size_t{3};
        for (size_t i = 0; i < 4 && aligned + i < input.size(); ++i) {
          input[aligned + i] = static_cast<char>(word >> (8 * i));
        }
        break;
      }
      case 6:  // truncate
        input.resize(at);
        break;
      default: {  // splice with another corpus entry
        const std::string& other = corpus[rng() % corpus.size()];
        const size_t from = other.empty() ? 0 : rng() % other.size();
        input = input.substr(0, at) + other.substr(from);
        break;
      }
    }
  }
  if (input.size() > kMaxInputSize) input.resize(kMaxInputSize);
  return input;
}

void RunOne(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

#ifdef TGRPC_LIBFUZZER
int RunLibFuzzer(const char* argv0, long iterations, const std::vector<std::string>& corpus,
                 int extra_argc, char** extra_argv) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir =
      std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "tgrpc_fuzz_corpus";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::ofstream(dir / ("seed" + std::to_string(i)), std::ios::binary) << corpus[i];
  }
  std::vector<std::string> args = {argv0, "-runs=" + std::to_string(iterations), "-seed=1",
                                   "-max_len=" + std::to_string(kMaxInputSize),
                                   "-print_final_stats=1"};
  for (int i = 0; i < extra_argc; ++i) args.push_back(extra_argv[i]);
  args.push_back(dir.string());
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  char** argv = pointers.data();
  return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  long iterations = 20000;
  if (argc > 1) {
    char* end = nullptr;
    iterations = std::strtol(argv[1], &end, 10);
    if (*end != '\0' || iterations < 0) {
      std::fprintf(stderr, "usage: %s [iterations]\n", argv[0]);
      return 2;
    }
  }
  std::vector<std::string> corpus;
  if (TgrpcFuzzSeeds) corpus = TgrpcFuzzSeeds();
  corpus.push_back("");
#ifdef TGRPC_LIBFUZZER
  return RunLibFuzzer(argv[0], iterations, corpus, argc > 2 ? argc - 2 : 0, argv + 2);
#else
  for (const std::string& seed : corpus) RunOne(seed);
  std::mt19937_64 rng(kMutationSeed);
  for (long i = 0; i < iterations; ++i) {
    if (rng() % 50 == 0) {  // now and then pure noise
      std::string noise(rng() % 512, '\0');
      for (char& c : noise) c = static_cast<char>(rng());
      RunOne(noise);
    } else {
      RunOne(Mutate(corpus[rng() % corpus.size()], corpus, rng));
    }
  }
  const char* slash = std::strrchr(argv[0], '/');
  std::printf("%s: %zu seed inputs and %ld mutated inputs, no crash\n",
              slash != nullptr ? slash + 1 : argv[0], corpus.size(), iterations);
  return 0;
#endif
}
