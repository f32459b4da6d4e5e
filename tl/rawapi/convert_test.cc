// The converter against the whole pinned layer (every constructor through its message and its
// type's wrapper, every method's request and result, sampled with all optional fields and with
// none), checked three ways: the value comes back, the TL bytes of both codecs agree, and the
// proto bytes are stable. Then the rules one by one, on hand-written wire bytes.
#include "tl/rawapi/convert.h"

#include <iostream>
#include <random>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/sample.h"
#include "tl/dynamic/value.h"
#include "tl/generated/api.h"
#include "tl/rawapi/lock.h"
#include "tl/rawapi/model.h"

namespace tgrpc::tl::raw {
namespace {

// Protobuf wire bytes written independently of the converter.
struct Proto {
  std::string bytes;

  Proto& Varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) bytes.push_back(static_cast<char>(v | 0x80));
    bytes.push_back(static_cast<char>(v));
    return *this;
  }
  Proto& Tag(int number, int wire) { return Varint(static_cast<uint64_t>(number) << 3 | wire); }
  Proto& Int(int number, uint64_t v) { return Tag(number, 0).Varint(v); }
  Proto& Fixed64(int number, uint64_t v) {
    Tag(number, 1);
    bytes.append(reinterpret_cast<const char*>(&v), 8);
    return *this;
  }
  Proto& Len(int number, absl::string_view s) {
    Tag(number, 2).Varint(s.size());
    bytes.append(s.data(), s.size());
    return *this;
  }
  Proto& Sub(int number, const Proto& p) { return Len(number, p.bytes); }
};

// Whether `s` is valid UTF-8 (what a proto3 string must be), by the standard's table.
bool IsUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
    const uint8_t c = b(0);
    const size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((b(k) & 0xC0) != 0x80) return false;
    }
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F) || (c == 0xF0 && b(1) < 0x90) ||
        (c == 0xF4 && b(1) > 0x8F)) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string Show(const Value& v) {
  return v.kind == Value::Kind::kObject && v.ctor != nullptr ? ObjectToJson(v) : "(not an object)";
}

// What the proto form keeps of a TL value: a conditional vector left empty is dropped (its bit
// clear), unless another field of the same flag bit is there (the converter then restores it).
void Normalize(Value& v) {
  for (Value& item : v.items) Normalize(item);
  if (v.kind != Value::Kind::kObject || v.ctor == nullptr) return;
  for (auto& [name, field] : v.fields) Normalize(field);
  auto param = [&v](const std::string& name) -> const Param* {
    for (const Param& p : v.ctor->params) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  auto dropped = [&param](const std::pair<std::string, Value>& f) {
    const Param* p = param(f.first);
    return p != nullptr && p->conditional() && p->type.IsVector() && f.second.items.empty();
  };
  std::vector<bool> keep;
  for (const auto& f : v.fields) {
    const Param* p = param(f.first);
    bool k = !dropped(f);
    for (const auto& other : v.fields) {
      const Param* q = param(other.first);
      k |=
          q != p && q->cond_field == p->cond_field && q->cond_bit == p->cond_bit && !dropped(other);
    }
    keep.push_back(k);
  }
  std::vector<std::pair<std::string, Value>> kept;
  for (size_t i = 0; i < v.fields.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(v.fields[i]));
  }
  v.fields = std::move(kept);
}

// Whether every object in `v` is of the raw API (the sampler may pick mtcute's own additions).
bool AllRawApi(const Value& v) {
  if (v.kind == Value::Kind::kObject && (v.ctor == nullptr || !InRawApi(*v.ctor))) return false;
  for (const Value& item : v.items) {
    if (!AllRawApi(item)) return false;
  }
  for (const auto& [name, field] : v.fields) {
    if (!AllRawApi(field)) return false;
  }
  return true;
}

class ConvertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<Schema> schema = LoadSchemaFiles({"tl/schema/api.tl"});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = new Schema(*std::move(schema));
    absl::StatusOr<std::string> text = ReadTextFile("tl/schema/raw_api.lock");
    ASSERT_TRUE(text.ok()) << text.status();
    absl::StatusOr<Lock> lock = ParseLock(*text);
    ASSERT_TRUE(lock.ok()) << lock.status();
    absl::StatusOr<std::unique_ptr<RawModel>> model = RawModel::Build(schema_, *lock);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = model->release();
  }

  const Message& Msg(absl::string_view name) const {
    const Message* m = model_->ByName(name);
    if (m == nullptr) ADD_FAILURE() << "no message " << name;
    return m != nullptr ? *m : model_->messages()[0];
  }
  // The number of a field (or a oneof case) of a message.
  int Num(absl::string_view message, absl::string_view field) const {
    for (const Field& f : Msg(message).fields) {
      if (f.name == field) return f.number;
    }
    ADD_FAILURE() << "no field " << message << "." << field;
    return 0;
  }
  const Combinator* Tl(absl::string_view name) const { return schema_->ByName(name); }
  Value InputPeerUser(int64_t id, int64_t hash) const {
    Value v = Value::Object(Tl("inputPeerUser"));
    v.Set("user_id", Value::Long(id));
    v.Set("access_hash", Value::Long(hash));
    return v;
  }
  // An InputPeer wrapper holding inputPeerUser{user_id: 7, access_hash: -5}.
  Proto PeerUser() const {
    Proto user;
    user.Int(Num("InputPeerUser", "user_id"), 7).Fixed64(Num("InputPeerUser", "access_hash"), -5);
    return std::move(Proto().Sub(Num("TypeInputPeer", "input_peer_user"), user));
  }

  // Value -> proto -> value, and the checks on what comes back.
  void RoundTrip(const Message& m, const Value& v, const std::string& what) {
    absl::StatusOr<std::string> bytes = converter_.ToProto(m, v, "accounts/42");
    ASSERT_TRUE(bytes.ok()) << what << ": " << bytes.status();
    proto_bytes_ += bytes->size();
    std::string account;
    absl::StatusOr<Value> back = converter_.FromProto(m, *bytes, &account);
    ASSERT_TRUE(back.ok()) << what << ": " << back.status();
    if (m.kind == Message::Kind::kRequest) {
      EXPECT_EQ(account, "accounts/42") << what;
    }
    Value want = v;
    Normalize(want);
    EXPECT_EQ(*back, want) << what << "\n got  " << Show(*back) << "\n want " << Show(want);
    absl::StatusOr<std::string> again = converter_.ToProto(m, *back, "accounts/42");
    ASSERT_TRUE(again.ok()) << what << ": " << again.status();
    EXPECT_EQ(*again, *bytes) << what << ": the proto bytes are not stable";
    if (v.kind != Value::Kind::kObject) return;

    // The TL bytes: the dynamic codec's of both values, and the generated codec's.
    DynamicCodec codec(schema_);
    absl::StatusOr<std::string> tl_want = codec.EncodeBoxed(want);
    absl::StatusOr<std::string> tl_back = codec.EncodeBoxed(*back);
    ASSERT_TRUE(tl_want.ok() && tl_back.ok()) << what << ": " << tl_back.status();
    EXPECT_EQ(*tl_back, *tl_want) << what;
    Reader r(*tl_back);
    bool known = false;
    Ptr<Object> obj = api::ReadById(r.U32(), r, &known);
    ASSERT_TRUE(known && r.ok() && r.remaining() == 0 && obj != nullptr) << what;
    absl::StatusOr<std::string> generated = Serialize(*obj);
    ASSERT_TRUE(generated.ok()) << what << ": " << generated.status();
    EXPECT_EQ(*generated, *tl_back) << what << ": the generated codec disagrees";
    ++cases_;
  }

  // A sample of a combinator with the raw API's constructors only: a value holding another one
  // does not fit (DATA_LOSS), and the next seed is tried.
  Value Sample(const Combinator& c, bool all, const Message& m) {
    for (uint64_t seed = c.id;; ++seed) {
      Sampler sampler(schema_, {all, seed, 3});
      Value v = sampler.Object(c);
      if (AllRawApi(v)) return v;
      EXPECT_EQ(converter_.ToProto(m, v).status().code(), absl::StatusCode::kDataLoss) << c.name;
      ++not_raw_;
    }
  }

  // A sample value of a method's result type.
  Value SampleResult(const Combinator& fn, Sampler& sampler) const {
    const TypeRef& t = fn.result.IsVector() ? fn.result.args[0] : fn.result;
    auto one = [&](uint64_t k) {
      if (t.name == "int") return Value::Int(static_cast<int32_t>(k * 7919 - 3));
      if (t.name == "long") return Value::Long(static_cast<int64_t>(k * 0x9e3779b97f4a7c15ull));
      if (t.name == "Bool") return Value::Bool(k % 2 == 0);
      if (t.name == "string" || t.name == "bytes") return Value::Bytes("r" + std::to_string(k));
      const auto& ctors = schema_->ConstructorsOf(t.name);
      return sampler.Object(*ctors[(fn.id + k) % ctors.size()]);
    };
    if (!fn.result.IsVector()) return one(1);
    return Value::Vector({one(1), one(2)});
  }

  static Schema* schema_;
  static RawModel* model_;
  Converter converter_{model_};
  int cases_ = 0;
  int not_raw_ = 0;
  size_t proto_bytes_ = 0;
};
Schema* ConvertTest::schema_ = nullptr;
RawModel* ConvertTest::model_ = nullptr;

