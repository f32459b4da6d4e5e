// help.*: the config with the DC list, and the nearest DC.
#include "absl/strings/match.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {

namespace api = tl::api;
using tl::Value;

void RegisterHelpMethods(Dispatcher& d, MethodEnv& env) {
  d.On<api::help_getConfig>([&env](const api::help_getConfig&,
                                   CallContext& context) -> absl::StatusOr<tl::Ptr<api::Config>> {
    std::vector<Value> options;
    for (const DcEndpoint& endpoint : env.endpoints) {
      // The addresses the listeners are bound to (ports chosen at start when 0).
      absl::StatusOr<Value> option = env.builder->Build(
          "dcOption", {{"ipv6", Value::Bool(absl::StrContains(env.address, ':'))},
                       {"media_only", Value::Bool(endpoint.media_only)},
                       {"cdn", Value::Bool(endpoint.cdn)},
                       {"id", Value::Int(endpoint.id)},
                       {"ip_address", Value::Bytes(env.address)},
                       {"port", Value::Int(endpoint.port)}});
      if (!option.ok()) return option.status();
      options.push_back(*std::move(option));
    }
    const int32_t now = env.world->Now();
    return env.builder->Make<api::Config>("config",
                                          {{"date", Value::Int(now)},
                                           {"expires", Value::Int(now + 3600)},
                                           {"test_mode", Value::Bool(false)},
                                           {"this_dc", Value::Int(context.dc_id)},
                                           {"dc_options", Value::Vector(std::move(options))},
                                           {"dc_txt_domain_name", Value::Bytes("fakedc.invalid")},
                                           {"chat_size_max", Value::Int(200)},
                                           {"megagroup_size_max", Value::Int(200000)},
                                           {"forwarded_count_max", Value::Int(100)},
                                           {"online_update_period_ms", Value::Int(210000)},
                                           {"offline_blur_timeout_ms", Value::Int(5000)},
                                           {"offline_idle_timeout_ms", Value::Int(30000)},
                                           {"online_cloud_timeout_ms", Value::Int(300000)},
                                           {"notify_cloud_delay_ms", Value::Int(30000)},
                                           {"notify_default_delay_ms", Value::Int(1500)},
                                           {"push_chat_period_ms", Value::Int(60000)},
                                           {"push_chat_limit", Value::Int(2)},
                                           {"edit_time_limit", Value::Int(172800)},
                                           {"revoke_time_limit", Value::Int(2147483647)},
                                           {"revoke_pm_time_limit", Value::Int(2147483647)},
                                           {"rating_e_decay", Value::Int(2419200)},
                                           {"stickers_recent_limit", Value::Int(200)},
                                           {"channels_read_media_period", Value::Int(604800)},
                                           {"call_receive_timeout_ms", Value::Int(20000)},
                                           {"call_ring_timeout_ms", Value::Int(90000)},
                                           {"call_connect_timeout_ms", Value::Int(30000)},
                                           {"call_packet_timeout_ms", Value::Int(10000)},
                                           {"me_url_prefix", Value::Bytes("https://t.me/")},
                                           {"caption_length_max", Value::Int(1024)},
                                           {"message_length_max", Value::Int(4096)},
                                           {"webfile_dc_id", Value::Int(4)}});
  });
  d.On<api::help_getNearestDc>([](const api::help_getNearestDc&,
                                  CallContext& context) -> absl::StatusOr<tl::Ptr<api::NearestDc>> {
    auto out = std::make_unique<api::nearestDc>();
    out->country = "ZZ";
    out->this_dc = context.dc_id;
    out->nearest_dc = context.dc_id;
    return tl::Ptr<api::NearestDc>(std::move(out));
  });
}

}  // namespace tgrpc::fakedc
