// The guard checks every guard test runs over its own table of RPCs (service_guard_test,
// service_guard_chat_test, service_guard_bot_test): a second tenant's token never reaches the
// first tenant's accounts, a missing or unknown token is UNAUTHENTICATED, a malformed name is
// INVALID_ARGUMENT naming its field or NOT_FOUND, and a request that does not parse is
// INVALID_ARGUMENT with REQUEST_UNPARSABLE.
#ifndef TGRPC_TESTS_SERVICE_GUARD_CHECKS_H_
#define TGRPC_TESTS_SERVICE_GUARD_CHECKS_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {

// One RPC, called with a name-like argument substituted into the request's resource field.
struct Rpc {
  std::string name;
  std::function<grpc::Status(grpc::ClientContext*, const std::string& resource)> call;
};

class GuardChecks : public ServiceTest {
 protected:
  // Each RPC with tenant B's token on `resource(i)` (the i-th RPC's, tenant A's): NOT_FOUND with
  // ACCOUNT_NOT_FOUND. Returns how many RPCs were checked.
  int ExpectOtherTenantNotFound(const std::vector<Rpc>& rpcs,
                                const std::function<std::string(size_t)>& resource) {
    int checked = 0;
    for (size_t i = 0; i < rpcs.size(); ++i) {
      grpc::Status status = rpcs[i].call(Context(kTokenB).get(), resource(i));
      EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
          << rpcs[i].name << ": " << status.error_message();
      EXPECT_EQ(Reason(status), "ACCOUNT_NOT_FOUND") << rpcs[i].name;
      ++checked;
    }
    return checked;
  }

  // Each RPC on `resource` with no token, then with a token no tenant has: UNAUTHENTICATED.
  void ExpectUnauthenticated(const std::vector<Rpc>& rpcs, const std::string& resource) {
    for (const Rpc& rpc : rpcs) {
      grpc::ClientContext none;
      none.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      EXPECT_EQ(rpc.call(&none, resource).error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << rpc.name;
      EXPECT_EQ(rpc.call(Context("not-a-known-token-at-all").get(), resource).error_code(),
                grpc::StatusCode::UNAUTHENTICATED)
          << rpc.name;
    }
  }

  // Each RPC with each of `bad` as its resource: INVALID_ARGUMENT naming a field, or NOT_FOUND.
  // Returns the calls made.
  int ExpectMalformedNamesRejected(const std::vector<Rpc>& rpcs,
                                   const std::vector<std::string>& bad) {
    int calls = 0;
    for (const Rpc& rpc : rpcs) {
      for (const std::string& name : bad) {
        grpc::Status status = rpc.call(Context().get(), name);
        ++calls;
        const bool invalid = status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
        EXPECT_TRUE(invalid || status.error_code() == grpc::StatusCode::NOT_FOUND)
            << rpc.name << " with \"" << name.substr(0, 40) << "\": " << status.error_code() << " "
            << status.error_message();
        if (invalid) EXPECT_FALSE(BadField(status).empty()) << rpc.name << ": no field named";
      }
    }
    return calls;
  }

  // Invalid UTF-8 in a string field fails protobuf's parse before any handler runs; gRPC C++
  // alone would answer UNIMPLEMENTED with no message (or, for a client stream, end the stream),
  // tgrpcd says INVALID_ARGUMENT with reason REQUEST_UNPARSABLE and why.
  void ExpectUnparsableRejected(const std::vector<Rpc>& rpcs) {
    for (const Rpc& rpc : rpcs) {
      grpc::Status status = rpc.call(Context().get(), "accounts/\xff\xfe");
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << rpc.name << ": " << status.error_code() << " " << status.error_message();
      // UploadFile, a raw method, reads its messages itself (upload_message.h) and says the same.
      EXPECT_EQ(Reason(status), "REQUEST_UNPARSABLE") << rpc.name << ": " << status.error_message();
    }
  }
};

}  // namespace tgrpc::service_test

#endif  // TGRPC_TESTS_SERVICE_GUARD_CHECKS_H_