TEST_F(ConvertTest, EveryConstructorAndMethodRoundTrips) {
  int constructors = 0, methods = 0, results = 0;
  for (bool all : {true, false}) {
    const std::string how = all ? " (all optional)" : " (no optional)";
    for (const Combinator& c : schema_->constructors) {
      if (!InRawApi(c)) continue;
      const Message* m = model_->ForConstructor(&c);
      ASSERT_NE(m, nullptr) << c.name;
      const Value v = Sample(c, all, *m);
      RoundTrip(*m, v, c.name + how);
      const Message* wrapper = model_->WrapperOf(c.result.name);
      ASSERT_NE(wrapper, nullptr) << c.name;
      RoundTrip(*wrapper, v, c.name + " in " + wrapper->name + how);
      ++constructors;
    }
    for (const Combinator& fn : schema_->functions) {
      if (!InRawApi(fn)) continue;
      const Rpc* rpc = model_->RpcForFunction(fn.name);
      ASSERT_NE(rpc, nullptr) << fn.name;
      RoundTrip(model_->message(rpc->request), Sample(fn, all, model_->message(rpc->request)),
                fn.name + how);
      ++methods;

      // The result, and its TL bytes as the method's result type.
      const Message& response = model_->message(rpc->response);
      Sampler sampler(schema_, {all, fn.id, 3});
      Value result = SampleResult(fn, sampler);
      for (uint64_t seed = fn.id + 1; !AllRawApi(result); ++seed) {
        Sampler again(schema_, {all, seed, 3});
        result = SampleResult(fn, again);
      }
      absl::StatusOr<std::string> bytes = converter_.ToProto(response, result);
      ASSERT_TRUE(bytes.ok()) << fn.name << " result: " << bytes.status();
      absl::StatusOr<Value> back = converter_.FromProto(response, *bytes);
      ASSERT_TRUE(back.ok()) << fn.name << " result: " << back.status();
      Value want = result;
      Normalize(want);
      EXPECT_EQ(*back, want) << fn.name << " result in " << response.name << how;
      std::string tl_want, tl_back;
      Writer w1(&tl_want), w2(&tl_back);
      DynamicCodec codec(schema_);
      ASSERT_TRUE(codec.Encode(want, fn.result, w1).ok()) << fn.name;
      ASSERT_TRUE(codec.Encode(*back, fn.result, w2).ok()) << fn.name;
      EXPECT_EQ(tl_back, tl_want) << fn.name << " result";
      ++results;
    }
  }
  EXPECT_GT(constructors, 2 * 1000);
  EXPECT_GT(methods, 2 * 500);
  std::cout << "raw API round trips: " << constructors << " constructor samples (each alone and "
            << "in its wrapper), " << methods << " requests, " << results << " results; " << cases_
            << " checked against both TL codecs, " << proto_bytes_ << " proto bytes; " << not_raw_
            << " samples holding a constructor outside the raw API (DATA_LOSS, resampled)\n";
}

