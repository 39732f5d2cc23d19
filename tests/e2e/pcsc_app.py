#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A PC/SC application driven line by line (for the e2e harness).

It keeps ONE context for its whole life, like a long-running application.
Commands on stdin, one JSON object per line on stdout:
  readers                       -> {"readers": [...]}
  states                        -> {"states": {reader: {"state": n, "atr": hex}}}
  wait READER STATE MS          -> GetStatusChange from STATE (a number) until
                                   it changes or MS pass: {"rv", "state", "atr"}
  connect READER                -> {"rv", "protocol"}
  transmit HEX                  -> {"rv", "resp": hex}  (on the connected handle)
  disconnect                    -> {"rv"}
  quit
Uses Debian's python3-pyscard (run with /usr/bin/python3).
"""
import json
import sys

from smartcard import scard as S


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def main():
    rv, ctx = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
    if rv:
        out(rv=rv, error="EstablishContext")
        return 1
    card, proto = None, 0
    out(ready=True)
    for line in sys.stdin:
        w = line.rstrip("\n").split(" ")
        cmd, args = w[0], w[1:]
        try:
            if cmd == "readers":
                rv, rd = S.SCardListReaders(ctx, [])
                out(rv=rv, readers=list(rd or []))
            elif cmd == "states":
                rv, rd = S.SCardListReaders(ctx, [])
                st = {}
                if not rv and rd:
                    rv, res = S.SCardGetStatusChange(
                        ctx, 0, [(r, S.SCARD_STATE_UNAWARE) for r in rd])
                    for r, state, atr in res or []:
                        st[r] = {"state": state, "atr": bytes(atr).hex()}
                out(rv=rv, states=st)
            elif cmd == "wait":
                reader = " ".join(args[:-2])
                rv, res = S.SCardGetStatusChange(ctx, int(args[-1]),
                                                 [(reader, int(args[-2]))])
                if res:
                    _r, state, atr = res[0]
                    out(rv=rv, state=state, atr=bytes(atr).hex())
                else:
                    out(rv=rv, state=0, atr="")
            elif cmd == "connect":
                reader = " ".join(args)
                rv, card, proto = S.SCardConnect(ctx, reader, S.SCARD_SHARE_SHARED,
                                                 S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1)
                out(rv=rv, protocol=proto)
            elif cmd == "transmit":
                pci = S.SCARD_PCI_T1 if proto == S.SCARD_PROTOCOL_T1 else S.SCARD_PCI_T0
                rv, resp = S.SCardTransmit(card, pci, list(bytes.fromhex(args[0])))
                out(rv=rv, resp=bytes(resp or []).hex())
            elif cmd == "disconnect":
                rv = S.SCardDisconnect(card, S.SCARD_LEAVE_CARD) if card is not None else 0
                card = None
                out(rv=rv)
            elif cmd == "quit":
                break
            else:
                out(rv=-1, error="unknown command " + cmd)
        except Exception as e:      # keep the app alive for the harness
            out(rv=-1, error=repr(e))
    S.SCardReleaseContext(ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
