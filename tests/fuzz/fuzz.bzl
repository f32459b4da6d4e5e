"""tgrpc_fuzz_test: one fuzz target, run as a bounded test by the shared driver.

The target's sources define LLVMFuzzerTestOneInput (and optionally TgrpcFuzzSeeds). In the default
build the deterministic driver runs the seeds and `iterations` mutations. With
`--config=libfuzzer` (clang, see .bazelrc) the same test runs libFuzzer for `iterations` runs.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

def tgrpc_fuzz_test(name, srcs, deps = [], iterations = 20000, data = [], size = "small", **kwargs):
    cc_test(
        name = name,
        size = size,
        srcs = srcs,
        args = [str(iterations)],
        data = data,
        tags = ["fuzz"],
        deps = deps + ["//tests/fuzz:fuzz_driver"],
        **kwargs
    )
