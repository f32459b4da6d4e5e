#include "tests/fakedc/fakedc.h"

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "asio.hpp"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/handshake/bind_temp_auth_key.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/session/salts.h"
#include "mtproto/session/session_server.h"
#include "mtproto/transport/server_transport.h"
#include "tests/fakedc/dc_connection.h"
#include "tests/fakedc/layers.h"
#include "tests/fakedc/listener.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/server.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using mtproto::crypto::AuthKey;

}  // namespace

absl::Status FakeDc::Impl::Init() {
  // The RSA key and the handshake config shared by every DC.
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> rsa =
      options_.rsa_key_pem.empty() ? mtproto::crypto::RsaPrivateKey::Generate(2048)
                                   : mtproto::crypto::RsaPrivateKey::FromPem(options_.rsa_key_pem);
  if (!rsa.ok()) return rsa.status();
  absl::StatusOr<std::string> pem = rsa->public_key().ToPem();
  if (!pem.ok()) return pem.status();
  public_pem_ = *pem;
  fingerprint_ = rsa->public_key().fingerprint();
  auto config = std::make_shared<mtproto::handshake::ServerHandshakeConfig>();
  config->rsa_keys.push_back(*std::move(rsa));
  handshake_config_ = std::move(config);

  // Layers: the pinned schema and whatever older ones are present.
  std::vector<std::string> older;
  for (const char* name : {"api_layer144.tl", "api_layer198.tl", "api_layer227.tl"}) {
    const std::string path = absl::StrCat(options_.schema_dir, "/", name);
    if (std::filesystem::exists(path)) older.push_back(path);
  }
  absl::StatusOr<std::unique_ptr<LayerSchemas>> layers =
      LayerSchemas::Load(absl::StrCat(options_.schema_dir, "/api.tl"), older);
  if (!layers.ok()) return layers.status();
  layers_ = *std::move(layers);
  builder_ = std::make_unique<ObjectBuilder>(&layers_->pinned_schema());

  if (options_.state_dir.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    options_.state_dir =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/fakedc-", options_.seed, "-", getpid());
  }
  std::error_code error;
  std::filesystem::create_directories(options_.state_dir + "/files", error);
  if (!error) std::filesystem::create_directories(options_.state_dir + "/codes", error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", options_.state_dir, ": ", error.message()));
  }

  // The DCs 1..dc_count, each listening on its main endpoint; then the media-only endpoint of
  // media_dc (a DC of its own if it is not one of them).
  if (options_.files_dc != 0 && (options_.files_dc < 1 || options_.files_dc > options_.dc_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("files_dc ", options_.files_dc, " is not a DC (1..", options_.dc_count, ")"));
  }
  if (options_.network_dc != 0 &&
      (options_.network_dc < 1 || options_.network_dc > options_.dc_count)) {
    return absl::InvalidArgumentError(absl::StrCat("network_dc ", options_.network_dc,
                                                   " is not a DC (1..", options_.dc_count, ")"));
  }
  const auto add_dc = [this](int id) {
    auto dc = std::make_unique<Dc>();
    dc->id = id;
    Dc* raw = dc.get();
    dc->slots =
        std::make_unique<SessionSlots>(options_.max_sessions_per_key, dc->session_options.clock);
    dc->session_options.max_sessions_per_key = dc->slots->server_limit();
    dc->sessions = std::make_unique<mtproto::session::SessionServer>(
        [raw](uint64_t auth_key_id) -> std::optional<mtproto::session::ServerKey> {
          auto it = raw->keys.find(auth_key_id);
          if (it == raw->keys.end()) return std::nullopt;
          return mtproto::session::ServerKey{it->second.key, it->second.first_salt};
        },
        dc->session_options);
    dcs_.push_back(std::move(dc));
    return raw;
  };
  for (int id = 1; id <= options_.dc_count; ++id) {
    listeners_.push_back({add_dc(id), false});
  }
  Dc* media = options_.media_dc >= 1 && options_.media_dc <= options_.dc_count
                  ? dcs_[options_.media_dc - 1].get()
                  : add_dc(options_.media_dc);
  listeners_.push_back({media, true});
  if (options_.cdn_min_size > 0) {
    if (absl::Status cdn = AddCdnDc(add_dc); !cdn.ok()) return cdn;
  }
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (i < options_.ports.size()) listeners_[i].port = options_.ports[i];
  }
  if (absl::Status listening = ListenAll(); !listening.ok()) return listening;
  for (const Endpoint& endpoint : listeners_) {
    endpoints_.push_back({endpoint.dc->id, endpoint.media_only, endpoint.port, endpoint.dc->cdn});
  }

  env_.world = &world_;
  env_.builder = builder_.get();
  env_.address = options_.address;
  env_.endpoints = endpoints_;
  env_.files_dir = options_.state_dir + "/files";
  env_.codes_dir = options_.state_dir + "/codes";
  env_.files_dc = options_.files_dc;
  env_.network_dc = options_.network_dc;
  if (options_.cdn_min_size > 0) {
    env_.cdn_dc = options_.cdn_dc;
    env_.cdn_min_size = options_.cdn_min_size;
    env_.cdn_public_key_pem = cdn_public_pem_;
  }
  env_.push = [this](int64_t user_id, const api::Updates& updates, uint64_t except_session) {
    Push(user_id, updates, except_session);
  };
  env_.after = [this](int milliseconds, std::function<void()> run) {
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(std::chrono::milliseconds(milliseconds));
    timer->async_wait([timer, run = std::move(run)](const asio::error_code& error) {
      if (!error) run();
    });
  };
  env_.push_to_key = [this](uint64_t auth_key_id, const api::Updates& updates) {
    PushToKey(auth_key_id, updates);
  };
  RegisterHelpMethods(dispatcher_, env_);
  RegisterAuthMethods(dispatcher_, env_);
  RegisterUserMethods(dispatcher_, env_);
  RegisterContactMethods(dispatcher_, env_);
  RegisterUpdateMethods(dispatcher_, env_);
  RegisterMessageMethods(dispatcher_, env_);
  RegisterChannelMethods(dispatcher_, env_);
  RegisterChatMethods(dispatcher_, env_);
  RegisterUploadMethods(dispatcher_, env_);
  RegisterBotMethods(dispatcher_, env_);
  RegisterCdnMethods(dispatcher_, env_);
  RegisterCallGuards(dispatcher_, env_);
  if (options_.seed_data) SeedWorld(world_, options_.big_channel_members);
  world_.flood().SetLimits(options_.flood_limits);

  work_.emplace(asio::make_work_guard(io_));
  thread_ = std::thread([this] { io_.run(); });
  return absl::OkStatus();
}

