#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A minimal PIV card (NIST SP 800-73) on a vsmartcard vpcd slot, enough
for OpenSC's PIV driver and its PKCS#15 emulation: `pkcs11-tool -L` shows
a token, `pkcs11-tool --list-objects` a certificate and its public key.

Written from SP 800-73-4 (data model, APT, GET DATA) and from reading
which APDUs OpenSC's card-piv.c sends; no code taken from either.

The applet is selected at power-on (800-73: PIV is the default
application) and answers:
  SELECT 00 A4 04 00 with a prefix of the PIV AID A0 00 00 03 08 00 00 10 00
      -> the application property template (tag 61), 90 00
  SELECT of anything else        -> 6A 82
  GET DATA 00 CB 3F FF 5C <tag>  -> discovery object (7E), CHUID (5FC102),
      CCC (5FC107), X.509 certificate for PIV Authentication (5FC105);
      any other object 6A 82.  At most Le bytes (00: 256); the rest with
      61 xx and GET RESPONSE 00 C0, as a short-APDU card does.
  VERIFY 00 20 00 80             -> no data: 63 C3; PIN 123456: 90 00
  other instructions             -> 6D 00; proprietary classes 6E 00
The certificate (RSA 2048, self-signed, CN=vscard PIV test) is generated
at start with the openssl tool, or read from --cert (DER or PEM).  Its
private key is never stored: the card cannot sign, nothing here needs it.

With --log, one line per APDU ("apdu INS SW") and per power event
("power N") on stdout: the benchmark counts them.

  pivcc.py --port PORT [--cert FILE] [--log]   (reconnects until killed)
