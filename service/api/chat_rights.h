// Telegram's rights in groups and channels (chatAdminRights, chatBannedRights) to and from the
// API's ChatAdminRights and ChatPermissions. ChatPermissions is what members may do, the
// complement of chatBannedRights, which lists what they may not.
#ifndef TGRPC_SERVICE_API_CHAT_RIGHTS_H_
#define TGRPC_SERVICE_API_CHAT_RIGHTS_H_

#include <cstdint>

#include "tgrpc/v1/chat.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

void ToProto(const tl::api::ChatAdminRights& rights, v1::ChatAdminRights* out);
tl::Ptr<tl::api::ChatAdminRights> ToTl(const v1::ChatAdminRights& rights);
bool AnyRight(const v1::ChatAdminRights& rights);

void ToProto(const tl::api::ChatBannedRights& rights, v1::ChatPermissions* out);
// chatBannedRights forbidding all that `permissions` does not allow, until `until_date` (0: for
// good); with `view_messages`, a ban.
tl::Ptr<tl::api::ChatBannedRights> BannedRightsOf(const v1::ChatPermissions& permissions,
                                                  int32_t until_date, bool view_messages = false);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_CHAT_RIGHTS_H_