absl::Status FakeDc::Impl::AddCdnDc(const std::function<Dc*(int)>& add_dc) {
  const int id = options_.cdn_dc;
  const bool taken = (id >= 1 && id <= options_.dc_count) || id == options_.media_dc;
  if (id < 1 || id > 9999 || taken) {
    return absl::InvalidArgumentError(
        absl::StrCat("cdn_dc ", id, " must be a DC id of its own (not 1..", options_.dc_count,
                     " nor the media DC ", options_.media_dc, ")"));
  }
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> rsa =
      options_.cdn_rsa_key_pem.empty()
          ? mtproto::crypto::RsaPrivateKey::Generate(2048)
          : mtproto::crypto::RsaPrivateKey::FromPem(options_.cdn_rsa_key_pem);
  if (!rsa.ok()) return rsa.status();
  absl::StatusOr<std::string> pem = rsa->public_key().ToPem();
  if (!pem.ok()) return pem.status();
  cdn_public_pem_ = *pem;
  // Clients make their key on the CDN DC with its own RSA key, the one help.getCdnConfig gives.
  auto config = std::make_shared<mtproto::handshake::ServerHandshakeConfig>();
  config->rsa_keys.push_back(*std::move(rsa));
  Dc* cdn = add_dc(id);
  cdn->cdn = true;
  cdn->handshake = std::move(config);
  listeners_.push_back({cdn, false});
  return absl::OkStatus();
}

void FakeDc::Impl::Shutdown() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    CloseAll();
    work_.reset();
    io_.stop();
  });
  thread_.join();
}

