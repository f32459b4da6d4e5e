#!/usr/bin/env python3
"""A listener that tells which MTProto transport a client opened a connection with.

It binds 127.0.0.1 (port 0 unless told), prints {"listening": PORT} as its first line, and for each
accepted connection reads until it has decoded the client's first MTProto packet (or gives up),
prints one JSON line, and closes the connection. It never answers (except the WebSocket upgrade), so
a client gets as far as its first handshake packet and no further.

Detected transports, named as the interop drivers name them:
  abridged (0xef), intermediate (0xeeeeeeee), padded (0xdddddddd), full (length, seqno 0, CRC32),
  obfuscated-<inner> (64 random bytes; AES-256-CTR with the key and IV from the header itself, the
  inner tag at offset 56), mtproxy-<inner> (the same with the key mixed with --secret, DC id at 60),
  mtproxy-faketls (a TLS ClientHello whose random is the HMAC of --secret), ws-<...> (an HTTP
  upgrade to WebSocket on /apiws, answered, then the frames' payload decoded as above) and http
  (POST /api).
The first packet is checked to be an unencrypted message (auth_key_id 0) and its constructor named:
req_pq_multi or req_pq.

Usage: probe_listener.py [--port N] [--once] [--secret HEX] [--timeout S]
"""
import argparse
import base64
import hashlib
import hmac
import json
import socket
import struct
import threading
import time
import zlib

CONSTRUCTORS = {0xbe7e8ef1: "req_pq_multi", 0x60469778: "req_pq"}
TAGS = {b"\xef\xef\xef\xef": "abridged", b"\xee\xee\xee\xee": "intermediate",
        b"\xdd\xdd\xdd\xdd": "padded"}
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def aes_ctr(key, iv):
    """Returns a function that decrypts the stream from its start (AES-256-CTR), or None."""
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        return Cipher(algorithms.AES(key), modes.CTR(iv)).decryptor().update
    except ImportError:
        pass
    try:
        import pyaes
        ctr = pyaes.AESModeOfOperationCTR(key, counter=pyaes.Counter(int.from_bytes(iv, "big")))
        return ctr.decrypt
    except ImportError:
        return None


class NeedMore(Exception):
    pass


class Bad(Exception):
    pass


def need(buf, n):
    if len(buf) < n:
        raise NeedMore()


def describe_message(payload):
    """What the first MTProto packet holds."""
    need(payload, 20)
    auth_key_id, msg_id, length = struct.unpack_from("<qqi", payload)
    if auth_key_id != 0:
        return {"message": f"encrypted (auth_key_id {auth_key_id & (2**64 - 1):016x})"}
    need(payload, 24)
    (cid,) = struct.unpack_from("<I", payload, 20)
    return {"message": CONSTRUCTORS.get(cid, f"#{cid:08x}"), "msg_id": msg_id, "length": length}


def read_abridged(s):
    need(s, 1)
    n = s[0] & 0x7f
    if n == 0x7f:
        need(s, 4)
        n, head = int.from_bytes(s[1:4], "little"), 4
    else:
        head = 1
    need(s, head + n * 4)
    return s[head:head + n * 4]


def read_intermediate(s):
    need(s, 4)
    n = struct.unpack_from("<I", s)[0] & 0x7fffffff
    if n > 1 << 24:
        raise Bad(f"length {n}")
    need(s, 4 + n)
    return s[4:4 + n]


def read_full(s):
    need(s, 8)
    n, seq = struct.unpack_from("<Ii", s)
    if not 12 <= n <= 1 << 24:
        raise Bad(f"length {n}")
    need(s, n)
    (crc,) = struct.unpack_from("<I", s, n - 4)
    if zlib.crc32(s[:n - 4]) != crc:
        raise Bad("CRC32 mismatch")
    return {"seqno": seq, "payload": s[8:n - 4]}


READERS = {"abridged": read_abridged, "intermediate": read_intermediate, "padded": read_intermediate}


def decode_obfuscated(buf, secret):
    """buf starts with the 64-byte obfuscated2 header."""
    need(buf, 64)
    header = bytes(buf[:64])
    tries = [("obfuscated", header[8:40])]
    if secret:
        tries.append(("mtproxy", hashlib.sha256(header[8:40] + secret).digest()))
    for kind, key in tries:
        decrypt = aes_ctr(key, header[40:56])
        if decrypt is None:
            return {"transport": "obfuscated-?", "note": "no AES module to decrypt it"}
        plain = decrypt(bytes(buf))
        inner = TAGS.get(plain[56:60])
        if inner is None:
            continue
        out = {"transport": f"{kind}-{inner}"}
        if kind == "mtproxy":
            out["dc"] = struct.unpack_from("<h", plain, 60)[0]
        out.update(describe_message(READERS[inner](plain[64:])))
        return out
    return {"transport": "unknown", "note": "64 bytes that decrypt to no known tag"
            + ("" if secret else " (no --secret for MTProxy)")}


