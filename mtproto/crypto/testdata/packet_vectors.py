#!/usr/bin/env python3
"""Independent known-answer vectors for message_key_test.cc and packet_cipher_test.cc.

Written straight from core.telegram.org/mtproto/description on Python's hashlib and the
`cryptography` package's AES block cipher, sharing no code with the C++ under test. Prints the
values those tests expect; rerun it if the inputs there change.
"""
import hashlib
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AUTH_KEY = bytes.fromhex(
    "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B28720CC"
    "D0E65DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7FE1A4D98"
    "51F17B6CC7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108B25B1DC9AB2D"
    "979864858C9EACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585DEA1E1CD296444EA6"
    "CD8F6C3564B2D355B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714CB4A45EEE2F310FDDC0A1"
    "B08BD3DFF8801E27C8508EFD7AD51EF3C13EF1D9A02EE4601741")
SALT = 0x0123456789ABCDEF
SESSION_ID = 0x1122334455667788
MSG_ID = 0x65C5DC4F00000004
SEQ_NO = 1
BODY = bytes.fromhex("ec77be7a" "0102030405060708")  # ping#7abe77ec ping_id:long
PADDING = bytes(range(0xA0, 0xA0 + 20))  # 32 + 12 + 20 = 64


def ige_encrypt(key, iv, data):
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    prev_c, prev_p = iv[:16], iv[16:]
    out = b""
    for i in range(0, len(data), 16):
        p = data[i:i + 16]
        c = bytes(a ^ b for a, b in zip(
            ecb.update(bytes(a ^ b for a, b in zip(p, prev_c))), prev_p))
        out += c
        prev_c, prev_p = c, p
    return out


def plaintext():
    plain = struct.pack("<QQQII", SALT, SESSION_ID, MSG_ID, SEQ_NO, len(BODY)) + BODY + PADDING
    assert len(plain) % 16 == 0
    return plain


def message_key(x, plain):
    msg_key = hashlib.sha256(AUTH_KEY[88 + x:120 + x] + plain).digest()[8:24]
    a = hashlib.sha256(msg_key + AUTH_KEY[x:x + 36]).digest()
    b = hashlib.sha256(AUTH_KEY[40 + x:76 + x] + msg_key).digest()
    key = a[0:8] + b[8:24] + a[24:32]
    iv = b[0:8] + a[8:24] + b[24:32]
    return msg_key, key, iv


def encrypt(x):
    plain = plaintext()
    msg_key, key, iv = message_key(x, plain)
    auth_key_id = hashlib.sha1(AUTH_KEY).digest()[12:20]
    return auth_key_id + msg_key + ige_encrypt(key, iv, plain)


print("plaintext:", plaintext().hex())
for x in (0, 8):
    msg_key, key, iv = message_key(x, plaintext())
    print("x=%d msg_key:" % x, msg_key.hex())
    print("x=%d aes key:" % x, key.hex())
    print("x=%d aes iv: " % x, iv.hex())
print("client->server:", encrypt(0).hex())
print("server->client:", encrypt(8).hex())