void FakeDc::Impl::RunOnServer(const std::function<void()>& fn) {
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

absl::Status FakeDc::Impl::ListenAll() {
  for (Endpoint& endpoint : listeners_) {
    Dc* dc = endpoint.dc;
    const bool media_only = endpoint.media_only;
    endpoint.listener = std::make_unique<Listener>(
        io_, [this, dc, media_only](const std::shared_ptr<Connection>& connection) {
          const int64_t id = ++last_connection_id_;
          Log(absl::StrCat("dc", dc->id, media_only ? " (media)" : "", " #", id,
                           ": connection from ", connection->peer()));
          std::erase_if(connections_, [](const auto& c) { return c.second.connection.expired(); });
          auto handler = std::make_unique<DcConnection>(*this, *dc, media_only, id, connection);
          connections_[id] = {connection, handler.get()};
          return handler;
        });
    // Port 0 picks a free port the first time; a restart binds the same one again.
    absl::Status listening = endpoint.listener->Listen(options_.address, endpoint.port);
    if (!listening.ok()) return listening;
    endpoint.port = endpoint.listener->port();
  }
  return absl::OkStatus();
}

void FakeDc::Impl::CloseAll() {
  for (Endpoint& endpoint : listeners_) {
    if (endpoint.listener == nullptr) continue;
    endpoint.listener->Stop();
    // An accept that completed before Stop may still call into its listener: keep it alive.
    closed_listeners_.push_back(std::move(endpoint.listener));
  }
  DropConnections();
}

void FakeDc::Impl::DropConnections(int dc_id) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto connection = it->second.connection.lock();
    if (connection != nullptr && dc_id != 0 && it->second.handler->dc_id() != dc_id) {
      ++it;
      continue;
    }
    if (connection != nullptr) connection->Close(false);
    it = connections_.erase(it);
  }
  for (auto& dc : dcs_) {
    if (dc_id == 0 || dc->id == dc_id) dc->routes.clear();
  }
}

bool FakeDc::Impl::DropConnection(int64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  auto connection = it->second.connection.lock();
  connections_.erase(it);
  if (connection == nullptr) return false;
  connection->Close(false);
  return true;
}