TEST_F(ConvertTest, OrdinaryTextIsUnchanged) {
  for (const std::string s :
       {"", "hello", "Привет, мир", "日本語", "emoji 😀 ok", "tab\tnewline\n"}) {
    EXPECT_EQ(Converter::EscapeString(s), s);
    EXPECT_EQ(Converter::UnescapeString(s), s);
  }
  // U+10FCFF and U+10FE00 lie just outside the escape's range.
  for (const std::string s : {"\xF4\x8F\xB3\xBF", "\xF4\x8F\xB8\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(Converter::EscapeString(s), s);
  }
}

TEST_F(ConvertTest, InvalidUtf8IsEscapedByteByByte) {
  // 0xFF becomes U+10FDFF; a truncated sequence's byte U+10FDC3; valid text around stays.
  EXPECT_EQ(Converter::EscapeString("\xff"), "\xF4\x8F\xB7\xBF");
  EXPECT_EQ(Converter::EscapeString("ab\xc3"), "ab\xF4\x8F\xB7\x83");
  EXPECT_EQ(Converter::EscapeString("\x80z"), "\xF4\x8F\xB6\x80z");
  // Overlong, surrogate and too-high encodings are not UTF-8 either.
  for (const std::string s : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "a\xE2\x82"}) {
    const std::string e = Converter::EscapeString(s);
    EXPECT_NE(e, s);
    EXPECT_TRUE(IsUtf8(e));
    EXPECT_EQ(Converter::UnescapeString(e), s);
  }
}

TEST_F(ConvertTest, EscapeRangeCodePointsAreEscaped) {
  const std::string text = "x\xF4\x8F\xB5\x81y";  // x U+10FD41 y
  const std::string escaped = Converter::EscapeString(text);
  // Each of its four bytes as U+10FD00 + byte: F4, 8F, B5, 81.
  EXPECT_EQ(escaped, "x\xF4\x8F\xB7\xB4\xF4\x8F\xB6\x8F\xF4\x8F\xB6\xB5\xF4\x8F\xB6\x81y");
  EXPECT_EQ(Converter::UnescapeString(escaped), text);
}

TEST_F(ConvertTest, AnyBytesSurviveTheEscape) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& ch : s) {
      // Mostly bytes near the escape's own encoding, so its edges come up often.
      const uint8_t near[] = {0xF4, 0x8F, 0xB4, 0xB7, 0xBF, 0x80, 0xC3, 'a'};
      ch = static_cast<char>(rng() % 2 ? near[rng() % 8] : rng());
    }
    const std::string e = Converter::EscapeString(s);
    ASSERT_TRUE(IsUtf8(e)) << i;
    ASSERT_EQ(Converter::UnescapeString(e), s) << i;
    if (IsUtf8(s) && s.find("\xF4\x8F") == std::string::npos) {
      ASSERT_EQ(e, s) << i;
    }
  }
}

TEST_F(ConvertTest, StringFieldsCarryTheEscape) {
  Value send = Value::Object(Tl("messages.sendMessage"));
  send.Set("peer", InputPeerUser(1, 2));
  send.Set("message", Value::Bytes("hi \xff"));
  send.Set("random_id", Value::Long(9));
  absl::StatusOr<std::string> bytes = converter_.ToProto(Msg("MessagesSendMessageRequest"), send);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_NE(bytes->find("hi \xF4\x8F\xB7\xBF"), std::string::npos);
  absl::StatusOr<Value> back = converter_.FromProto(Msg("MessagesSendMessageRequest"), *bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Field("message")->s, "hi \xff");
}

