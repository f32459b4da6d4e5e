// Hand-built TL updates and a compact reading of the sequencer's output, for its tests.
#ifndef TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_TEST_UTIL_H_
#define TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/updates/update_sequencer.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::service::updates::testing {

namespace api = tl::api;
template <class T>
using Ptr = tl::Ptr<T>;

inline constexpr int64_t kSelf = 1000;
inline const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
inline absl::Time At(int ms) { return kT0 + absl::Milliseconds(ms); }

inline Ptr<api::Peer> UserPeer(int64_t id) {
  auto p = std::make_unique<api::peerUser>();
  p->user_id = id;
  return p;
}
inline Ptr<api::Peer> ChannelPeer(int64_t id) {
  auto p = std::make_unique<api::peerChannel>();
  p->channel_id = id;
  return p;
}

inline Ptr<api::Message> Msg(int32_t id, Ptr<api::Peer> peer, int32_t date = 1700000000) {
  auto m = std::make_unique<api::message>();
  m->id = id;
  m->peer_id = std::move(peer);
  m->date = date;
  m->message_ = absl::StrCat("text ", id);
  return m;
}

// A private message; its id is its pts, so the labels below show the pts.
inline Ptr<api::Update> NewMessage(int32_t pts, int32_t pts_count = 1) {
  auto u = std::make_unique<api::updateNewMessage>();
  u->message = Msg(pts, UserPeer(7));
  u->pts = pts;
  u->pts_count = pts_count;
  return u;
}
inline Ptr<api::Update> DeleteMessages(int32_t pts, int32_t pts_count) {
  auto u = std::make_unique<api::updateDeleteMessages>();
  u->messages = {1};
  u->pts = pts;
  u->pts_count = pts_count;
  return u;
}
inline Ptr<api::Update> ChannelMessage(int64_t channel, int32_t pts, int32_t pts_count = 1) {
  auto u = std::make_unique<api::updateNewChannelMessage>();
  u->message = Msg(pts, ChannelPeer(channel));
  u->pts = pts;
  u->pts_count = pts_count;
  return u;
}
inline Ptr<api::Update> ChannelDelete(int64_t channel, int32_t pts, int32_t pts_count) {
  auto u = std::make_unique<api::updateDeleteChannelMessages>();
  u->channel_id = channel;
  u->messages = {1};
  u->pts = pts;
  u->pts_count = pts_count;
  return u;
}
inline Ptr<api::Update> ChannelTooLong(int64_t channel, std::optional<int32_t> pts = {}) {
  auto u = std::make_unique<api::updateChannelTooLong>();
  u->channel_id = channel;
  u->pts = pts;
  return u;
}
inline Ptr<api::Update> Qts(int32_t qts) {
  auto u = std::make_unique<api::updateBotStopped>();
  u->user_id = 9;
  u->qts = qts;
  return u;
}
// Not ordered: applied as it comes.
inline Ptr<api::Update> Plain(int64_t user_id) {
  auto u = std::make_unique<api::updateUserPhone>();
  u->user_id = user_id;
  return u;
}

inline Ptr<api::Updates> Short(Ptr<api::Update> u, int32_t date = 1700000001) {
  auto s = std::make_unique<api::updateShort>();
  s->update = std::move(u);
  s->date = date;
  return s;
}

template <class... U>
std::vector<Ptr<api::Update>> List(U... u) {
  std::vector<Ptr<api::Update>> v;
  (v.push_back(std::move(u)), ...);
  return v;
}

inline Ptr<api::Updates> Container(int32_t seq, std::vector<Ptr<api::Update>> updates,
                                   int32_t date = 1700000002) {
  auto c = std::make_unique<api::updates>();
  c->updates_ = std::move(updates);
  c->seq = seq;
  c->date = date;
  return c;
}

inline Ptr<api::Updates> Combined(int32_t seq_start, int32_t seq,
                                  std::vector<Ptr<api::Update>> updates,
                                  int32_t date = 1700000003) {
  auto c = std::make_unique<api::updatesCombined>();
  c->updates = std::move(updates);
  c->seq_start = seq_start;
  c->seq = seq;
  c->date = date;
  return c;
}

inline Ptr<api::User> EmptyUser(int64_t id) {
  auto u = std::make_unique<api::userEmpty>();
  u->id = id;
  return u;
}

inline Ptr<api::updates_State> State(int32_t pts, int32_t qts, int32_t seq, int32_t date) {
  auto s = std::make_unique<api::updates_state>();
  s->pts = pts;
  s->qts = qts;
  s->seq = seq;
  s->date = date;
  return s;
}

inline UpdateState StartState(int32_t pts = 10, int32_t qts = 5, int32_t seq = 3) {
  UpdateState s;
  s.pts = pts;
  s.qts = qts;
  s.seq = seq;
  s.date = 1690000000;
  return s;
}

inline Ptr<api::Update> DecodeUpdate(const std::string& bytes) {
  absl::StatusOr<Ptr<api::Update>> u = tl::Decode<api::Update>(bytes);
  return u.ok() ? *std::move(u) : nullptr;
}

inline int32_t MessageId(const api::Message* m) {
  const auto* v = dynamic_cast<const api::message*>(m);
  return v == nullptr ? -1 : v->id;
}

// "m11": updateNewMessage of message 11; "c5/m100": channel 5's message 100; "del13",
// "c5/del13": deletions ending at that pts; "q6": qts 6; "u42": updateUserPhone of user 42.
inline std::string Label(const SequencedUpdate& s) {
  Ptr<api::Update> u = DecodeUpdate(s.update);
  if (u == nullptr) return "undecodable";
  if (const auto* v = dynamic_cast<const api::updateNewMessage*>(u.get())) {
    return absl::StrCat("m", MessageId(v->message.get()));
  }
  if (const auto* v = dynamic_cast<const api::updateNewChannelMessage*>(u.get())) {
    return absl::StrCat("c", s.channel_id, "/m", MessageId(v->message.get()));
  }
  if (const auto* v = dynamic_cast<const api::updateDeleteMessages*>(u.get())) {
    return absl::StrCat("del", v->pts);
  }
  if (const auto* v = dynamic_cast<const api::updateDeleteChannelMessages*>(u.get())) {
    return absl::StrCat("c", s.channel_id, "/del", v->pts);
  }
  if (const auto* v = dynamic_cast<const api::updateBotStopped*>(u.get())) {
    return absl::StrCat("q", v->qts);
  }
  if (const auto* v = dynamic_cast<const api::updateUserPhone*>(u.get())) {
    return absl::StrCat("u", v->user_id);
  }
  return u->tl_name();
}

inline std::vector<std::string> Labels(const SequencerOutput& out) {
  std::vector<std::string> v;
  for (const SequencedUpdate& s : out.accepted) v.push_back(Label(s));
  return v;
}

using Strings = std::vector<std::string>;
using Ids = std::vector<int64_t>;

}  // namespace tgrpc::service::updates::testing

#endif  // TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_TEST_UTIL_H_