std::vector<ConnectionInfo> FakeDc::Impl::Connections() {
  std::vector<ConnectionInfo> out;
  for (const auto& [id, open] : connections_) {
    auto connection = open.connection.lock();
    if (connection == nullptr || open.handler->closed()) continue;
    ConnectionInfo info;
    info.id = id;
    info.dc_id = open.handler->dc_id();
    info.media_only = open.handler->media_only();
    info.peer = connection->peer();
    info.transport = open.handler->transport();
    info.packets = open.handler->packets();
    if (std::optional<uint64_t> key = open.handler->auth_key_id()) {
      info.auth_key_id = *key;
      for (const auto& dc : dcs_) {
        if (dc->id != info.dc_id) continue;
        auto record = dc->keys.find(*key);
        const uint64_t perm =
            record == dc->keys.end() ? *key : record->second.bound_perm_id.value_or(*key);
        info.user_id = world_.UserOfKey(perm);
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<std::string> FakeDc::Impl::Handshake(mtproto::handshake::ServerHandshake& handshake,
                                                    Dc& dc, absl::string_view message) {
  absl::StatusOr<std::string> answer = handshake.HandleMessage(message);
  if (!answer.ok()) return answer.status();
  if (handshake.done()) {
    const mtproto::handshake::ServerHandshakeResult& result = handshake.result();
    KeyRecord record{result.auth_key, static_cast<uint64_t>(result.first_server_salt),
                     result.temporary, result.expires_at};
    const uint64_t id = result.auth_key.id();
    dc.keys.insert_or_assign(id, std::move(record));
    Log(absl::StrCat(
        "dc", dc.id, ": new ", result.temporary ? "temporary" : "permanent", " key ", absl::Hex(id),
        " (", mtproto::handshake::InnerDataKindName(result.inner_data), ", ",
        result.rsa_scheme == mtproto::handshake::RsaScheme::kRsaPad ? "RSA_PAD" : "legacy RSA",
        result.dh_retries > 0 ? absl::StrCat(", ", result.dh_retries, " retries") : "", ")"));
  }
  return answer;
}

void FakeDc::Impl::OnEncrypted(Dc& dc, bool media_only,
                               const std::shared_ptr<Connection>& connection, DcConnection& handler,
                               std::string packet) {
  ExpireTemporaryKey(dc, packet);
  if (faults_.TakeBadSalt(dc.id, handler.id())) ForceNewSalt(dc, packet);
  MakeSessionRoom(dc, packet);
  absl::StatusOr<mtproto::session::SessionServer::Incoming> incoming = dc.sessions->OnPacket(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
  if (!incoming.ok()) {
    // No packet goes unanswered: a client whose packet vanished would wait for the answer
    // forever. Telegram's transport errors: -429 for a new session past the key's limit (its
    // answer when a limit is reached; clients back off and reconnect), -404 for an unknown key
    // and for a packet that does not decrypt under its key (a broken key to the server; clients
    // read -404 as a forgotten or broken key and make a new one).
    const int32_t error = absl::IsResourceExhausted(incoming.status()) ? -429 : -404;
    Log(absl::StrCat("dc", dc.id, ": packet refused (transport error ", error,
                     "): ", incoming.status().ToString()));
    handler.SendTransportError(error);
    return;
  }
  dc.slots->Used(incoming->auth_key_id, incoming->session_id, handler.id());
  handler.set_auth_key_id(incoming->auth_key_id);
  // A session that shows up on another connection gets again what it has not acknowledged (an
  // answer may have gone down with the old connection after a separate msgs_ack of its query).
  auto previous = dc.routes.find(incoming->session_id);
  const bool moved = previous != dc.routes.end() &&
                     previous->second.connection.lock() != connection &&
                     incoming->session != nullptr;
  dc.routes[incoming->session_id] = {connection, &handler, media_only};
  if (moved && incoming->session->unacked_count() > 0) {
    Log(absl::StrCat("dc", dc.id, ": session ", incoming->session_id, " on a new connection: ",
                     incoming->session->unacked_count(), " unacknowledged messages sent again"));
    incoming->session->ResendUnacked();
  }
  for (const mtproto::session::ServerEvent& event : incoming->events) {
    if (const auto* call = std::get_if<mtproto::session::ServerRpcCallEvent>(&event)) {
      HandleCall(dc, handler.id(), incoming->auth_key_id, *incoming->session, *call);
    } else if (const auto* destroyed =
                   std::get_if<mtproto::session::ServerSessionDestroyedEvent>(&event)) {
      dc.slots->Destroyed(incoming->auth_key_id, destroyed->session_id);
      dc.routes.erase(destroyed->session_id);
    } else if (const auto* rejected = std::get_if<mtproto::session::ServerRejectedEvent>(&event)) {
      Log(absl::StrCat("dc", dc.id, ": rejected msg ", rejected->msg_id, " (", rejected->error_code,
                       "): ", rejected->reason));
    }
  }
  Flush(dc, *incoming->session, handler);
}

void FakeDc::Impl::MakeSessionRoom(Dc& dc, absl::string_view packet) {
  absl::StatusOr<uint64_t> auth_key_id = mtproto::crypto::PeekAuthKeyId(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(packet.data()), packet.size()));
  if (!auth_key_id.ok()) return;
  const std::optional<uint64_t> freed = dc.slots->MakeRoom(*dc.sessions, *auth_key_id);
  if (!freed.has_value()) return;
  dc.routes.erase(*freed);
  Log(absl::StrCat("dc", dc.id, ": key ", absl::Hex(*auth_key_id), " has ",
                   options_.max_sessions_per_key, " sessions: session ", *freed,
                   " (no connection since it was last used) freed"));
}

void FakeDc::Impl::ExpireTemporaryKey(Dc& dc, absl::string_view packet) {
  absl::StatusOr<uint64_t> auth_key_id = mtproto::crypto::PeekAuthKeyId(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(packet.data()), packet.size()));
  if (!auth_key_id.ok()) return;
  auto key = dc.keys.find(*auth_key_id);
  if (key == dc.keys.end() || !key->second.temporary ||
      key->second.expires_at > static_cast<int64_t>(time(nullptr))) {
    return;
  }
  Log(absl::StrCat("dc", dc.id, ": temporary key ", absl::Hex(*auth_key_id),
                   " expired: forgotten (-404 to its packets)"));
  ForgetKey(dc, *auth_key_id);
}

void FakeDc::Impl::ForgetKey(Dc& dc, uint64_t auth_key_id) {
  dc.keys.erase(auth_key_id);
  // Its sessions go too; their routes stay until reused (pushes look sessions up by key).
  dc.sessions->ForgetKey(auth_key_id);
  dc.slots->ForgetKey(auth_key_id);
}

void FakeDc::Impl::ForceNewSalt(Dc& dc, absl::string_view packet) {
  absl::StatusOr<uint64_t> auth_key_id = mtproto::crypto::PeekAuthKeyId(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(packet.data()), packet.size()));
  if (!auth_key_id.ok()) return;
  auto key = dc.keys.find(*auth_key_id);
  if (key == dc.keys.end()) return;
  // A key's first packet is checked against the key exchange's salt: forget it. Afterwards the
  // session server's schedule is replaced by a fresh one, whose salts are new random values.
  key->second.first_salt.reset();
  if (mtproto::session::ServerSalts* salts = dc.sessions->FindSalts(*auth_key_id)) {
    *salts = mtproto::session::ServerSalts(
        dc.session_options.random, dc.session_options.salt_period, dc.session_options.salt_grace);
  }
  Log(absl::StrCat("dc", dc.id, ": fault: new salt for key ", absl::Hex(*auth_key_id),
                   ", this packet gets bad_server_salt"));
}

bool FakeDc::Impl::KeyUsedTwice(Dc& dc, int64_t connection_id, uint64_t perm_key,
                                uint64_t session_id) {
  if (dc.duplicated_keys.contains(perm_key)) return true;
  auto instance = dc.session_instance.find(session_id);
  if (instance == dc.session_instance.end()) return false;  // a client that names no instance
  for (const auto& [other, use] : dc.connection_use) {
    if (other != connection_id && use.perm_key == perm_key && use.instance != instance->second) {
      dc.duplicated_keys.insert(perm_key);
      ++duplicated_keys_;
      Log(absl::StrCat("dc", dc.id, ": AUTH_KEY_DUPLICATED: key ", absl::Hex(perm_key), " used by ",
                       instance->second, " while ", use.instance, " has it open (connection #",
                       other, "); the key is revoked"));
      return true;
    }
  }
  dc.connection_use[connection_id] = {perm_key, instance->second};
  return false;
}

void FakeDc::Impl::Flush(Dc& dc, mtproto::session::ServerSession& session, DcConnection& handler) {
  for (;;) {
    absl::StatusOr<std::optional<std::string>> packet = session.BuildPacket();
    if (!packet.ok()) {
      Log(absl::StrCat("dc", dc.id, ": cannot build a packet: ", packet.status().ToString()));
      return;
    }
    if (!packet->has_value()) return;
    handler.SendFrame(**packet);
  }
}

void FakeDc::Impl::HandleCall(Dc& dc, int64_t connection_id, uint64_t auth_key_id,
                              mtproto::session::ServerSession& session,
                              const mtproto::session::ServerRpcCallEvent& call) {
  KeyRecord& key = dc.keys.at(auth_key_id);
  const int layer_before = key.layer != 0 ? key.layer : layers_->pinned_layer();
  absl::StatusOr<UnwrappedCall> unwrapped = layers_->DecodeCall(call.body, layer_before);
  if (!unwrapped.ok()) {
    Log(absl::StrCat("dc", dc.id, ": undecodable call: ", unwrapped.status().ToString()));
    session.SendRpcError(call.req_msg_id, 400, "INPUT_REQUEST_INVALID");
    return;
  }
  if (unwrapped->layer.has_value()) key.layer = *unwrapped->layer;
  const int layer = key.layer != 0 ? key.layer : layers_->pinned_layer();

  CallContext context;
  context.dc_id = dc.id;
  context.auth_key_id = key.bound_perm_id.value_or(auth_key_id);
  context.session_id = session.session_id();
  context.layer = layer;
  context.user_id = world_.UserOfKey(context.auth_key_id);
  context.without_updates = unwrapped->without_updates;
  if (unwrapped->client.has_value() && !unwrapped->client->instance.empty()) {
    dc.session_instance[session.session_id()] = unwrapped->client->instance;
  }
  if (KeyUsedTwice(dc, connection_id, context.auth_key_id, session.session_id())) {
    Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name, " -> rpc_error 406 AUTH_KEY_DUPLICATED"));
    session.SendRpcError(call.req_msg_id, 406, "AUTH_KEY_DUPLICATED");
    return;
  }

  absl::StatusOr<std::string> result;
  if (const auto* bind = dynamic_cast<const api::auth_bindTempAuthKey*>(unwrapped->call.get())) {
    mtproto::handshake::BindRequestContext bind_context;
    bind_context.auth_key_id = auth_key_id;
    bind_context.key_is_temporary = key.temporary;
    bind_context.session_id = static_cast<int64_t>(session.session_id());
    bind_context.msg_id = call.req_msg_id;
    bind_context.bound_perm_auth_key_id = key.bound_perm_id;
    absl::StatusOr<mtproto::handshake::TempKeyBinding> binding =
        mtproto::handshake::VerifyBindTempAuthKey(*bind, bind_context,
                                                  [&dc](uint64_t id) -> std::optional<AuthKey> {
                                                    auto it = dc.keys.find(id);
                                                    if (it == dc.keys.end() || it->second.temporary)
                                                      return std::nullopt;
                                                    return it->second.key;
                                                  });
    if (binding.ok()) {
      key.bound_perm_id = binding->perm_auth_key_id;
      Log(absl::StrCat("dc", dc.id, ": temporary key ", absl::Hex(auth_key_id), " bound to ",
                       absl::Hex(binding->perm_auth_key_id)));
      // A permanent key is bound to one temporary key at a time: the new binding replaces the
      // old one, whose packets then get -404, as Telegram's do.
      std::vector<uint64_t> replaced;
      for (const auto& [id, other] : dc.keys) {
        if (id != auth_key_id && other.temporary &&
            other.bound_perm_id == binding->perm_auth_key_id) {
          replaced.push_back(id);
        }
      }
      for (uint64_t id : replaced) {
        Log(absl::StrCat("dc", dc.id, ": temporary key ", absl::Hex(id),
                         " replaced: forgotten (-404 to its packets)"));
        ForgetKey(dc, id);
      }
      result = std::string("\xb5\x75\x72\x99", 4);  // boolTrue
    } else {
      result = BadRequest(mtproto::handshake::BindErrorType(binding.status()));
    }
  } else {
    context.defer = [this, dc_id = dc.id, auth_key_id, session_id = session.session_id(),
                     req_msg_id = call.req_msg_id, name = unwrapped->name, layer] {
      return [=](absl::StatusOr<std::string> later) {
        SendLater(dc_id, auth_key_id, session_id, req_msg_id, name, layer, std::move(later));
      };
    };
    result = dispatcher_.Dispatch(*unwrapped->call, context);
    if (!result.ok() && IsDeferred(result.status())) {
      Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name, " answered later"));
      return;
    }
  }
  if (!result.ok()) {
    auto [code, message] = ToRpcError(result.status());
    if (code == 500) {
      Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name,
                       " failed: ", result.status().ToString()));
    }
    Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name, " -> rpc_error ", code, " ", message));
    session.SendRpcError(call.req_msg_id, code, message);
    return;
  }
  absl::StatusOr<std::string> answer = layers_->EncodeResult(*result, unwrapped->name, layer);
  if (!answer.ok()) {
    Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name, ": cannot answer in layer ", layer, ": ",
                     answer.status().ToString()));
    session.SendRpcError(call.req_msg_id, 500, "INTERNAL_SERVER_ERROR");
    return;
  }
  Log(absl::StrCat("dc", dc.id, ": ", unwrapped->name, " (layer ", layer, ") -> ", answer->size(),
                   " bytes"));
  session.SendRpcResult(call.req_msg_id, *std::move(answer));
}