TEST_F(ConvertTest, Int256OfTheWrongSizeNamesTheField) {
  Proto p;
  p.Len(Num("PhoneJoinGroupCallRequest", "public_key"), "12345");
  absl::StatusOr<Value> v = converter_.FromProto(Msg("PhoneJoinGroupCallRequest"), p.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << v.status();
  EXPECT_EQ(v.status().message(), "public_key: int256 needs 32 bytes, got 5");

  Value call = Value::Object(Tl("phone.joinGroupCall"));
  Value group_call = Value::Object(Tl("inputGroupCall"));
  group_call.Set("id", Value::Long(1));
  group_call.Set("access_hash", Value::Long(2));
  call.Set("call", group_call);
  call.Set("join_as", InputPeerUser(1, 2));
  Value key;
  key.kind = Value::Kind::kInt256;
  key.s = std::string(31, 'k');
  call.Set("public_key", key);
  call.Set("block", Value::Bytes("b"));
  Value params = Value::Object(Tl("dataJSON"));
  params.Set("data", Value::Bytes("{}"));
  call.Set("params", params);
  absl::StatusOr<std::string> out = converter_.ToProto(Msg("PhoneJoinGroupCallRequest"), call);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << out.status();
  EXPECT_EQ(out.status().message(), "public_key: int256 of 31 bytes");
  key.s.push_back('k');
  call.fields[2].second = key;
  EXPECT_TRUE(converter_.ToProto(Msg("PhoneJoinGroupCallRequest"), call).ok());
}

TEST_F(ConvertTest, WrongWireTypeNamesTheNestedPath) {
  Proto user, peer, send;
  user.Len(Num("InputPeerUser", "user_id"), "x");
  peer.Sub(Num("TypeInputPeer", "input_peer_user"), user);
  send.Sub(Num("MessagesSendMessageRequest", "peer"), peer);
  absl::StatusOr<Value> v = converter_.FromProto(Msg("MessagesSendMessageRequest"), send.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(v.status().message(), "peer.input_peer_user.user_id: "))
      << v.status();
}

TEST_F(ConvertTest, UnknownOneofCase) {
  Proto peer, send;
  peer.Len(999, "");
  send.Sub(Num("MessagesSendMessageRequest", "peer"), peer);
  absl::StatusOr<Value> v = converter_.FromProto(Msg("MessagesSendMessageRequest"), send.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "peer: unknown case 999 of TypeInputPeer");
  EXPECT_EQ(v.status().GetPayload(kFieldPathPayload).value_or(absl::Cord()), "peer");
  v = converter_.FromProto(Msg("TypeInputPeer"), peer.bytes);
  EXPECT_EQ(v.status().message(), "unknown case 999 of TypeInputPeer");
}

TEST_F(ConvertTest, MissingRequiredFields) {
  const Message& m = Msg("MessagesSendMessageRequest");
  absl::StatusOr<Value> v = converter_.FromProto(m, "");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "peer: required, not set");
  // A wrapper that is there but holds no case.
  v = converter_.FromProto(m, Proto().Len(Num("MessagesSendMessageRequest", "peer"), "").bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "peer: no case of TypeInputPeer set");
  EXPECT_FALSE(converter_.FromProto(Msg("TypeInputPeer"), "").ok());
  // Scalars and vectors left out take TL's defaults.
  v = converter_.FromProto(
      m, Proto().Sub(Num("MessagesSendMessageRequest", "peer"), PeerUser()).bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v->Field("message"), Value::Bytes(""));
  EXPECT_EQ(*v->Field("random_id"), Value::Long(0));
  EXPECT_EQ(*v->Field("peer"), InputPeerUser(7, -5));
  EXPECT_EQ(v->Field("reply_to"), nullptr);
}

