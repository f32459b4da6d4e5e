// The fakedc binary: starts the emulator and serves until killed. Prints one JSON line when
// ready: the DCs' ports, the RSA public key (PEM) and its fingerprint, so scripts and other
// processes (tests/interop) can point clients at it.
//
//   fakedc [--address=127.0.0.1] [--ports=p1,p2,p3,media] [--rsa_key=server.pem]
//          [--state_dir=DIR] [--schema_dir=tl/schema] [--seed=1] [--members=10000]
//          [--public_key_out=FILE] [--mtproxy_secret=HEX[,HEX...]] [--media_dc=2] [--files_dc=N]
//          [--flood=method:calls/seconds,...] [--drop_after_packets=N] [--bad_salt_packets=N]
//          [--delay_ms=D] [--update_gaps=N] [--updates_too_long=N] [--fault_dcs=1,2]
//          [--fault_connections=ID,...] [--faults_file=FILE] [--network_dc=N]
//          [--cdn_min_size=BYTES] [--cdn_dc=203] [--cdn_rsa_key=cdn.pem] [--verbose]
//          [--list_methods]
//
// While it runs, SIGUSR1 drops every connection, SIGUSR2 restarts it (listeners and connections
// closed and reopened on the same ports, state, keys and sessions kept) and SIGHUP sets the faults
// to those written in --faults_file (the same --name=value words as the flags; settings it does
// not name keep their start values).
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
volatile std::sig_atomic_t drop_requested = 0;
volatile std::sig_atomic_t restart_requested = 0;
volatile std::sig_atomic_t reload_requested = 0;

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
               "[--members=N] [--public_key_out=FILE] [--mtproxy_secret=HEX[,HEX...]] "
               "[--media_dc=N] [--files_dc=N] [--flood=method:calls/seconds,...] "
               "[--drop_after_packets=N] [--bad_salt_packets=N] [--delay_ms=D] [--update_gaps=N] "
               "[--updates_too_long=N] [--fault_dcs=1,2] [--fault_connections=ID,...] "
               "[--faults_file=FILE] [--network_dc=N] [--cdn_min_size=BYTES] [--cdn_dc=N] "
               "[--cdn_rsa_key=cdn.pem] [--verbose] [--list_methods]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  tgrpc::fakedc::FakeDcOptions options;
  std::string public_key_out;
  std::string faults_file;
  bool list_methods = false;
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
        // An ee secret keys both the fake-TLS handshake and the obfuscated2 inside it.
        if (secret->fake_tls) options.fake_tls_secrets.push_back(secret->key);
        options.mtproxy_secrets.push_back(secret->key);
      }
    } else if (name == "--media_dc") {
      if (!absl::SimpleAtoi(value, &options.media_dc)) return Usage("bad --media_dc");
    } else if (name == "--files_dc") {
      if (!absl::SimpleAtoi(value, &options.files_dc)) return Usage("bad --files_dc");
    } else if (name == "--flood") {
      absl::StatusOr<tgrpc::fakedc::FloodLimits> limits = tgrpc::fakedc::ParseFloodLimits(value);
      if (!limits.ok()) return Usage("bad --flood: " + limits.status().ToString());
      options.flood_limits = *std::move(limits);
    } else if (tgrpc::fakedc::IsFaultFlag(name.substr(2))) {
      absl::StatusOr<tgrpc::fakedc::FaultOptions> faults =
          tgrpc::fakedc::ParseFaultFlags(arg, options.faults);
      if (!faults.ok()) return Usage(std::string(faults.status().message()));
      options.faults = *std::move(faults);
    } else if (name == "--faults_file") {
      faults_file = value;
    } else if (name == "--cdn_min_size") {
      if (!absl::SimpleAtoi(value, &options.cdn_min_size) || options.cdn_min_size < 0) {
        return Usage("bad --cdn_min_size");
      }
    } else if (name == "--cdn_dc") {
      if (!absl::SimpleAtoi(value, &options.cdn_dc)) return Usage("bad --cdn_dc");
    } else if (name == "--cdn_rsa_key") {
      std::ifstream in(value);
      if (!in) return Usage("cannot read --cdn_rsa_key " + value);
      std::stringstream pem;
      pem << in.rdbuf();
      options.cdn_rsa_key_pem = pem.str();
    } else if (name == "--network_dc") {
      if (!absl::SimpleAtoi(value, &options.network_dc)) return Usage("bad --network_dc");
    } else if (name == "--list_methods") {
      list_methods = true;
    } else if (name == "--verbose") {
      options.verbose = true;
    } else {
      return Usage("unknown flag " + arg);
    }
  }
  absl::StatusOr<std::unique_ptr<tgrpc::fakedc::FakeDc>> dc = tgrpc::fakedc::FakeDc::Start(options);
  if (!dc.ok()) {
    std::cerr << "fakedc: " << dc.status() << "\n";
    return 1;
  }
  if (list_methods) {
    // The methods it answers (besides the MTProto service messages), one per line.
    for (const std::string& method : (*dc)->Methods()) std::cout << method << "\n";
    return 0;
  }
  if (!public_key_out.empty()) {
    std::ofstream(public_key_out) << (*dc)->public_key_pem();
  }
  std::string ports;
  for (const tgrpc::fakedc::DcEndpoint& e : (*dc)->endpoints()) {
    absl::StrAppend(&ports, ports.empty() ? "" : ",", "{\"dc\":", e.id,
                    ",\"media_only\":", e.media_only ? "true" : "false", ",\"port\":", e.port,
                    e.cdn ? ",\"cdn\":true" : "", "}");
  }
  std::cout << "{\"ready\":true,\"address\":" << JsonString(options.address) << ",\"endpoints\":["
            << ports << "],\"fingerprint\":\"" << static_cast<int64_t>((*dc)->fingerprint())
            << "\",\"public_key\":" << JsonString((*dc)->public_key_pem()) << "}" << std::endl;
  std::signal(SIGINT, [](int) { stop = 1; });
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGUSR1, [](int) { drop_requested = 1; });
  std::signal(SIGUSR2, [](int) { restart_requested = 1; });
  std::signal(SIGHUP, [](int) { reload_requested = 1; });
  while (!stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (drop_requested) {
      drop_requested = 0;
      (*dc)->DropConnections();
    }
    if (reload_requested) {
      reload_requested = 0;
      // The faults in force become those of the file, over the ones given at start.
      std::ifstream in(faults_file);
      std::stringstream text;
      text << in.rdbuf();
      absl::StatusOr<tgrpc::fakedc::FaultOptions> faults =
          faults_file.empty() || !in
              ? absl::FailedPreconditionError("SIGHUP: no readable --faults_file")
              : tgrpc::fakedc::ParseFaultFlags(text.str(), options.faults);
      if (faults.ok()) {
        (*dc)->SetFaults(*faults);
        std::cerr << "fakedc: faults now " << tgrpc::fakedc::FaultFlags(*faults) << "\n";
      } else {
        std::cerr << "fakedc: faults not changed: " << faults.status() << "\n";
      }
    }
    if (restart_requested) {
      restart_requested = 0;
      if (absl::Status restarted = (*dc)->Restart(); !restarted.ok()) {
        std::cerr << "fakedc: restart failed: " << restarted << "\n";
        return 1;
      }
    }
  }
  std::cerr << "fakedc: stopping\n";
  return 0;
}