void FakeDc::Impl::SendLater(int dc_id, uint64_t auth_key_id, uint64_t session_id,
                             int64_t req_msg_id, const std::string& name, int layer,
                             absl::StatusOr<std::string> result) {
  for (auto& dc : dcs_) {
    if (dc->id != dc_id) continue;
    mtproto::session::ServerSession* session = dc->sessions->FindSession(auth_key_id, session_id);
    auto route = dc->routes.find(session_id);
    if (session == nullptr || route == dc->routes.end() || route->second.connection.expired()) {
      Log(absl::StrCat("dc", dc_id, ": ", name, ": the session is gone, answer dropped"));
      return;
    }
    absl::StatusOr<std::string> answer =
        result.ok() ? layers_->EncodeResult(*result, name, layer) : result.status();
    if (answer.ok()) {
      Log(absl::StrCat("dc", dc_id, ": ", name, " (later) -> ", answer->size(), " bytes"));
      session->SendRpcResult(req_msg_id, *std::move(answer));
    } else {
      auto [code, message] = ToRpcError(answer.status());
      Log(absl::StrCat("dc", dc_id, ": ", name, " (later) -> rpc_error ", code, " ", message));
      session->SendRpcError(req_msg_id, code, message);
    }
    Flush(*dc, *session, *route->second.handler);
    return;
  }
}