TEST_F(ConvertTest, TruncatedBytes) {
  Proto send;
  send.Sub(Num("MessagesSendMessageRequest", "peer"), PeerUser())
      .Len(Num("MessagesSendMessageRequest", "message"), "hello")
      .Fixed64(Num("MessagesSendMessageRequest", "random_id"), 42);
  const Message& m = Msg("MessagesSendMessageRequest");
  ASSERT_TRUE(converter_.FromProto(m, send.bytes).ok());
  // Every cut is malformed but the two between fields (the rest then takes its defaults).
  int whole = 0;
  for (size_t n = 1; n < send.bytes.size(); ++n) {
    absl::StatusOr<Value> v = converter_.FromProto(m, send.bytes.substr(0, n));
    whole += v.ok();
    EXPECT_TRUE(v.ok() || v.status().code() == absl::StatusCode::kInvalidArgument) << n;
  }
  EXPECT_EQ(whole, 2);
  for (const std::string bad : {"\x08", "\x08\x80",
                                "\x12\x05"
                                "ab",
                                "\x09"
                                "1234567"}) {
    EXPECT_EQ(converter_.FromProto(Msg("InputPeerUser"), bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(ConvertTest, RefGoesToTheResolver) {
  Proto peer, send;
  peer.Len(kRefField, "@durov");
  send.Sub(Num("MessagesSendMessageRequest", "peer"), peer);
  std::vector<std::pair<std::string, std::string>> calls;
  RefResolver resolve = [&](absl::string_view type,
                            absl::string_view ref) -> absl::StatusOr<Value> {
    calls.emplace_back(type, ref);
    if (ref == "@nobody") return absl::NotFoundError("no such user");
    return InputPeerUser(1, 2);
  };
  const Message& m = Msg("MessagesSendMessageRequest");
  absl::StatusOr<Value> v = converter_.FromProto(m, send.bytes, nullptr, resolve);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], std::make_pair(std::string("InputPeer"), std::string("@durov")));
  EXPECT_EQ(*v->Field("peer"), InputPeerUser(1, 2));

  // InputUser: the resolver hears the wrapper's type.
  Proto user;
  user.Sub(Num("UsersGetFullUserRequest", "id"), Proto().Len(kRefField, "123"));
  RefResolver as_user = [&](absl::string_view type,
                            absl::string_view ref) -> absl::StatusOr<Value> {
    calls.emplace_back(type, ref);
    Value u = Value::Object(Tl("inputUser"));
    u.Set("user_id", Value::Long(123));
    u.Set("access_hash", Value::Long(4));
    return u;
  };
  ASSERT_TRUE(
      converter_.FromProto(Msg("UsersGetFullUserRequest"), user.bytes, nullptr, as_user).ok());
  EXPECT_EQ(calls.back(), std::make_pair(std::string("InputUser"), std::string("123")));
  // A resolver answering with the wrong type is a mistake too.
  EXPECT_FALSE(converter_.FromProto(m, send.bytes, nullptr, as_user).ok());

  // No resolver; the resolver's own error keeps its code and gains the path.
  v = converter_.FromProto(m, send.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(v.status().message(), "peer.ref: ")) << v.status();
  Proto nobody;
  nobody.Sub(Num("MessagesSendMessageRequest", "peer"), Proto().Len(kRefField, "@nobody"));
  v = converter_.FromProto(m, nobody.bytes, nullptr, resolve);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(), "peer.ref: no such user");
}

TEST_F(ConvertTest, UnknownFieldsAreSkipped) {
  Proto user;
  user.Int(Num("InputPeerUser", "user_id"), 7);
  user.Int(77, 1).Fixed64(78, 2).Len(79, "skip me");
  user.Tag(80, 5).bytes.append("abcd");
  user.Tag(81, 3).Int(1, 5).Tag(2, 3).Len(3, "x").Tag(2, 4).Tag(81, 4);  // nested groups
  user.Fixed64(Num("InputPeerUser", "access_hash"), -5);
  absl::StatusOr<Value> v = converter_.FromProto(Msg("InputPeerUser"), user.bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, InputPeerUser(7, -5));
  // Groups that do not close, and wire types 6 and 7, are not protobuf.
  for (const std::string bad : {"\x8b\x05\x08\x01", "\x8e\x05", "\x8f\x05"}) {
    EXPECT_FALSE(converter_.FromProto(Msg("InputPeerUser"), bad).ok());
  }
}

TEST_F(ConvertTest, RepeatedNumbersPackedAndNot) {
  const Message& m = Msg("MessagesDeleteMessagesRequest");
  const int id = Num("MessagesDeleteMessagesRequest", "id");
  Proto packed_body;
  packed_body.Varint(1).Varint(300).Varint(static_cast<uint64_t>(-1));
  Proto packed, unpacked, mixed;
  packed.Len(id, packed_body.bytes);
  unpacked.Int(id, 1).Int(id, 300).Int(id, static_cast<uint64_t>(-1));
  mixed.Int(id, 1).Len(id, Proto().Varint(300).bytes).Int(id, static_cast<uint64_t>(-1));
  Value want = Value::Object(Tl("messages.deleteMessages"));
  want.Set("id", Value::Vector({Value::Int(1), Value::Int(300), Value::Int(-1)}));
  for (const Proto* p : {&packed, &unpacked, &mixed}) {
    absl::StatusOr<Value> v = converter_.FromProto(m, p->bytes);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, want);
  }
  // Written packed, with -1 as ten bytes.
  absl::StatusOr<std::string> out = converter_.ToProto(m, want);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, packed.bytes);
  EXPECT_EQ(packed_body.bytes.size(), 1u + 2u + 10u);

  // sfixed64 random ids: fixed64 elements, packed or not.
  const Message& fwd = Msg("MessagesForwardMessagesRequest");
  const int random_id = Num("MessagesForwardMessagesRequest", "random_id");
  std::string body;  // a packed body holds only the values
  for (uint64_t x : {5ull, 6ull}) body.append(reinterpret_cast<const char*>(&x), 8);
  Proto fixed_packed, fixed_one;
  fixed_packed.Len(random_id, body);
  fixed_one.Fixed64(random_id, 5).Fixed64(random_id, 6);
  for (const Proto* p : {&fixed_packed, &fixed_one}) {
    Proto req = *p;
    req.Sub(Num("MessagesForwardMessagesRequest", "from_peer"), PeerUser());
    req.Sub(Num("MessagesForwardMessagesRequest", "to_peer"), PeerUser());
    absl::StatusOr<Value> v = converter_.FromProto(fwd, req.bytes);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v->Field("random_id"), Value::Vector({Value::Long(5), Value::Long(6)}));
  }
}

