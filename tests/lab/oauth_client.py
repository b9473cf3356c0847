#!/usr/bin/env python3
"""Client side of tests/lab/oauth_lab_test.sh: signed JWT assertions and SASL logins.

  oauth_client.py assertion --iss ID --aud URL --key KEY.pem [--cert CERT.pem] [--sub S]
                            [--scope S] [--exp-in SECONDS] [--jti J] [--kid K] [--tamper]
      prints a JWT signed RS256 (with `openssl dgst`): a client assertion (RFC 7523 2.2,
      x5t/x5t#S256 headers from --cert) or, with --scope, a service-account assertion
      (RFC 7523 2.1, Google's claims)
  oauth_client.py verify --jwks JWKS.json
      reads a JWT on stdin, verifies its RS256 signature with the JWKS key its `kid` names
      (RFC 7517, with `openssl dgst -verify`) and prints its claims; exit 1 if it does not
      verify
  oauth_client.py login imap|pop3|smtp xoauth2|oauthbearer --port P --user U [--source IP]
                        [--no-initial-response]
      reads an access token on stdin, logs in over TLS (IMAPS, POP3S, submission with
      STARTTLS) verified against $LAB_CA_FILE, and prints `OK` or `FAILED <what the server
      said>`: for a refused token the decoded JSON of the server's challenge (RFC 7628
      3.2.2), then the final answer. Exit 0 if logged in, 1 if refused, 2 on other errors.

Only the Python standard library and the openssl command. Every network call times out.
"""
import argparse
import base64
import hashlib
import imaplib
import json
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

TIMEOUT = 10


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprints(cert_file: str) -> dict:
    der = subprocess.run(["openssl", "x509", "-in", cert_file, "-outform", "DER"],
                         check=True, capture_output=True, timeout=TIMEOUT).stdout
    return {"x5t": b64url(hashlib.sha1(der).digest()),
            "x5t#S256": b64url(hashlib.sha256(der).digest())}


def make_assertion(args) -> str:
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if args.cert:
        header.update(thumbprints(args.cert))
    if args.kid:
        header["kid"] = args.kid
    claims = {"iss": args.iss, "aud": args.aud, "iat": now, "exp": now + args.exp_in}
    if args.scope is None:  # client assertion: sub = iss, a jti, nbf
        claims.update(sub=args.iss, jti=args.jti or str(uuid.uuid4()), nbf=now)
    else:
        claims["scope"] = args.scope
        if args.sub:
            claims["sub"] = args.sub
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key],
                               input=signing_input.encode(), check=True,
                               capture_output=True, timeout=TIMEOUT).stdout
    if args.tamper:  # flip one bit: the signature no longer verifies
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return signing_input + "." + b64url(signature)


def unpad(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def der(tag: int, body: bytes) -> bytes:
    """One DER element (X.690 8.1): tag, definite length, contents."""
    size = len(body)
    if size < 128:
        return bytes([tag, size]) + body
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def jwk_to_pem(jwk: dict) -> str:
    """RFC 8017 A.1.1 RSAPublicKey (SEQUENCE of modulus and exponent) as PEM."""
    def integer(b64: str) -> bytes:
        value = int.from_bytes(unpad(b64), "big")
        return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))
    body = base64.encodebytes(der(0x30, integer(jwk["n"]) + integer(jwk["e"]))).decode()
    return f"-----BEGIN RSA PUBLIC KEY-----\n{body}-----END RSA PUBLIC KEY-----\n"


def verify_jwt(args) -> int:
    token = sys.stdin.read().strip()
    head, body, signature = token.split(".")
    header = json.loads(unpad(head))
    with open(args.jwks, encoding="utf-8") as f:
        keys = [k for k in json.load(f)["keys"] if k.get("kid") == header.get("kid")]
    if header.get("alg") != "RS256" or len(keys) != 1:
        print(f"no RS256 key for kid {header.get('kid')!r} in the JWKS")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/key.pem", "w", encoding="ascii") as f:
            f.write(jwk_to_pem(keys[0]))
        with open(f"{tmp}/sig", "wb") as f:
            f.write(unpad(signature))
        check = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{tmp}/key.pem",
                                "-signature", f"{tmp}/sig"], input=f"{head}.{body}".encode(),
                               capture_output=True, timeout=TIMEOUT)
    if check.returncode != 0:
        print(f"signature does not verify: {check.stdout.decode()} {check.stderr.decode()}")
        return 1
    print(json.dumps(json.loads(unpad(body))))
    return 0


def initial_response(mech: str, user: str, port: int, token: str) -> bytes:
    if mech == "xoauth2":
        return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    # RFC 7628 3.1: GS2 header with the authorization identity, then key=value pairs.
    return f"n,a={user},\x01host=localhost\x01port={port}\x01auth=Bearer {token}\x01\x01".encode()


