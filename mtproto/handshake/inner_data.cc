#include "mtproto/handshake/inner_data.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/crypto/pq.h"
#include "mtproto/handshake/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

std::string BigEndian(uint64_t value) {
  const std::vector<uint8_t> bytes = crypto::Uint64ToBigEndian(value);
  return std::string(bytes.begin(), bytes.end());
}

absl::StatusOr<uint64_t> ParseNumber(absl::string_view bytes, absl::string_view what) {
  absl::StatusOr<uint64_t> value = crypto::BigEndianToUint64(base::AsBytes(bytes));
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("p_q_inner_data.", what, ": ", value.status().message()));
  }
  return *value;
}

// The fields every kind has, copied into a TL object of any kind.
template <class T>
void StoreCommon(const PqInnerData& data, T& out) {
  out.pq = BigEndian(data.pq);
  out.p = BigEndian(data.p);
  out.q = BigEndian(data.q);
  out.nonce = data.nonce;
  out.server_nonce = data.server_nonce;
  out.new_nonce = data.new_nonce;
}

template <class T>
absl::StatusOr<PqInnerData> LoadCommon(InnerDataKind kind, const T& in) {
  PqInnerData data;
  data.kind = kind;
  TGRPC_ASSIGN_OR_RETURN(data.pq, ParseNumber(in.pq, "pq"));
  TGRPC_ASSIGN_OR_RETURN(data.p, ParseNumber(in.p, "p"));
  TGRPC_ASSIGN_OR_RETURN(data.q, ParseNumber(in.q, "q"));
  data.nonce = in.nonce;
  data.server_nonce = in.server_nonce;
  data.new_nonce = in.new_nonce;
  return data;
}

}  // namespace

absl::string_view InnerDataKindName(InnerDataKind kind) {
  switch (kind) {
    case InnerDataKind::kLegacy:
      return "p_q_inner_data";
    case InnerDataKind::kDc:
      return "p_q_inner_data_dc";
    case InnerDataKind::kTemp:
      return "p_q_inner_data_temp";
    case InnerDataKind::kTempDc:
      return "p_q_inner_data_temp_dc";
  }
  return "?";
}

std::string SerializeInnerData(const PqInnerData& data) {
  switch (data.kind) {
    case InnerDataKind::kLegacy: {
      mtp::p_q_inner_data out;
      StoreCommon(data, out);
      return internal::SerializeBoxed(out);
    }
    case InnerDataKind::kDc: {
      mtp::p_q_inner_data_dc out;
      StoreCommon(data, out);
      out.dc = data.dc;
      return internal::SerializeBoxed(out);
    }
    case InnerDataKind::kTemp: {
      mtp::p_q_inner_data_temp out;
      StoreCommon(data, out);
      out.expires_in = data.expires_in;
      return internal::SerializeBoxed(out);
    }
    case InnerDataKind::kTempDc: {
      mtp::p_q_inner_data_temp_dc out;
      StoreCommon(data, out);
      out.dc = data.dc;
      out.expires_in = data.expires_in;
      return internal::SerializeBoxed(out);
    }
  }
  return {};
}

absl::StatusOr<ParsedInnerData> ParseInnerData(absl::string_view bytes) {
  tl::Reader r(bytes);
  const uint32_t id = r.U32();
  ParsedInnerData parsed;
  absl::StatusOr<PqInnerData> data = absl::InvalidArgumentError("no p_q_inner_data");
  switch (id) {
    case mtp::p_q_inner_data::kId: {
      mtp::p_q_inner_data in;
      in.TlParse(r);
      if (r.ok()) data = LoadCommon(InnerDataKind::kLegacy, in);
      break;
    }
    case mtp::p_q_inner_data_dc::kId: {
      mtp::p_q_inner_data_dc in;
      in.TlParse(r);
      if (r.ok()) data = LoadCommon(InnerDataKind::kDc, in);
      if (data.ok()) data->dc = in.dc;
      break;
    }
    case mtp::p_q_inner_data_temp::kId: {
      mtp::p_q_inner_data_temp in;
      in.TlParse(r);
      if (r.ok()) data = LoadCommon(InnerDataKind::kTemp, in);
      if (data.ok()) data->expires_in = in.expires_in;
      break;
    }
    case mtp::p_q_inner_data_temp_dc::kId: {
      mtp::p_q_inner_data_temp_dc in;
      in.TlParse(r);
      if (r.ok()) data = LoadCommon(InnerDataKind::kTempDc, in);
      if (data.ok()) {
        data->dc = in.dc;
        data->expires_in = in.expires_in;
      }
      break;
    }
    default:
      if (r.ok()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("0x%08x is not a p_q_inner_data constructor", id));
      }
  }
  if (!r.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("p_q_inner_data: ", r.status().message()));
  }
  if (!data.ok()) return data.status();
  parsed.data = *data;
  parsed.size = r.position();
  return parsed;
}

}  // namespace tgrpc::mtproto::handshake
