// The checks behind the handshake fuzz targets, apart from the targets (one line each) and the
// driver (//tests/fuzz), so libFuzzer and the deterministic driver run the same code.
//
// Input: the messages one peer sends, each as a 2-byte little-endian length and that many bytes.
// They are fed, in order, to a fresh handshake of the other role whose randomness and clock are
// fixed, so a recorded exchange replays exactly and mutations of it reach every step. Every
// violated invariant aborts, which libFuzzer and the driver report as a crash.
#ifndef TGRPC_MTPROTO_HANDSHAKE_FUZZ_FUZZ_SUPPORT_H_
#define TGRPC_MTPROTO_HANDSHAKE_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tgrpc::mtproto::handshake::fuzz {

std::vector<std::string> SplitMessages(const uint8_t* data, size_t size);
std::string JoinMessages(const std::vector<std::string>& messages);

// ServerHandshake fed client messages: an error must leave it failed and refusing more input;
// every answer must be an unencrypted server message; a finished exchange must be consistent.
void FuzzServerHandshake(const uint8_t* data, size_t size);
// Every kind of client exchange against the fuzzed server's configuration.
std::vector<std::string> ServerHandshakeSeeds();

// ClientHandshake (after Start()) fed server messages, with the same invariants.
void FuzzClientHandshake(const uint8_t* data, size_t size);
// The fuzzed client's exchange against servers of several seeds, with and without dh_gen_retry.
std::vector<std::string> ClientHandshakeSeeds();

}  // namespace tgrpc::mtproto::handshake::fuzz

#endif  // TGRPC_MTPROTO_HANDSHAKE_FUZZ_FUZZ_SUPPORT_H_