// Whether `updates` moves the receiver's pts (so losing it leaves a gap).
static bool CarriesPts(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return false;
  for (const auto& update : list->updates_) {
    const api::Update* u = update.get();
    if (dynamic_cast<const api::updateNewMessage*>(u) != nullptr ||
        dynamic_cast<const api::updateNewChannelMessage*>(u) != nullptr ||
        dynamic_cast<const api::updateEditMessage*>(u) != nullptr ||
        dynamic_cast<const api::updateEditChannelMessage*>(u) != nullptr ||
        dynamic_cast<const api::updateDeleteMessages*>(u) != nullptr ||
        dynamic_cast<const api::updateDeleteChannelMessages*>(u) != nullptr) {
      return true;
    }
  }
  return false;
}

void FakeDc::Impl::Push(int64_t user_id, const api::Updates& updates, uint64_t except_session) {
  // Updates go to the account's home DC, on main (not media-only) connections, as Telegram's do.
  const UserRecord* user = world_.FindUser(user_id);
  // A push that reaches no session is not sent, so it takes no update fault either (the sender's
  // copy of a message goes to its other sessions, often none).
  if (user == nullptr || !Reaches(*user, except_session)) return;
  if (CarriesPts(updates) && faults_.TakeUpdateGap(user->home_dc)) {
    Log(absl::StrCat("fault: update for user ", user_id, " not sent (an update gap)"));
    return;
  }
  absl::StatusOr<std::string> bytes;
  if (faults_.TakeUpdatesTooLong(user->home_dc)) {
    Log(absl::StrCat("fault: update for user ", user_id, " sent as updatesTooLong"));
    bytes = tl::Serialize(api::updatesTooLong());
  } else {
    bytes = tl::Serialize(updates);
  }
  if (!bytes.ok()) return;
  for (auto& dc : dcs_) {
    if (dc->id != user->home_dc) continue;
    for (auto& [auth_key_id, key] : dc->keys) {
      const uint64_t perm = key.bound_perm_id.value_or(auth_key_id);
      if (world_.UserOfKey(perm) != user_id) continue;
      PushToSessions(*dc, auth_key_id, key, *bytes, except_session, /*main_only=*/true);
    }
  }
}

