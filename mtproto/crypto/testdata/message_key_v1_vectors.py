#!/usr/bin/env python3
"""Independent known-answer vectors for message_key_v1_test.cc.

Written straight from core.telegram.org/mtproto/description_v1 (the MTProto 1.0 key derivation,
still used for the binding message of auth.bindTempAuthKey) on Python's hashlib, sharing no code
with the C++ under test. Prints the values the test expects; rerun it if the inputs there change.
"""
import hashlib

AUTH_KEY = bytes.fromhex(
    "ACA2547BAA3B4B3E6AD9129ADEE796042FC4ACAAABA40DCE7A1196640595829E2BA85C5E68E5D2B7B713B28720CC"
    "D0E65DA3B80CD8A9282BDE895755B924F4CBBCED119DEE057D3066D7095C25771A53D9AD6EC3464EE0E7FE1A4D98"
    "51F17B6CC7D6E636E0BDEA7D66153CF37005835A528E65673C1F5ADAA27465964BA89AA6FD045108B25B1DC9AB2D"
    "979864858C9EACBFA4A399CDBF2154D2CC6743C5CAA40683343D80A36C7F1289DC5AC5EE585DEA1E1CD296444EA6"
    "CD8F6C3564B2D355B310A3C02608EEA5EC36D38E941BF811489AB7A24C069E44FF54714CB4A45EEE2F310FDDC0A1"
    "B08BD3DFF8801E27C8508EFD7AD51EF3C13EF1D9A02EE4601741")
# random:int128 + msg_id + seqno 0 + length 40 + bind_auth_key_inner (the shape of a binding message).
PLAINTEXT = bytes.fromhex(
    "000102030405060708090a0b0c0d0e0f" "0400000050dcc565" "00000000" "28000000"
    "65f7a375" "1111111111111111" "2222222222222222" "3333333333333333" "4444444444444444"
    "55555555")


def sha1(*parts):
    return hashlib.sha1(b"".join(parts)).digest()


def derive(msg_key, x):
    k = AUTH_KEY
    a = sha1(msg_key, k[x:x + 32])
    b = sha1(k[32 + x:48 + x], msg_key, k[48 + x:64 + x])
    c = sha1(k[64 + x:96 + x], msg_key)
    d = sha1(msg_key, k[96 + x:128 + x])
    key = a[0:8] + b[8:20] + c[4:16]
    iv = a[8:20] + b[0:8] + c[16:20] + d[0:8]
    return key, iv


msg_key = sha1(PLAINTEXT)[4:20]
print("msg_key", msg_key.hex())
for name, x in (("client", 0), ("server", 8)):
    key, iv = derive(msg_key, x)
    print(name, "key", key.hex())
    print(name, "iv ", iv.hex())
