// Deterministic sample values for any constructor or method of a schema: the round-trip tests
// and benchmarks use them to exercise every combinator, with all optional fields set or none.
#ifndef TGRPC_TL_DYNAMIC_SAMPLE_H_
#define TGRPC_TL_DYNAMIC_SAMPLE_H_

#include <cstdint>
#include <map>
#include <string>

#include "tl/dynamic/value.h"

namespace tgrpc::tl {

struct SampleOptions {
  bool all_optional = true;  // set every flags.N? field, or none
  uint64_t seed = 1;
  int max_depth = 3;  // below this, objects take their cheapest constructor
};

class Sampler {
 public:
  Sampler(const Schema* schema, SampleOptions options);

  Value Object(const Combinator& c);

 private:
  Value Fields(const Combinator& c, int depth);
  Value OfType(const TypeRef& t, const Combinator& ctx, int depth);
  uint64_t Next();
  const Combinator* Cheapest(const std::string& type) const;

  const Schema* schema_;
  SampleOptions options_;
  uint64_t state_;
  std::map<std::string, std::pair<int, const Combinator*>> cheapest_;  // type -> (depth, ctor)
  const Combinator* any_constructor_ = nullptr;
  const Combinator* any_function_ = nullptr;
};

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_DYNAMIC_SAMPLE_H_
