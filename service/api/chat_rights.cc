#include "service/api/chat_rights.h"

#include <memory>

namespace tgrpc::service {

namespace api = tl::api;

void ToProto(const api::ChatAdminRights& rights, v1::ChatAdminRights* out) {
  const auto* r = dynamic_cast<const api::chatAdminRights*>(&rights);
  if (r == nullptr) return;
  out->set_change_info(r->change_info);
  out->set_post_messages(r->post_messages);
  out->set_edit_messages(r->edit_messages);
  out->set_delete_messages(r->delete_messages);
  out->set_ban_users(r->ban_users);
  out->set_invite_users(r->invite_users);
  out->set_pin_messages(r->pin_messages);
  out->set_add_admins(r->add_admins);
  out->set_anonymous(r->anonymous);
  out->set_manage_call(r->manage_call);
  out->set_manage_topics(r->manage_topics);
  out->set_other(r->other);
}

tl::Ptr<api::ChatAdminRights> ToTl(const v1::ChatAdminRights& rights) {
  auto out = std::make_unique<api::chatAdminRights>();
  out->change_info = rights.change_info();
  out->post_messages = rights.post_messages();
  out->edit_messages = rights.edit_messages();
  out->delete_messages = rights.delete_messages();
  out->ban_users = rights.ban_users();
  out->invite_users = rights.invite_users();
  out->pin_messages = rights.pin_messages();
  out->add_admins = rights.add_admins();
  out->anonymous = rights.anonymous();
  out->manage_call = rights.manage_call();
  out->manage_topics = rights.manage_topics();
  out->other = rights.other();
  return out;
}

bool AnyRight(const v1::ChatAdminRights& rights) {
  return rights.ByteSizeLong() != 0;  // proto3: only true bools are on the wire
}

void ToProto(const api::ChatBannedRights& rights, v1::ChatPermissions* out) {
  const auto* r = dynamic_cast<const api::chatBannedRights*>(&rights);
  if (r == nullptr) return;
  out->set_send_messages(!r->send_messages && !r->send_plain);
  out->set_send_media(!r->send_media);
  out->set_send_stickers(!r->send_stickers && !r->send_gifs);
  out->set_send_polls(!r->send_polls);
  out->set_send_inline(!r->send_inline && !r->send_games);
  out->set_embed_links(!r->embed_links);
  out->set_change_info(!r->change_info);
  out->set_invite_users(!r->invite_users);
  out->set_pin_messages(!r->pin_messages);
  out->set_manage_topics(!r->manage_topics);
}

tl::Ptr<api::ChatBannedRights> BannedRightsOf(const v1::ChatPermissions& permissions,
                                              int32_t until_date, bool view_messages) {
  auto out = std::make_unique<api::chatBannedRights>();
  out->view_messages = view_messages;
  out->send_messages = !permissions.send_messages();
  out->send_plain = !permissions.send_messages();
  const bool no_media = !permissions.send_media();
  out->send_media = no_media;
  out->send_photos = out->send_videos = out->send_roundvideos = out->send_audios =
      out->send_voices = out->send_docs = no_media;
  out->send_stickers = out->send_gifs = !permissions.send_stickers();
  out->send_polls = !permissions.send_polls();
  out->send_inline = out->send_games = !permissions.send_inline();
  out->embed_links = !permissions.embed_links();
  out->change_info = !permissions.change_info();
  out->invite_users = !permissions.invite_users();
  out->pin_messages = !permissions.pin_messages();
  out->manage_topics = !permissions.manage_topics();
  out->until_date = until_date;
  return out;
}

}  // namespace tgrpc::service
