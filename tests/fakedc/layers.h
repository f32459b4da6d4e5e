// Layers in fakedc. State and handlers live at the pinned layer (the generated api types); each
// client is answered in the layer it declared with invokeWithLayer, as Telegram does: requests are
// decoded with the client's schema and translated by name into the pinned layer, results and
// updates the other way (tl/dynamic/translate.h).
#ifndef TGRPC_TESTS_FAKEDC_LAYERS_H_
#define TGRPC_TESTS_FAKEDC_LAYERS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/dynamic/translate.h"
#include "tl/dynamic/value.h"
#include "tl/parser/schema.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {

// What initConnection said about the client.
struct ClientInfo {
  int32_t api_id = 0;
  std::string device_model;
  std::string system_version;
  std::string app_version;
  std::string lang_code;
  // initConnection.params {"tgrpc_instance": "..."}: which replica of a service this is.
  std::string instance;
};

// A request with its wrappers taken off, ready for the dispatcher.
struct UnwrappedCall {
  tl::Ptr<tl::Function> call;        // the inner method, at the pinned layer
  std::string name;                  // e.g. "help.getConfig"
  std::optional<int> layer;          // from invokeWithLayer
  std::optional<ClientInfo> client;  // from initConnection
  bool without_updates = false;      // invokeWithoutUpdates
};

class LayerSchemas {
 public:
  // Loads the pinned schema and the older layers from `paths` (each file must carry a
  // `// LAYER N` line). The pinned layer is the generated code's.
  static absl::StatusOr<std::unique_ptr<LayerSchemas>> Load(const std::string& pinned_path,
                                                            const std::vector<std::string>& older);

  int pinned_layer() const { return pinned_->layer; }
  const tl::Schema& pinned_schema() const { return *pinned_; }
  // The schema used for a client that declared `layer`: the newest one not above it (the pinned
  // one for layers at or above the pinned layer, the oldest known for anything older).
  int EffectiveLayer(int layer) const;
  std::vector<int> Layers() const;

  // Decodes a client's request body in `layer` (the client's current layer; an invokeWithLayer in
  // the body switches it) and unwraps invokeWithLayer / initConnection / invokeWithoutUpdates /
  // invokeAfterMsg(s) and the other invokeWith* wrappers.
  absl::StatusOr<UnwrappedCall> DecodeCall(absl::string_view body, int layer) const;

  // Rewrites a result of `method` (TL bytes at the pinned layer) for a client on `layer`.
  absl::StatusOr<std::string> EncodeResult(absl::string_view pinned_bytes, absl::string_view method,
                                           int layer) const;
  // Rewrites a boxed object (e.g. an Updates push) for a client on `layer`.
  absl::StatusOr<std::string> EncodeObject(absl::string_view pinned_bytes, int layer) const;

 private:
  struct Layer {
    std::unique_ptr<tl::Schema> schema;
    std::unique_ptr<tl::LayerTranslator> up;    // this layer -> pinned
    std::unique_ptr<tl::LayerTranslator> down;  // pinned -> this layer
  };
  const Layer* ForLayer(int layer) const;  // null for the pinned layer

  std::unique_ptr<tl::Schema> pinned_;
  std::map<int, Layer> older_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_LAYERS_H_
