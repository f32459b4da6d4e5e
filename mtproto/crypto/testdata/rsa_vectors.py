#!/usr/bin/env python3
"""Independent RSA_PAD and legacy-RSA vectors for rsa_pad_test.cc.

Written from core.telegram.org/mtproto/auth_key on Python's integers, hashlib and the
`cryptography` package (key loading and the AES block cipher), sharing no code with the C++
under test. Uses test_rsa_key.pem, a key made for these tests only. The "random" bytes are the
fixed sequence below; rsa_pad_test.cc hands the same bytes to the C++ code.
"""
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "test_rsa_key.pem"), "rb") as f:
    KEY = serialization.load_pem_private_key(f.read(), password=None)
N = KEY.public_key().public_numbers().n
E = KEY.public_key().public_numbers().e

DATA = bytes(range(100))  # stands in for a serialized p_q_inner_data
RANDOM = bytes((7 * i + 3) % 256 for i in range(512))  # the scripted random source


def ige_encrypt(key, iv, data):
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    prev_c, prev_p = iv[:16], iv[16:]
    out = b""
    for i in range(0, len(data), 16):
        p = data[i:i + 16]
        c = bytes(a ^ b for a, b in zip(ecb.update(bytes(a ^ b for a, b in zip(p, prev_c))), prev_p))
        out += c
        prev_c, prev_p = c, p
    return out


def rsa_pad():
    rnd = iter(RANDOM)
    take = lambda n: bytes(next(rnd) for _ in range(n))
    data_with_padding = DATA + take(192 - len(DATA))
    while True:
        temp_key = take(32)
        data_with_hash = data_with_padding[::-1] + hashlib.sha256(temp_key + data_with_padding).digest()
        aes_encrypted = ige_encrypt(temp_key, bytes(32), data_with_hash)
        temp_key_xor = bytes(a ^ b for a, b in zip(temp_key, hashlib.sha256(aes_encrypted).digest()))
        key_aes_encrypted = temp_key_xor + aes_encrypted
        if int.from_bytes(key_aes_encrypted, "big") < N:
            break
    return pow(int.from_bytes(key_aes_encrypted, "big"), E, N).to_bytes(256, "big")


def legacy():
    block = hashlib.sha1(DATA).digest() + DATA
    block += RANDOM[:255 - len(block)]
    return pow(int.from_bytes(block, "big"), E, N).to_bytes(256, "big")


print("rsa_pad:", rsa_pad().hex())
print("legacy: ", legacy().hex())
