#include "tests/e2e/with_layer.h"

#include <memory>
#include <utility>

#include "tl/generated/api.h"

namespace tgrpc::e2e {

namespace api = tl::api;

tl::Ptr<tl::Function> WithLayer(tl::Ptr<tl::Function> query) {
  auto init = std::make_unique<api::initConnection>();
  init->api_id = 1;
  init->device_model = "tgrpc e2e";
  init->system_version = "linux";
  init->app_version = "0.1";
  init->system_lang_code = "en";
  init->lang_code = "en";
  init->query = std::move(query);
  auto layer = std::make_unique<api::invokeWithLayer>();
  layer->layer = api::kLayer;
  layer->query = std::move(init);
  return layer;
}

}  // namespace tgrpc::e2e
