// The invokeWithLayer(initConnection(...)) wrapper of a client's first call, shared by the
// end-to-end tests (through e2e_util.h) and the benchmarks in tests/bench. Not test-only, so that
// the benchmark binaries can use it.
#ifndef TGRPC_TESTS_E2E_WITH_LAYER_H_
#define TGRPC_TESTS_E2E_WITH_LAYER_H_

#include "tl/runtime/object.h"

namespace tgrpc::e2e {

// invokeWithLayer(layer, initConnection(..., query)), as a client's first call.
tl::Ptr<tl::Function> WithLayer(tl::Ptr<tl::Function> query);

}  // namespace tgrpc::e2e

#endif  // TGRPC_TESTS_E2E_WITH_LAYER_H_
