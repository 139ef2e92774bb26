"""A browser's side of Web Push, written independently of Paybell's Rust code, for its tests.

`keys` prints a new subscription key pair and auth secret; `open` reads a received push
(JSON on stdin) and checks it the way a push service and a browser would: the VAPID
`Authorization` (an ES256 JWT over the endpoint's origin, verified with the advertised public
key) and the `aes128gcm` body (decrypted with `http_ece`). Uses `cryptography` and `http_ece`
from `.venv-test` (scripts/install-test-deps.sh).
"""

import base64
import json
import os
import sys
import time

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = private.private_numbers().private_value.to_bytes(32, "big")
    print(json.dumps({"private": b64e(secret), "p256dh": b64e(public), "auth": b64e(os.urandom(16))}))


def verify_vapid(authorization, advertised, origin):
    scheme, _, params = authorization.partition(" ")
    if scheme != "vapid":
        raise SystemExit(f"not a vapid Authorization: {authorization!r}")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    if fields.get("k") != advertised:
        raise SystemExit("k= is not the advertised public key")
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    header = json.loads(b64d(header_b64))
    if header.get("alg") != "ES256":
        raise SystemExit(f"alg {header!r}")
    signature = b64d(signature_b64)
    if len(signature) != 64:
        raise SystemExit("an ES256 JWS signature is r||s, 64 bytes")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(advertised))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SystemExit("the VAPID signature does not verify with the advertised key")
    claims = json.loads(b64d(claims_b64))
    now = time.time()
    if claims.get("aud") != origin:
        raise SystemExit(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not now < claims["exp"] <= now + 24 * 3600:
        raise SystemExit(f"exp {claims['exp']} is not within 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise SystemExit(f"sub {claims.get('sub')!r}")
    return claims


def open_push():
    push = json.load(sys.stdin)
    claims = verify_vapid(push["authorization"], push["vapid_public_key"], push["origin"])
    secret = int.from_bytes(b64d(push["private"]), "big")
    private = ec.derive_private_key(secret, ec.SECP256R1())
    plaintext = http_ece.decrypt(
        b64d(push["body"]), private_key=private, auth_secret=b64d(push["auth"]), version="aes128gcm"
    )
    print(json.dumps({"claims": claims, "plaintext": plaintext.decode()}))


if __name__ == "__main__":
    {"keys": keys, "open": open_push}[sys.argv[1]]()
