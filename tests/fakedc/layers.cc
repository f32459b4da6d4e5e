#include "tests/fakedc/layers.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "tl/runtime/binary.h"

namespace tgrpc::fakedc {
namespace {

constexpr uint32_t kInvokeWithLayerId = 0xda9b0d0d;

// invokeWithLayer, initConnection, invokeWithoutUpdates, invokeAfterMsg, ...: generic methods
// that carry another method in `query`.
bool IsWrapper(const tl::Combinator& c) {
  if (!c.is_function || c.generics.empty()) return false;
  for (const tl::Param& p : c.params) {
    if (p.name == "query" && p.type.bang) return true;
  }
  return false;
}

std::string FieldString(const tl::Value& v, absl::string_view name) {
  const tl::Value* f = v.Field(name);
  return f != nullptr && f->kind == tl::Value::Kind::kBytes ? f->s : std::string();
}

// params:{"tgrpc_instance": "<name>"} of initConnection (a jsonObject of jsonObjectValues), or "".
std::string InstanceParam(const tl::Value& init) {
  const tl::Value* params = init.Field("params");
  if (params == nullptr || params->ctor == nullptr || params->ctor->name != "jsonObject") return "";
  const tl::Value* entries = params->Field("value");
  if (entries == nullptr) return "";
  for (const tl::Value& entry : entries->items) {
    const tl::Value* key = entry.Field("key");
    const tl::Value* value = entry.Field("value");
    if (key != nullptr && key->s == "tgrpc_instance" && value != nullptr &&
        value->ctor != nullptr && value->ctor->name == "jsonString") {
      return FieldString(*value, "value");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<LayerSchemas>> LayerSchemas::Load(
    const std::string& pinned_path, const std::vector<std::string>& older) {
  auto layers = std::unique_ptr<LayerSchemas>(new LayerSchemas());
  absl::StatusOr<tl::Schema> pinned = tl::LoadSchemaFiles({pinned_path});
  if (!pinned.ok()) return pinned.status();
  if (pinned->layer == 0) {
    return absl::InvalidArgumentError(absl::StrCat(pinned_path, " has no // LAYER line"));
  }
  layers->pinned_ = std::make_unique<tl::Schema>(*std::move(pinned));
  for (const std::string& path : older) {
    absl::StatusOr<tl::Schema> schema = tl::LoadSchemaFiles({path});
    if (!schema.ok()) return schema.status();
    if (schema->layer == 0 || schema->layer >= layers->pinned_->layer) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": layer ", schema->layer,
                                                     " is not older than the pinned ",
                                                     layers->pinned_->layer));
    }
    Layer layer;
    layer.schema = std::make_unique<tl::Schema>(*std::move(schema));
    layer.up = std::make_unique<tl::LayerTranslator>(layer.schema.get(), layers->pinned_.get());
    layer.down = std::make_unique<tl::LayerTranslator>(layers->pinned_.get(), layer.schema.get());
    const int number = layer.schema->layer;
    layers->older_.emplace(number, std::move(layer));
  }
  return layers;
}

int LayerSchemas::EffectiveLayer(int layer) const {
  if (layer >= pinned_->layer || older_.empty()) return pinned_->layer;
  auto it = older_.upper_bound(layer);
  if (it == older_.begin()) return it->first;  // older than anything known: the oldest
  return std::prev(it)->first;
}

std::vector<int> LayerSchemas::Layers() const {
  std::vector<int> out;
  for (const auto& [number, layer] : older_) out.push_back(number);
  out.push_back(pinned_->layer);
  return out;
}

const LayerSchemas::Layer* LayerSchemas::ForLayer(int layer) const {
  const int effective = EffectiveLayer(layer);
  if (effective == pinned_->layer) return nullptr;
  return &older_.at(effective);
}

absl::StatusOr<UnwrappedCall> LayerSchemas::DecodeCall(absl::string_view body, int layer) const {
  UnwrappedCall out;
  // invokeWithLayer (same id in every layer) picks the schema the rest is read with.
  if (body.size() >= 8 && base::LoadLe32(body.data()) == kInvokeWithLayerId) {
    out.layer = static_cast<int32_t>(base::LoadLe32(body.data() + 4));
    layer = *out.layer;
    body.remove_prefix(8);
  }
  const Layer* client = ForLayer(layer);
  const tl::Schema& schema = client != nullptr ? *client->schema : *pinned_;
  tl::DynamicCodec codec(&schema);
  tl::Reader reader(body);
  absl::StatusOr<tl::Value> value = codec.DecodeBoxed(reader, "Function");
  if (!value.ok()) return value.status();
  if (reader.remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("trailing bytes after ", value->ctor->name, " (layer ", schema.layer, ")"));
  }
  tl::Value call = *std::move(value);
  while (IsWrapper(*call.ctor)) {
    const std::string& name = call.ctor->name;
    if (name == "initConnection") {
      ClientInfo info;
      if (const tl::Value* api_id = call.Field("api_id"); api_id != nullptr) {
        info.api_id = static_cast<int32_t>(api_id->i);
      }
      info.device_model = FieldString(call, "device_model");
      info.system_version = FieldString(call, "system_version");
      info.app_version = FieldString(call, "app_version");
      info.lang_code = FieldString(call, "lang_code");
      info.instance = InstanceParam(call);
      out.client = std::move(info);
    } else if (name == "invokeWithoutUpdates") {
      out.without_updates = true;
    } else if (name == "invokeWithLayer") {
      const tl::Value* inner_layer = call.Field("layer");
      if (inner_layer != nullptr &&
          EffectiveLayer(static_cast<int>(inner_layer->i)) != EffectiveLayer(layer)) {
        return absl::InvalidArgumentError("nested invokeWithLayer switches the layer");
      }
    }
    tl::Value inner = *call.Field("query");
    call = std::move(inner);
  }
  out.name = call.ctor->name;
  if (client != nullptr) {
    absl::StatusOr<tl::Value> pinned_call = client->up->Translate(call);
    if (!pinned_call.ok()) return pinned_call.status();
    call = *std::move(pinned_call);
  }
  tl::DynamicCodec pinned_codec(pinned_.get());
  absl::StatusOr<std::string> bytes = pinned_codec.EncodeBoxed(call);
  if (!bytes.ok()) return bytes.status();
  tl::Reader pinned_reader(*bytes);
  out.call = tl::ReadAnyFunction(pinned_reader);
  if (!pinned_reader.ok()) return pinned_reader.status();
  if (out.call == nullptr) {
    return absl::InternalError(absl::StrCat("no generated type for ", out.name));
  }
  return out;
}

absl::StatusOr<std::string> LayerSchemas::EncodeResult(absl::string_view pinned_bytes,
                                                       absl::string_view method, int layer) const {
  const Layer* client = ForLayer(layer);
  if (client == nullptr) return std::string(pinned_bytes);
  const tl::Combinator* pinned_method = pinned_->ByName(method);
  const tl::Combinator* client_method = client->schema->ByName(method);
  if (pinned_method == nullptr || client_method == nullptr) {
    return absl::NotFoundError(absl::StrCat(method, " is not in layer ", client->schema->layer));
  }
  tl::DynamicCodec pinned_codec(pinned_.get());
  tl::Reader reader(pinned_bytes);
  tl::Value value = pinned_codec.Decode(reader, pinned_method->result, pinned_method);
  if (!reader.ok()) return reader.status();
  // Methods that answered Updates in older layers and now wrap it (messages.invitedUsers for
  // messages.createChat, addChatUser and channels.inviteToChannel; messages.chatInviteJoinResultOk
  // for channels.joinChannel) answer those layers with the Updates inside, as Telegram does.
  if (client_method->result.name == "Updates" && value.ctor != nullptr &&
      value.ctor->result.name != "Updates") {
    if (const tl::Value* updates = value.Field("updates"); updates != nullptr) {
      tl::Value inner = *updates;
      value = std::move(inner);
    }
  }
  absl::StatusOr<tl::Value> translated = client->down->TranslateAs(value, client_method->result);
  if (!translated.ok()) return translated.status();
  std::string out;
  tl::Writer writer(&out);
  tl::DynamicCodec client_codec(client->schema.get());
  absl::Status status = client_codec.Encode(*translated, client_method->result, writer);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::string> LayerSchemas::EncodeObject(absl::string_view pinned_bytes,
                                                       int layer) const {
  const Layer* client = ForLayer(layer);
  if (client == nullptr) return std::string(pinned_bytes);
  tl::DynamicCodec pinned_codec(pinned_.get());
  absl::StatusOr<tl::Value> value = pinned_codec.Decode(pinned_bytes, "Object");
  if (!value.ok()) return value.status();
  absl::StatusOr<tl::Value> translated = client->down->Translate(*value);
  if (!translated.ok()) return translated.status();
  return tl::DynamicCodec(client->schema.get()).EncodeBoxed(*translated);
}

}  // namespace tgrpc::fakedc