class Refused(Exception):
    pass


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.environ["LAB_CA_FILE"])


def from_source(source):
    """A socket factory for imaplib/poplib that binds the local address first."""
    def create(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(source, 0) if source else None)
    return create


def login_imap(args, token):
    challenges = []

    class IMAP(imaplib.IMAP4_SSL):
        def _create_socket(self, timeout):
            return tls_context().wrap_socket(from_source(args.source)(self, timeout),
                                             server_hostname=self.host)

    def respond(challenge):
        if challenge:  # RFC 7628 3.2.3: an error challenge is answered with a dummy ^A
            challenges.append(challenge.decode(errors="replace"))
            return b"\x01" if args.mech == "oauthbearer" else b""
        return initial_response(args.mech, args.user, args.port, token)

    imap = IMAP("127.0.0.1", args.port, timeout=TIMEOUT)
    try:
        imap.authenticate(args.mech.upper(), respond)
        imap.select("INBOX")
    except imaplib.IMAP4.error as e:
        raise Refused(" ".join(challenges + [str(e)])) from None
    finally:
        imap.shutdown()


def login_pop3(args, token):
    class POP3(poplib.POP3_SSL):
        def _create_socket(self, timeout):
            return tls_context().wrap_socket(from_source(args.source)(self, timeout),
                                             server_hostname=self.host)

    pop = POP3("127.0.0.1", args.port, timeout=TIMEOUT, context=tls_context())
    try:
        ir = base64.b64encode(initial_response(args.mech, args.user, args.port, token)).decode()
        answer = pop._shortcmd(f"AUTH {args.mech.upper()} {ir}")
        if answer.startswith(b"+ "):  # a challenge: the error JSON (RFC 7628 3.2.2)
            challenge = base64.b64decode(answer[2:]).decode(errors="replace")
            try:
                answer = pop._shortcmd("AQ==" if args.mech == "oauthbearer" else "")  # ^A
            except poplib.error_proto as e:
                raise Refused(f"{challenge} {e}") from None
            raise Refused(f"{challenge} {answer!r}")
        pop.stat()
    except poplib.error_proto as e:
        raise Refused(str(e)) from None
    finally:
        pop.close()


def login_smtp(args, token):
    smtp = smtplib.SMTP("127.0.0.1", args.port, timeout=TIMEOUT,
                        source_address=(args.source, 0) if args.source else None)
    try:
        smtp.starttls(context=tls_context())
        smtp.ehlo()
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        if args.mech.upper() not in offered:
            raise Refused(f"{args.mech.upper()} not offered (AUTH {' '.join(offered)})")
        ir = base64.b64encode(initial_response(args.mech, args.user, args.port, token)).decode()
        if args.no_initial_response:  # RFC 4954 4: a response too long for the command line
            code, text = smtp.docmd("AUTH", args.mech.upper())
            if code == 334:
                code, text = smtp.docmd(ir)
        else:
            code, text = smtp.docmd("AUTH", f"{args.mech.upper()} {ir}")
        if code == 334:
            challenge = base64.b64decode(text).decode(errors="replace")
            code, text = smtp.docmd(base64.b64encode(b"\x01").decode()
                                    if args.mech == "oauthbearer" else "")
            raise Refused(f"{challenge} {code} {text.decode(errors='replace')}")
        if code != 235:
            raise Refused(f"{code} {text.decode(errors='replace')}")
    finally:
        smtp.close()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assertion")
    a.add_argument("--iss", required=True)
    a.add_argument("--aud", required=True)
    a.add_argument("--key", required=True)
    a.add_argument("--cert")
    a.add_argument("--sub")
    a.add_argument("--scope")
    a.add_argument("--exp-in", type=int, default=300)
    a.add_argument("--jti")
    a.add_argument("--kid")
    a.add_argument("--tamper", action="store_true")
    g = sub.add_parser("login")
    g.add_argument("protocol", choices=["imap", "pop3", "smtp"])
    g.add_argument("mech", choices=["xoauth2", "oauthbearer"])
    g.add_argument("--port", type=int, required=True)
    g.add_argument("--user", required=True)
    g.add_argument("--source")
    g.add_argument("--no-initial-response", action="store_true")
    v = sub.add_parser("verify")
    v.add_argument("--jwks", required=True)
    args = parser.parse_args()
    if args.command == "assertion":
        print(make_assertion(args))
        return 0
    if args.command == "verify":
        return verify_jwt(args)
    token = sys.stdin.read().strip()
    login = {"imap": login_imap, "pop3": login_pop3, "smtp": login_smtp}[args.protocol]
    try:
        login(args, token)
    except Refused as e:
        print(f"FAILED {e}")
        return 1
    except (OSError, EOFError, smtplib.SMTPException, imaplib.IMAP4.abort) as e:
        print(f"ERROR {type(e).__name__}: {e}")
        return 2
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