"""
import argparse
import base64
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minicc  # noqa: E402

PIV_AID = bytes.fromhex("a000000308000010000100")
HIST = b"vscardPIV"


def atr():
    """3B, T0 (TD1 follows, K historical bytes), TD1 = T=1 only, the
    historical bytes, TCK (XOR of T0 .. the last historical byte)."""
    body = bytes([0x80 | len(HIST), 0x01]) + HIST
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


def tlv(tag, value):
    """BER-TLV with a definite length (tag given as its bytes)."""
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    return tag + ln + value


# Only the key usage extension (no key identifiers): a 728-byte
# certificate, so its PIV object (741 bytes) takes a GET DATA and two GET
# RESPONSE, whatever the openssl defaults.
OPENSSL_CONF = (b"[req]\ndistinguished_name = dn\nx509_extensions = ext\n[dn]\n[ext]\n"
                b"keyUsage = critical,digitalSignature\nsubjectKeyIdentifier = none\n")


def make_cert():
    """A self-signed RSA 2048 certificate, DER, made by the openssl tool
    (the test VM's /dev has no stdin/stdout links: a file for the
    configuration, the certificate on stdout); the key goes to /dev/null."""
    with tempfile.NamedTemporaryFile(suffix=".cnf") as conf:
        conf.write(OPENSSL_CONF)
        conf.flush()
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", "/dev/null", "-subj", "/CN=vscard PIV test",
                            "-days", "30", "-config", conf.name, "-outform", "DER"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode or not p.stdout:
        raise RuntimeError("openssl req: %s" % p.stderr.decode(errors="replace"))
    return p.stdout


def load_cert(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        body = data.split(b"-----BEGIN CERTIFICATE-----")[1].split(b"-----END")[0]
        data = base64.b64decode(b"".join(body.split()))
    return data


class Piv:
    def __init__(self, cert_der, log=None):
        self.log = log
        guid = hashlib.sha256(cert_der).digest()[:16]
        self.apt = tlv(b"\x61", tlv(b"\x4f", PIV_AID[5:]) +
                       tlv(b"\x79", tlv(b"\x4f", PIV_AID[:5])) +
                       tlv(b"\x50", b"vscard test PIV") +
                       tlv(b"\xac", tlv(b"\x80", b"\x07") + tlv(b"\x06", b"\x00")))
        fascn = bytes.fromhex("d4e739da739ced39ce739d836858210842108421c84210c3eb")
        self.objects = {
            # discovery object: the AID, PIN usage policy "PIV PIN only"
            b"\x7e": tlv(b"\x7e", tlv(b"\x4f", PIV_AID) + tlv(b"\x5f\x2f", b"\x40\x00")),
            # CHUID: FASC-N, GUID, expiry, empty signature, error detection code
            b"\x5f\xc1\x02": tlv(b"\x53", tlv(b"\x30", fascn) + tlv(b"\x34", guid) +
                                  tlv(b"\x35", b"20301231") + tlv(b"\x3e", b"") +
                                  tlv(b"\xfe", b"")),
            # CCC: card identifier, versions, the rest empty
            b"\x5f\xc1\x07": tlv(b"\x53", tlv(b"\xf0", b"\xa0\x00\x00\x01\x16\xff\x02" +
                                               guid[:14]) +
                                  tlv(b"\xf1", b"\x21") + tlv(b"\xf2", b"\x21") +
                                  tlv(b"\xf3", b"") + tlv(b"\xf4", b"\x00") +
                                  tlv(b"\xf5", b"\x10") + b"".join(
                                      tlv(bytes([t]), b"") for t in
                                      (0xf6, 0xf7, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe))),
            # X.509 certificate for PIV Authentication (key 9A): cert,
            # CertInfo 00 (not compressed), error detection code
            b"\x5f\xc1\x05": tlv(b"\x53", tlv(b"\x70", cert_der) + tlv(b"\x71", b"\x00") +
                                  tlv(b"\xfe", b"")),
        }
        self.verified = False
        self.pending = b""

    def control(self, code):
        self.pending = b""
        self.verified = False
        if self.log:
            self.log.write("power %d\n" % code)
            self.log.flush()

    def send(self, data, le):
        """At most le bytes now; 61 xx announces the rest."""
        now, self.pending = data[:le], data[le:]
        if self.pending:
            return now + bytes([0x61, min(len(self.pending), 256) & 0xFF])
        return now + b"\x90\x00"

    def answer(self, apdu):
        r = self._answer(apdu)
        if self.log:
            self.log.write("apdu %02x %s\n" % (apdu[1] if len(apdu) > 1 else 0, r[-2:].hex()))
            self.log.flush()
        return r

    def _answer(self, apdu):
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        data, le = b"", None
        if len(body) == 1:
            le = body[0] or 256
        elif len(body) > 1:
            lc = body[0]
            data = body[1:1 + lc]
            if len(data) != lc or len(body) > lc + 2:
                return b"\x67\x00"
            if len(body) == lc + 2:
                le = body[-1] or 256
        if le is None:
            le = 256
        pending, self.pending = self.pending, b""
        if cla & 0x80:
            return b"\x6e\x00"
        if ins == 0xC0:                                 # GET RESPONSE
            return self.send(pending, le) if pending else b"\x6a\x86"
        if ins == 0xA4:                                 # SELECT
            if p1 == 0x04 and len(data) >= 5 and PIV_AID.startswith(data):
                return self.send(self.apt, le)
            return b"\x6a\x82"
        if ins == 0xCB:                                 # GET DATA
            if (p1, p2) != (0x3F, 0xFF) or len(data) < 3 or data[0] != 0x5C or \
                    data[1] != len(data) - 2:
                return b"\x6a\x80"
            obj = self.objects.get(data[2:])
            return self.send(obj, le) if obj else b"\x6a\x82"
        if ins == 0x20:                                 # VERIFY
            if p2 != 0x80:
                return b"\x6a\x88"
            if not data:
                return b"\x90\x00" if self.verified else b"\x63\xc3"
            self.verified = data.rstrip(b"\xff") == b"123456"
            return b"\x90\x00" if self.verified else b"\x63\xc2"
        return b"\x6d\x00"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", help="certificate (DER or PEM); default: a new one")
    ap.add_argument("--log", action="store_true", help="one line per APDU on stdout")
    a = ap.parse_args()
    card = Piv(load_cert(a.cert) if a.cert else make_cert(),
               sys.stdout if a.log else None)
    minicc.run(a.port, atr(), card.answer, card.control, quickack=True)


if __name__ == "__main__":
    main()