bool FakeDc::Impl::Reaches(const UserRecord& user, uint64_t except_session) {
  for (auto& dc : dcs_) {
    if (dc->id != user.home_dc) continue;
    for (auto& [auth_key_id, key] : dc->keys) {
      if (world_.UserOfKey(key.bound_perm_id.value_or(auth_key_id)) != user.id) continue;
      for (auto& [session_id, route] : dc->routes) {
        if (session_id == except_session || route.media_only || route.connection.expired()) {
          continue;
        }
        if (dc->sessions->FindSession(auth_key_id, session_id) != nullptr) return true;
      }
    }
  }
  return false;
}

void FakeDc::Impl::PushToKey(uint64_t perm_auth_key_id, const api::Updates& updates) {
  absl::StatusOr<std::string> bytes = tl::Serialize(updates);
  if (!bytes.ok()) return;
  for (auto& dc : dcs_) {
    for (auto& [auth_key_id, key] : dc->keys) {
      if (key.bound_perm_id.value_or(auth_key_id) != perm_auth_key_id) continue;
      PushToSessions(*dc, auth_key_id, key, *bytes, /*except_session=*/0, /*main_only=*/false);
    }
  }
}

void FakeDc::Impl::PushToSessions(Dc& dc, uint64_t auth_key_id, const KeyRecord& key,
                                  const std::string& updates, uint64_t except_session,
                                  bool main_only) {
  const int layer = key.layer != 0 ? key.layer : layers_->pinned_layer();
  absl::StatusOr<std::string> encoded = layers_->EncodeObject(updates, layer);
  if (!encoded.ok()) return;
  for (auto& [session_id, route] : dc.routes) {
    if (session_id == except_session || (main_only && route.media_only)) continue;
    mtproto::session::ServerSession* session = dc.sessions->FindSession(auth_key_id, session_id);
    auto connection = route.connection.lock();
    if (session == nullptr || connection == nullptr) continue;
    session->PushUpdate(*encoded);
    Flush(dc, *session, *route.handler);
  }
}

