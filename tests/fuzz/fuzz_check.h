// TGRPC_FUZZ_CHECK: a fuzz target's invariant. On failure it names the condition and aborts, which
// both the deterministic driver and libFuzzer report as a crash with the input that caused it.
#ifndef TGRPC_TESTS_FUZZ_FUZZ_CHECK_H_
#define TGRPC_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define TGRPC_FUZZ_CHECK(condition)                                                               \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

#endif  // TGRPC_TESTS_FUZZ_FUZZ_CHECK_H_
