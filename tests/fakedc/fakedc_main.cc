// The fakedc binary: starts the emulator and serves until killed. Prints one JSON line when
// ready: the DCs' ports, the RSA public key (PEM) and its fingerprint, so scripts and other
// processes (tests/interop) can point clients at it.
//
//   fakedc [--address=127.0.0.1] [--ports=p1,p2,p3,media] [--rsa_key=server.pem]
//          [--state_dir=DIR] [--schema_dir=tl/schema] [--seed=1] [--members=10000]
//          [--public_key_out=FILE] [--mtproxy_secret=HEX[,HEX...]] [--verbose]
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mtproto/transport/proxy_secret.h"
#include "tests/fakedc/fakedc.h"

namespace {

volatile std::sig_atomic_t stop = 0;

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int Usage(const std::string& error) {
  std::cerr << "fakedc: " << error
            << "\nusage: fakedc [--address=127.0.0.1] [--ports=p1,p2,p3,media] "
               "[--rsa_key=server.pem] [--state_dir=DIR] [--schema_dir=tl/schema] [--seed=N] "
               "[--members=N] [--public_key_out=FILE] [--mtproxy_secret=HEX[,HEX...]] [--verbose]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tgrpc::fakedc::FakeDcOptions options;
  std::string public_key_out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "--address") {
      options.address = value;
    } else if (name == "--ports") {
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        uint32_t port = 0;
        if (!absl::SimpleAtoi(part, &port) || port > 65535) return Usage("bad --ports");
        options.ports.push_back(static_cast<uint16_t>(port));
      }
    } else if (name == "--rsa_key") {
      std::ifstream in(value);
      if (!in) return Usage("cannot read --rsa_key " + value);
      std::stringstream pem;
      pem << in.rdbuf();
      options.rsa_key_pem = pem.str();
    } else if (name == "--state_dir") {
      options.state_dir = value;
    } else if (name == "--schema_dir") {
      options.schema_dir = value;
    } else if (name == "--seed") {
      if (!absl::SimpleAtoi(value, &options.seed)) return Usage("bad --seed");
    } else if (name == "--members") {
      if (!absl::SimpleAtoi(value, &options.big_channel_members)) return Usage("bad --members");
    } else if (name == "--public_key_out") {
      public_key_out = value;
    } else if (name == "--mtproxy_secret") {
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        absl::StatusOr<tgrpc::mtproto::transport::ProxySecret> secret =
            tgrpc::mtproto::transport::ParseProxySecret(part);
        if (!secret.ok()) return Usage("bad --mtproxy_secret: " + secret.status().ToString());
        options.mtproxy_secrets.push_back(secret->key);
      }
    } else if (name == "--verbose") {
      options.verbose = true;
    } else {
      return Usage("unknown flag " + arg);
    }
  }
  absl::StatusOr<std::unique_ptr<tgrpc::fakedc::FakeDc>> dc =
      tgrpc::fakedc::FakeDc::Start(options);
  if (!dc.ok()) {
    std::cerr << "fakedc: " << dc.status() << "\n";
    return 1;
  }
  if (!public_key_out.empty()) {
    std::ofstream(public_key_out) << (*dc)->public_key_pem();
  }
  std::string ports;
  for (const tgrpc::fakedc::DcEndpoint& e : (*dc)->endpoints()) {
    absl::StrAppend(&ports, ports.empty() ? "" : ",", "{\"dc\":", e.id,
                    ",\"media_only\":", e.media_only ? "true" : "false", ",\"port\":", e.port, "}");
  }
  std::cout << "{\"ready\":true,\"address\":" << JsonString(options.address)
            << ",\"endpoints\":[" << ports << "],\"fingerprint\":\""
            << static_cast<int64_t>((*dc)->fingerprint()) << "\",\"public_key\":"
            << JsonString((*dc)->public_key_pem()) << "}" << std::endl;
  std::signal(SIGINT, [](int) { stop = 1; });
  std::signal(SIGTERM, [](int) { stop = 1; });
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cerr << "fakedc: stopping\n";
  return 0;
}