TEST_F(ConvertTest, PresenceOfConditionalFields) {
  const Message& m = Msg("MessagesSendMessageRequest");
  Value send = Value::Object(Tl("messages.sendMessage"));
  send.Set("silent", Value::Bool(true));
  send.Set("peer", InputPeerUser(1, 2));
  send.Set("message", Value::Bytes(""));
  send.Set("random_id", Value::Long(0));
  send.Set("schedule_date", Value::Int(0));  // zero, but there: the bit is set
  absl::StatusOr<std::string> bytes = converter_.ToProto(m, send);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> back = converter_.FromProto(m, *bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, send) << Show(*back);
  // A `true` flag written false is clear.
  Proto p = PeerUser();
  Proto req;
  req.Sub(Num("MessagesSendMessageRequest", "peer"), p)
      .Int(Num("MessagesSendMessageRequest", "silent"), 0);
  back = converter_.FromProto(m, req.bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Field("silent"), nullptr);
}

TEST_F(ConvertTest, FieldsOfOneFlagBitGoTogether) {
  // phone.joinGroupCall: public_key and block share flags.3.
  Value key;
  key.kind = Value::Kind::kInt256;
  key.s = std::string(32, 'k');
  Proto only_key;
  only_key.Len(Num("PhoneJoinGroupCallRequest", "public_key"), key.s);
  absl::StatusOr<Value> v = converter_.FromProto(Msg("PhoneJoinGroupCallRequest"), only_key.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(v.status().message(), "block: ")) << v.status();
}