def decode_faketls(buf, secret):
    need(buf, 5)
    n = struct.unpack_from(">H", buf, 3)[0]
    need(buf, 5 + n)
    hello = bytes(buf[:5 + n])
    out = {"transport": "mtproxy-faketls", "client_hello": len(hello)}
    if secret and len(hello) > 43:
        zeroed = hello[:11] + b"\0" * 32 + hello[43:]
        digest = hmac.new(secret, zeroed, hashlib.sha256).digest()
        out["hmac"] = "ok" if digest[:28] == hello[11:39] else "mismatch"
    out["note"] = "waits for a fake ServerHello; not answered"
    return out


def decode_plain(buf, secret):
    """Everything but WebSocket: returns the result dict or raises NeedMore/Bad."""
    need(buf, 1)
    if buf[0] == 0xef:
        return {"transport": "abridged", **describe_message(read_abridged(buf[1:]))}
    need(buf, 4)
    tag = bytes(buf[:4])
    if tag == b"\xee\xee\xee\xee":
        return {"transport": "intermediate", **describe_message(read_intermediate(buf[4:]))}
    if tag == b"\xdd\xdd\xdd\xdd":
        return {"transport": "padded", **describe_message(read_intermediate(buf[4:]))}
    if tag[:3] == b"\x16\x03\x01":
        return decode_faketls(buf, secret)
    if tag == b"POST":
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            raise NeedMore()
        head = bytes(buf[:end]).decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v)
        need(buf, end + 4 + length)
        return {"transport": "http", "request": head.split("\r\n")[0],
                **describe_message(buf[end + 4:end + 4 + length])}
    need(buf, 8)
    if buf[4:8] == b"\0\0\0\0" and 12 <= struct.unpack_from("<I", buf)[0] <= 1 << 24:
        full = read_full(buf)
        return {"transport": "full", "seqno": full["seqno"], **describe_message(full["payload"])}
    return decode_obfuscated(buf, secret)


def ws_payload(frames):
    """Concatenated payload of the complete client frames in `frames` (masked, binary)."""
    out, i = bytearray(), 0
    while True:
        if len(frames) - i < 2:
            return out
        b1 = frames[i + 1]
        n, head = b1 & 0x7f, 2
        if n == 126:
            if len(frames) - i < 4:
                return out
            n, head = struct.unpack_from(">H", frames, i + 2)[0], 4
        elif n == 127:
            if len(frames) - i < 10:
                return out
            n, head = struct.unpack_from(">Q", frames, i + 2)[0], 10
        mask = b""
        if b1 & 0x80:
            mask, head = frames[i + head:i + head + 4], head + 4
        if len(frames) - i < head + n:
            return out
        data = frames[i + head:i + head + n]
        if mask:
            data = bytes(c ^ mask[j % 4] for j, c in enumerate(data))
        out += data
        i += head + n


class Probe:
    def __init__(self, conn, secret):
        self.conn, self.secret = conn, secret
        self.buf = bytearray()
        self.ws_end = None  # end of the WebSocket upgrade request, once answered

    def decode(self):
        buf = self.buf
        if self.ws_end is None and buf[:4] == b"GET ":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                raise NeedMore()
            head = bytes(buf[:end]).decode("latin-1")
            key = ""
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "sec-websocket-key":
                    key = v.strip()
            accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
            self.conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Protocol: binary\r\n"
                               f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
            self.ws_end = end + 4
            self.request = head.split("\r\n")[0]
        if self.ws_end is not None:
            out = decode_plain(ws_payload(bytes(buf[self.ws_end:])), self.secret)
            out["transport"] = "ws-" + out["transport"]
            out["request"] = self.request
            return out
        return decode_plain(buf, self.secret)

    def run(self, timeout):
        deadline = time.monotonic() + timeout
        result = None
        while result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                result = {"transport": "incomplete", "note": f"no full first packet in {timeout} s"}
                break
            self.conn.settimeout(left)
            try:
                chunk = self.conn.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                result = {"transport": "error", "note": str(e)}
                break
            if not chunk:
                result = {"transport": "closed", "note": "client closed before a full first packet"}
                break
            self.buf += chunk
            try:
                result = self.decode()
            except NeedMore:
                pass
            except Bad as e:
                result = {"transport": "unknown", "note": str(e)}
        result["bytes"] = len(self.buf)
        result["head"] = bytes(self.buf[:8]).hex()
        return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--once", action="store_true", help="exit after the first connection")
    ap.add_argument("--secret", default="", help="MTProxy secret (16 bytes hex, without dd/ee)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a packet")
    args = ap.parse_args()
    secret = bytes.fromhex(args.secret)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(16)
    print(json.dumps({"listening": srv.getsockname()[1]}), flush=True)
    lock = threading.Lock()
    count = [0]

    def serve(conn, n):
        with conn:
            result = Probe(conn, secret).run(args.timeout)
        with lock:
            print(json.dumps({"conn": n, **result}), flush=True)

    while True:
        conn, _ = srv.accept()
        count[0] += 1
        if args.once:
            serve(conn, count[0])
            return
        threading.Thread(target=serve, args=(conn, count[0]), daemon=True).start()


if __name__ == "__main__":
    main()