FakeDc::FakeDc(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FakeDc::~FakeDc() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<FakeDc>> FakeDc::Start(FakeDcOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status status = impl->Init();
  if (!status.ok()) {
    impl->Shutdown();
    return status;
  }
  return std::unique_ptr<FakeDc>(new FakeDc(std::move(impl)));
}

const std::vector<DcEndpoint>& FakeDc::endpoints() const { return impl_->endpoints_; }

uint16_t FakeDc::port(int dc_id) const {
  for (const DcEndpoint& endpoint : impl_->endpoints_) {
    if (endpoint.id == dc_id && !endpoint.media_only) return endpoint.port;
  }
  return 0;
}

const std::string& FakeDc::public_key_pem() const { return impl_->public_pem_; }
uint64_t FakeDc::fingerprint() const { return impl_->fingerprint_; }
const std::string& FakeDc::cdn_public_key_pem() const { return impl_->cdn_public_pem_; }
std::vector<std::string> FakeDc::Methods() const {
  std::vector<std::string> names = impl_->dispatcher_.MethodNames();
  names.push_back("auth.bindTempAuthKey");
  std::sort(names.begin(), names.end());
  return names;
}

int64_t FakeDc::DuplicatedAuthKeys() {
  int64_t count = 0;
  impl_->RunOnServer([&] { count = impl_->duplicated_keys_; });
  return count;
}

void FakeDc::Run(const std::function<void(World&)>& fn) {
  impl_->RunOnServer([&] { fn(impl_->world_); });
}

void FakeDc::SetFaults(const FaultOptions& faults) {
  impl_->RunOnServer([&] {
    impl_->faults_.Set(faults);
    impl_->Log(absl::StrCat("fault: now ", FaultFlags(faults)));
  });
}

FaultOptions FakeDc::faults() {
  FaultOptions out;
  impl_->RunOnServer([&] { out = impl_->faults_.options(); });
  return out;
}

void FakeDc::ForgetTemporaryKeys() {
  impl_->RunOnServer([&] {
    for (auto& dc : impl_->dcs_) {
      std::vector<uint64_t> temporary;
      for (const auto& [id, key] : dc->keys) {
        if (key.temporary) temporary.push_back(id);
      }
      for (uint64_t id : temporary) impl_->ForgetKey(*dc, id);
      impl_->Log(
          absl::StrCat("fault: dc", dc->id, " forgot ", temporary.size(), " temporary keys"));
    }
  });
}

void FakeDc::DropConnections(int dc_id) {
  impl_->RunOnServer([&] {
    impl_->Log(dc_id == 0 ? std::string("fault: dropping every connection")
                          : absl::StrCat("fault: dropping every connection of dc", dc_id));
    impl_->DropConnections(dc_id);
  });
}

bool FakeDc::DropConnection(int64_t id) {
  bool dropped = false;
  impl_->RunOnServer([&] {
    dropped = impl_->DropConnection(id);
    impl_->Log(absl::StrCat("fault: dropping connection #", id, dropped ? "" : " (not open)"));
  });
  return dropped;
}

std::vector<ConnectionInfo> FakeDc::Connections() {
  std::vector<ConnectionInfo> out;
  impl_->RunOnServer([&] { out = impl_->Connections(); });
  return out;
}

absl::Status FakeDc::Restart(absl::Duration down_for) {
  impl_->RunOnServer([&] {
    impl_->Log("fault: restart: closing every listener and connection");
    impl_->CloseAll();
  });
  if (down_for > absl::ZeroDuration()) absl::SleepFor(down_for);
  absl::Status status;
  impl_->RunOnServer([&] {
    status = impl_->ListenAll();
    impl_->Log(status.ok() ? "fault: restart: listening again on the same ports"
                           : absl::StrCat("fault: restart failed: ", status.ToString()));
  });
  return status;
}

}  // namespace tgrpc::fakedc