TEST_F(ConvertTest, LongNestedMessages) {
  // A nested message over 16 KiB: its length takes three bytes, written after the body.
  const std::string data(20000, 'd');
  Value call = Value::Object(Tl("phone.joinGroupCallPresentation"));
  Value group_call = Value::Object(Tl("inputGroupCall"));
  group_call.Set("id", Value::Long(1));
  group_call.Set("access_hash", Value::Long(2));
  call.Set("call", group_call);
  Value params = Value::Object(Tl("dataJSON"));
  params.Set("data", Value::Bytes(data));
  call.Set("params", params);
  const Message& m = Msg("PhoneJoinGroupCallPresentationRequest");
  absl::StatusOr<std::string> out = converter_.ToProto(m, call);
  ASSERT_TRUE(out.ok()) << out.status();
  Proto id, json, want;
  id.Int(Num("InputGroupCall", "id"), 1).Fixed64(Num("InputGroupCall", "access_hash"), 2);
  json.Sub(Num("TypeDataJSON", "data_json"), Proto().Len(Num("DataJSON", "data"), data));
  want.Sub(Num("PhoneJoinGroupCallPresentationRequest", "call"),
           Proto().Sub(Num("TypeInputGroupCall", "input_group_call"), id));
  want.Sub(Num("PhoneJoinGroupCallPresentationRequest", "params"), json);
  EXPECT_EQ(*out, want.bytes);
  absl::StatusOr<Value> back = converter_.FromProto(m, *out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, call);
}

TEST_F(ConvertTest, LimitsAndDepth) {
  const Message& m = Msg("MessagesSendMessageRequest");
  Proto send;
  send.Sub(Num("MessagesSendMessageRequest", "peer"), PeerUser())
      .Len(Num("MessagesSendMessageRequest", "message"), "hello");
  ConvertLimits small;
  small.max_bytes_field = 4;
  absl::StatusOr<Value> v = Converter(model_, small).FromProto(m, send.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(), "message: 5 bytes, over the limit of 4");
  ConvertLimits shallow;
  shallow.max_depth = 1;  // the request, its wrapper, but not the constructor inside
  v = Converter(model_, shallow).FromProto(m, send.bytes);
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(v.status().message(), "peer.input_peer_user: ")) << v.status();
  ConvertLimits few;
  few.max_repeated = 2;
  Proto ids;
  ids.Len(Num("MessagesDeleteMessagesRequest", "id"), "\x01\x02\x03");
  v = Converter(model_, few).FromProto(Msg("MessagesDeleteMessagesRequest"), ids.bytes);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConvertTest, ValuesThatDoNotFitAreDataLoss) {
  Value user = Value::Object(Tl("inputUser"));
  user.Set("user_id", Value::Long(1));
  user.Set("access_hash", Value::Long(2));
  EXPECT_EQ(converter_.ToProto(Msg("InputPeerUser"), user).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(converter_.ToProto(Msg("TypeInputPeer"), user).status().code(),
            absl::StatusCode::kDataLoss);
  Value wrong = InputPeerUser(1, 2);
  wrong.fields[0].second = Value::Int(1);  // an int where a long belongs
  absl::StatusOr<std::string> out = converter_.ToProto(Msg("TypeInputPeer"), wrong);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(out.status().message(), "input_peer_user.user_id: "))
      << out.status();
  Value missing = Value::Object(Tl("inputPeerUser"));
  missing.Set("access_hash", Value::Long(2));
  EXPECT_EQ(converter_.ToProto(Msg("InputPeerUser"), missing).status().code(),
            absl::StatusCode::kDataLoss);
  // Fields out of schema order are found by name.
  Value reordered = Value::Object(Tl("inputPeerUser"));
  reordered.Set("access_hash", Value::Long(2));
  reordered.Set("user_id", Value::Long(1));
  out = converter_.ToProto(Msg("InputPeerUser"), reordered);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*converter_.FromProto(Msg("InputPeerUser"), *out), InputPeerUser(1, 2));
}

}  // namespace
}  // namespace tgrpc::tl::raw
