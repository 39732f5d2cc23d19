#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""State-machine tests of vscard-agent against the scripted fake RDP client
and the fake kernel (no vscard.ko needed).  Prints PASS:/FAIL: lines."""
import os
import random
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakerdp import *  # noqa: E402,F401,F403

R = Results("agent")
ONLY = sys.argv[1:]


def card_lines(a, slot=0):
    return [l for l in a.klines if l.startswith("CARD %d " % slot)]


def done_lines(a):
    return [l.split() for l in a.klines if l.startswith("DONE ")]


def wait_bound(a, c, n=1, timeout=5):
    return c.pump(lambda: len(klines_of(a, "CARD")) >= n, timeout)


def finish(a, name, expect_rc=0):
    rc = a.stop()
    R.check(name + ": exit status %d" % expect_rc, rc == expect_rc, "rc=%s" % rc)
    R.check(name + ": no sanitizer report", a.sanitizer_clean(), a.log_path)
    return rc


def power_up(a, c, slot=0, req=1):
    a.ksend("REQ %d %d 1 1 64 -" % (slot, req))
    c.pump(lambda: any(d[2] == str(req) for d in done_lines(a)), 5)
    return [d for d in done_lines(a) if d[2] == str(req)]


def transmit(a, c, apdu, slot=0, req=2, rx=258, proto=2, wait=True):
    a.ksend("REQ %d %d 2 %d %d %s" % (slot, req, proto, rx, apdu))
    if wait:
        c.pump(lambda: any(d[2] == str(req) for d in done_lines(a)), 5)
    return [d for d in done_lines(a) if d[2] == str(req)]


# ----------------------------------------------------------------------

def test_handshake_unicode_loggedon():
    a = Agent()
    c = FakeClient(a, minor=13, unicode_name=True, extended=0x7)
    ok = wait_bound(a, c)
    R.check("handshake(unicode, 1.13, logged-on): reader bound and card reported", ok)
    ann = [b for p, b in c.server_pdus if p == SERVER_ANNOUNCE]
    R.check("server announce is 1.12 with a non-zero ClientId",
            len(ann) == 1 and struct.unpack_from("<HHI", ann[0])[:2] == (1, 12)
            and struct.unpack_from("<I", ann[0], 4)[0] != 0)
    order = [p for p, _ in c.server_pdus]
    R.check("caps then ClientId confirm then User Logged On then device reply",
            order[:5] == [SERVER_ANNOUNCE, SERVER_CAPABILITY, CLIENTID_CONFIRM,
                          USER_LOGGEDON, DEVICE_REPLY], str([hex(x) for x in order[:6]]))
    caps = c.got_caps or b""
    R.check("server caps: general v2 extendedPDU 7 + smart card set",
            len(caps) == 56 and caps[:4] == struct.pack("<HH", 2, 0)
            and caps[-8:] == bytes.fromhex("0500080001000000")
            and struct.unpack_from("<I", caps, 4 + 28)[0] == 7, caps.hex())
    conf = [b for p, b in c.server_pdus if p == CLIENTID_CONFIRM]
    R.check("ClientId confirm echoes the client's id",
            conf and struct.unpack_from("<I", conf[0], 4)[0] == c.client_id)
    R.check("device reply STATUS_SUCCESS for the smart card",
            c.device_replies == [(1, 0)], str(c.device_replies))
    est = c.calls_named("EstablishContext")
    R.check("monitor context uses SCOPE_SYSTEM", est and est[0]["scope"] == 2)
    lr = c.calls_named("ListReadersW")
    R.check("ListReadersW: SCard$AllReaders, AUTOALLOCATE",
            lr and lr[0]["groups"] == "SCard$AllReaders\0\0".encode("utf-16-le")
            and lr[0]["cch"] == 0xFFFFFFFF)
    gsc = c.calls_named("GetStatusChangeW")
    R.check("monitor GSC: INFINITE, PnP entry first, <= 10 states",
            gsc and gsc[0]["timeout"] == 0xFFFFFFFF and gsc[0]["states"][0][0] == PNP
            and len(gsc[0]["states"]) <= 10)
    R.check("BIND carries the CHANNEL_OPEN session key and the remote reader name",
            klines_of(a, "BIND") == ["BIND 0 %s Remote Reader 00 00" % b"session-1".hex()],
            str(a.klines))
    finish(a, "handshake-unicode")


def test_handshake_ascii_no_loggedon():
    a = Agent()
    c = FakeClient(a, minor=12, unicode_name=False, extended=0x3, name="ANSI-PC")
    ok = wait_bound(a, c)
    R.check("handshake(ansi, 1.12, no logged-on bit): reader bound", ok)
    R.check("no User Logged On when the client did not ask for it",
            USER_LOGGEDON not in [p for p, _ in c.server_pdus])
    R.check("ansi client name parsed", 'client name "ANSI-PC" (ansi)' in a.log())
    finish(a, "handshake-ansi")


def test_double_announce():
    a = Agent()
    c = FakeClient(a, announce_twice=True)
    ok = wait_bound(a, c)
    c.pump(timeout=0.3)
    R.check("double SCARD announce: bound", ok)
    R.check("double SCARD announce: two success replies",
            c.device_replies == [(1, 0), (1, 0)], str(c.device_replies))
    R.check("double SCARD announce: monitor started once",
            len(c.calls_named("EstablishContext")) == 1
            and len(c.calls_named("ListReadersW")) == 1)
    finish(a, "double-announce")


def test_other_devices_refused():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    drive = struct.pack("<II", 0x8, 7) + b"C:\0\0\0\0\0\0" + struct.pack("<I", 0)
    sc2 = struct.pack("<II", 0x20, 9) + b"SCARD\0\0\0" + struct.pack("<I", 0)
    c.send(DEVICELIST_ANNOUNCE, struct.pack("<I", 2) + drive + sc2)
    c.pump(lambda: len(c.device_replies) >= 3, 3)
    R.check("drive and second smart card get STATUS_NOT_SUPPORTED",
            c.device_replies[1:] == [(7, 0xC00000BB), (9, 0xC00000BB)],
            str(c.device_replies))
    finish(a, "other-devices")


def test_transmit_roundtrip():
    a = Agent()
    c = FakeClient(a)
    c.readers["Remote Reader 00 00"] = Card(
        responder=lambda apdu: bytes(reversed(apdu)) + b"\x90\x00")
    wait_bound(a, c)
    d = power_up(a, c)
    R.check("POWER UP -> ConnectW(SHARED, T0|T1) + BeginTransaction + StatusW",
            [x["ioctl"] for x in c.calls[-4:]] ==
            ["EstablishContext", "ConnectW", "BeginTransaction", "StatusW"]
            and c.calls_named("ConnectW")[0]["share"] == 2
            and c.calls_named("ConnectW")[0]["protocols"] == 3,
            str([x["ioctl"] for x in c.calls]))
    R.check("POWER UP done with the ATR and T=1",
            d and d[0][3] == "0" and d[0][5] == "2" and d[0][6] == ATR.hex(), str(d))
    R.check("StatusW asks cbAtrLen 32", c.calls_named("StatusW")[0]["cb_atr"] == 32)
    io_ctx = c.calls_named("ConnectW")[0]["ctx"]
    mon_ctx = c.calls_named("GetStatusChangeW")[0]["ctx"]
    R.check("I/O context is separate from the monitor context", io_ctx != mon_ctx)
    d = transmit(a, c, "00a4040003a0000001", rx=258)
    t = c.calls_named("Transmit")
    R.check("TRANSMIT -> RDPESC Transmit with the APDU, cbRecvLength = rx_max",
            t and t[0]["send"] == bytes.fromhex("00a4040003a0000001")
            and t[0]["recv_len"] == 258 and t[0]["protocol"] == 2
            and t[0]["recv_pci"][0] == 2, str(t))
    R.check("Transmit OutputBufferLength covers the reply (>= cbRecvLength + 128)",
            t and t[0]["out_len"] >= 258 + 128)
    R.check("response travels back in the completion",
            d and d[0][3] == "0" and d[0][6] == "010000a0030004a4009000", str(d))
    # extended APDU: big receive length, big response
    big = bytes(range(256)) * 16
    c.readers["Remote Reader 00 00"].responder = lambda apdu: big + b"\x90\x00"
    d = transmit(a, c, "00b00000000000", req=3, rx=65538)
    t = c.calls_named("Transmit")
    R.check("extended: cbRecvLength 65538 sent, 4098-byte response returned",
            t[-1]["recv_len"] == 65538 and t[-1]["out_len"] >= 65538 + 128
            and d and d[0][6] == (big + b"\x90\x00").hex())
    d = transmit(a, c, "00b0000000", req=4, rx=100)
    R.check("response larger than rx_max -> error, never retried",
            d and d[0][3] != "0" and len(c.calls_named("Transmit")) == 3, str(d))
    # control code translation + get attrib
    a.ksend("REQ 0 5 3 %d 256 -" % (0x42000000 + 3400))
    c.pump(lambda: any(x[2] == "5" for x in done_lines(a)), 5)
    ctl = c.calls_named("Control")
    R.check("CONTROL: pcsc-lite SCARD_CTL_CODE(3400) -> Windows 0x00313520",
            ctl and ctl[0]["code"] == 0x00313520 and ctl[0]["out_size"] == 256)
    a.ksend("REQ 0 6 4 %d 64 -" % 0x00090303)
    c.pump(lambda: any(x[2] == "6" for x in done_lines(a)), 5)
    ga = c.calls_named("GetAttrib")
    d = [x for x in done_lines(a) if x[2] == "6"]
    R.check("GET_ATTRIB: explicit cbAttrLen, ATR returned",
            ga and ga[0]["attr_len"] == 64 and d and d[0][6] == ATR.hex())
    h = c.calls_named("ConnectW")
    R.check("remote transaction held while the local card session is active",
            any(c.txn.values()))
    a.ksend("REQ 0 7 1 2 0 -")     # power down
    c.pump(lambda: any(x[2] == "7" for x in done_lines(a)), 5)
    names = [x["ioctl"] for x in c.calls[-2:]]
    R.check("POWER DOWN -> EndTransaction + Disconnect(LEAVE)",
            names == ["EndTransaction", "Disconnect"]
            and c.calls[-1]["disposition"] == 0 and not c.handles, str(names))
    finish(a, "transmit")


def log_lines_above_debug(a, start, allowed=("rm: card removed from", "rm: card inserted in")):
    """Lines at info level or above logged since line @start, except the
    card events themselves."""
    out = []
    for line in a.log().splitlines()[start:]:
        if " debug: " in line or " trace: " in line:
            continue
        if " info: " in line and any(x in line for x in allowed):
            continue
        out.append(line)
    return out


NEW_ATR = bytes.fromhex("3b0200ff")


def test_card_change_power():
    # Issue 15 item 4: after the card was taken out and put back on the
    # client, the old handle is stale (pcsc-lite: EndTransaction
    # NOT_TRANSACTED, Reconnect REMOVED_CARD).  pcscd's power requests for
    # the new card must succeed, with nothing logged above debug level.
    rd = "Remote Reader 00 00"
    for order in ("monitor-first", "power-down-first", "power-up-first"):
        a = Agent()
        c = FakeClient(a)
        wait_bound(a, c)
        d = power_up(a, c)
        ok = d and d[0][3] == "0" and any(c.txn.values())
        start = len(a.log().splitlines())
        if order == "monitor-first":
            c.remove(rd)
            c.pump(lambda: card_lines(a)[-1:] == ["CARD 0 0 - 0"], 3)
            c.insert(rd, Card(atr=NEW_ATR))
            c.pump(lambda: card_lines(a)[-1:] == ["CARD 0 1 %s 1" % NEW_ATR.hex()], 3)
        else:
            # Out and in before the monitor's GetStatusChange is answered:
            # pcscd's requests reach the agent first.
            c.counts[rd] = c.counts.get(rd, 0) + 2
            c.readers[rd] = Card(atr=NEW_ATR)
        req = 10
        if order != "power-up-first":
            a.ksend("REQ 0 %d 1 2 0 -" % req)               # POWER DOWN
            c.pump(lambda: any(x[2] == str(req) for x in done_lines(a)), 5)
            d = [x for x in done_lines(a) if x[2] == str(req)]
            R.check("card out and in (%s): power down of the old card succeeds" % order,
                    d and d[0][3] == "0", str(d))
            req += 1
        d = power_up(a, c, req=req)
        R.check("card out and in (%s): power up of the new card succeeds with its ATR"
                % order, ok and d and d[0][3] == "0" and d[0][6] == NEW_ATR.hex(), str(d))
        c.kick_gsc()                                      # the monitor catches up
        c.pump(lambda: card_lines(a)[-1:] == ["CARD 0 1 %s 1" % NEW_ATR.hex()], 3)
        d = power_up(a, c, req=req + 1)
        R.check("card out and in (%s): and again once the monitor saw it" % order,
                d and d[0][3] == "0" and d[0][6] == NEW_ATR.hex(), str(d))
        bad = log_lines_above_debug(a, start)
        R.check("card out and in (%s): nothing logged above debug level" % order,
                not bad, "\n".join(bad[:5]))
        R.check("card out and in (%s): the stale handle is disconnected, one handle "
                "left on the client" % order, len(c.handles) == 1, str(c.handles))
        finish(a, "card-change-power-" + order)


def test_txn_idle_release():
    a = Agent("--txn-idle-ms", "200")
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    transmit(a, c, "0084000008")
    c.pump(lambda: c.calls_named("EndTransaction"), 3)
    R.check("idle: EndTransaction after --txn-idle-ms", bool(c.calls_named("EndTransaction"))
            and not any(c.txn.values()))
    transmit(a, c, "0084000008", req=3)
    names = [x["ioctl"] for x in c.calls[-2:]]
    R.check("next APDU re-acquires the transaction first",
            names == ["BeginTransaction", "Transmit"], str(names))
    finish(a, "txn-idle")


def test_no_transactions():
    a = Agent("--no-transactions")
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    transmit(a, c, "0084000008")
    R.check("--no-transactions: no BeginTransaction",
            not c.calls_named("BeginTransaction") and c.calls_named("Transmit"))
    finish(a, "no-txn")


def test_card_events():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    c.remove("Remote Reader 00 00")
    c.pump(lambda: len(card_lines(a)) >= 2, 3)
    R.check("card removal -> CARD absent", card_lines(a)[-1:] == ["CARD 0 0 - 0"],
            str(a.klines))
    c.insert("Remote Reader 00 00", Card(atr=bytes.fromhex("3b0200ff")))
    c.pump(lambda: len(card_lines(a)) >= 3, 3)
    R.check("card insertion -> CARD present with the new ATR",
            card_lines(a)[-1:] == ["CARD 0 1 3b0200ff 1"], str(a.klines))
    # remove + insert between two GSC returns: the count changes, presence
    # does not; the agent must still report a removal first.
    c.counts["Remote Reader 00 00"] += 2
    c.readers["Remote Reader 00 00"] = Card(atr=bytes.fromhex("3b0200ff"))
    c.kick_gsc()
    c.pump(lambda: len(card_lines(a)) >= 5, 3)
    R.check("remove+insert seen only as an event count: absent then present",
            card_lines(a)[-2:] == ["CARD 0 0 - 0", "CARD 0 1 3b0200ff 1"],
            str(card_lines(a)))
    finish(a, "card-events")


def test_reader_hotplug():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    c.readers["Second Reader 01 00"] = None
    c.kick_gsc()
    c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 3)
    R.check("new remote reader (PnP) -> BIND of a second slot",
            klines_of(a, "BIND")[-1:] == ["BIND 1 %s Second Reader 01 00" % b"session-1".hex()],
            str(a.klines))
    del c.readers["Second Reader 01 00"]
    c.kick_gsc()
    c.pump(lambda: klines_of(a, "UNBIND"), 3)
    R.check("remote reader gone -> UNBIND of its slot",
            klines_of(a, "UNBIND") == ["UNBIND 1 0"], str(a.klines))
    finish(a, "reader-hotplug")


def test_device_remove():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    c.hook = lambda cid, call: "hold" if call["ioctl"] == "Transmit" else None
    transmit(a, c, "00a4000000", wait=False)
    c.pump(lambda: c.calls_named("Transmit"), 3)
    c.remove_device()
    c.pump(lambda: klines_of(a, "UNBIND"), 3)
    d = [x for x in done_lines(a) if x[2] == "2"]
    R.check("device remove: outstanding request failed locally (-ENOMEDIUM)",
            d and d[0][3] == str(-123), str(d))
    R.check("device remove: card absent then slot unbound with linger",
            card_lines(a)[-1:] == ["CARD 0 0 - 0"]
            and klines_of(a, "UNBIND") == ["UNBIND 0 60000"], str(a.klines))
    # The client answers late: dropped, not fatal.
    cid = c.calls_named("Transmit")[0]["cid"]
    c.complete(cid, NdrWriter().u32(0).ref(False).u32(2).ref().conf(b"\x90\x00").finish())
    c.pump(timeout=0.3)
    R.check("late completion after device remove dropped",
            len([x for x in done_lines(a) if x[2] == "2"]) == 1 and not a.exited())
    # Re-announce brings the reader back on the same slot.
    c.hook = None
    c.announce()
    c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 3)
    R.check("device re-announced -> same slot rebound",
            klines_of(a, "BIND")[-1].startswith("BIND 0 "), str(a.klines))
    st_ok = a.stop() == 0
    s = a.stats()
    R.check("device remove: late completion counted", s.get("late") == "1", str(s))
    R.check("device-remove: exit status 0", st_ok)
    R.check("device-remove: no sanitizer report", a.sanitizer_clean())


def test_reset_with_outstanding():
    a = Agent()
    c = FakeClient(a)
    c.readers["Remote Reader 00 00"] = Card(responder=lambda apdu: b"\x61\x10")
    wait_bound(a, c)
    power_up(a, c)
    c.hook = lambda cid, call: "hold" if call["ioctl"] == "Transmit" else None
    transmit(a, c, "00c0000010", wait=False)
    c.pump(lambda: c.calls_named("Transmit"), 3)
    old = c.calls_named("Transmit")[0]
    old_cids = {x["cid"] for x in c.calls}
    old_gsc = [x["cid"] for x in c.calls_named("GetStatusChangeW")]
    old_id = c.client_id
    a.send_frame(RESET, b"")
    c.hook = None
    c.pump(lambda: c.announces >= 2 and c.handshake_done()
           and len(klines_of(a, "BIND")) >= 2, 5)
    d = [x for x in done_lines(a) if x[2] == "2"]
    R.check("reset: outstanding TRANSMIT failed locally, not left hanging",
            d and int(d[0][3]) < 0, str(d))
    R.check("reset: a new Server Announce with a new ClientId",
            c.announces == 2 and c.client_id != old_id)
    R.check("reset: card removal reached the kernel, slot rebound to the same slot",
            "CARD 0 0 - 0" in a.klines and klines_of(a, "BIND")[-1].startswith("BIND 0 "),
            str(a.klines))
    c.pump(lambda: len(card_lines(a)) >= 3, 3)
    # Late reply for the pre-reset Transmit: must be dropped, not matched
    # to anything new.
    c.complete(old["cid"], NdrWriter().u32(0).ref(False).u32(2).ref().conf(b"\xde\xad").finish())
    for cid in old_gsc:
        c.complete(cid, NdrWriter().u32(E_CANCELLED, 0, 0).finish())
    d = power_up(a, c, req=3)
    R.check("after reset: power up works on a new context", d and d[0][3] == "0", str(d))
    d = transmit(a, c, "00c0000010", req=4)
    R.check("after reset: APDU answer is the new one, never the late old reply",
            d and d[0][6] == "6110", str(d))
    new_cids = {x["cid"] for x in c.calls if x not in c.calls[:len(old_cids)]}
    R.check("CompletionIds outstanding at the reset are never reused",
            old["cid"] not in new_cids and not (set(old_gsc) & new_cids))
    rc = a.stop()
    s = a.stats()
    R.check("reset: late completions dropped and counted",
            int(s.get("late", 0)) >= 2 and s.get("resets") == "1", str(s))
    R.check("reset: exit status 0", rc == 0)
    R.check("reset: no sanitizer report", a.sanitizer_clean())


def test_client_never_answers():
    a = Agent("--request-timeout-ms", "400")
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    c.hook = lambda cid, call: "hold" if call["ioctl"] == "Transmit" else None
    t0 = time.time()
    d = transmit(a, c, "0020000100")
    el = time.time() - t0
    R.check("silent client: TRANSMIT fails with -ETIMEDOUT",
            d and d[0][3] == str(-110), str(d))
    R.check("silent client: failure within 5 s", el < 5.0, "%.2fs" % el)
    c.pump(lambda: c.calls_named("Cancel"), 3)
    c.pump(timeout=0.5)
    io_ctx = c.calls_named("Transmit")[0]["ctx"]
    R.check("silent client: Cancel sent on the owning (I/O) context",
            any(x["ctx"] == io_ctx for x in c.calls_named("Cancel")))
    # pcsc-lite + rdesktop: a ReleaseContext behind an unanswered call on
    # the same context hangs the client's smart-card queue.
    R.check("silent client: no ReleaseContext on the context while its Transmit "
            "is unanswered",
            not any(x["ctx"] == io_ctx for x in c.calls_named("ReleaseContext")))
    c.hook = None
    for cid, call in list(c.pending.items()):   # the card answers at last
        del c.pending[cid]
        c.answer(call)
    c.pump(lambda: any(x["ctx"] == io_ctx for x in c.calls_named("ReleaseContext")), 3)
    R.check("silent client: the late Transmit answer lets the stuck context be released",
            any(x["ctx"] == io_ctx for x in c.calls_named("ReleaseContext"))
            and io_ctx not in c.contexts)
    d = transmit(a, c, "0020000100", req=3)
    R.check("next request works on a fresh context",
            d and d[0][3] == "0" and len(c.calls_named("EstablishContext")) == 3, str(d))
    finish(a, "never-answers")


def test_kernel_cancel():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    c.hook = lambda cid, call: "drop" if call["ioctl"] == "Transmit" else None
    transmit(a, c, "0020000100", wait=False)
    c.pump(lambda: c.calls_named("Transmit"), 3)
    a.ksend("CANCEL 0 2")
    c.pump(lambda: c.calls_named("Cancel"), 3)
    R.check("kernel cancel notice -> RDPESC Cancel on the I/O context",
            bool(c.calls_named("Cancel")))
    R.check("no completion for a request the kernel cancelled",
            not [x for x in done_lines(a) if x[2] == "2"])
    finish(a, "kernel-cancel")


def test_client_answers_twice():
    a = Agent()
    c = FakeClient(a)
    c.readers["Remote Reader 00 00"] = Card(responder=lambda apdu: apdu[:2] + b"\x90\x00")
    wait_bound(a, c)
    power_up(a, c)
    dup = {}

    def hook(cid, call):
        if call["ioctl"] == "Transmit" and not dup:
            dup["cid"] = cid
            out = c.reply_for(call)
            c.complete(cid, out)
            c.complete(cid, out)          # the same completion again
            return "drop"
        return None
    c.hook = hook
    d1 = transmit(a, c, "1111")
    d2 = transmit(a, c, "2222", req=3)
    R.check("duplicate completion: first answer delivered once",
            [x[6] for x in done_lines(a) if x[2] == "2"] == ["11119000"])
    R.check("duplicate completion not misattributed to the next request",
            d2 and d2[0][6] == "22229000", str(d2))
    rc = a.stop()
    R.check("duplicate completion counted as unknown, not fatal",
            a.stats().get("unknown") == "1" and rc == 0, str(a.stats()))
    R.check("answers-twice: no sanitizer report", a.sanitizer_clean())


def test_garbage():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    rnd = random.Random(7)
    for i in range(300):
        kind = i % 5
        if kind == 0:
            a.send_frame(DATA, bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 64))))
        elif kind == 1:
            a.send_frame(rnd.choice([0, 6, 77, 0xffff]), b"x" * rnd.randrange(8))
        elif kind == 2:
            pak = rnd.choice([DEVICE_IOCOMPLETION, DEVICELIST_ANNOUNCE, CLIENT_CAPABILITY,
                              CLIENT_NAME, DEVICELIST_REMOVE, CLIENTID_CONFIRM])
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 40)))
            if pak == DEVICELIST_REMOVE:
                body = struct.pack("<I", 0xffffffff) + body
            c.send(pak, body)
        elif kind == 3:
            # completion with a random id and a garbled RDPESC body
            c.send(DEVICE_IOCOMPLETION, struct.pack("<IIII", 1, rnd.randrange(64), 0, 40)
                   + bytes(rnd.randrange(256) for _ in range(40)))
        else:
            c.send(DEVICELIST_ANNOUNCE, struct.pack("<I", 1000000) + b"\x20\0\0\0")
    c.pump(timeout=0.5)
    R.check("garbage frames: agent still running", not a.exited())
    d = power_up(a, c, req=9)
    R.check("garbage frames: still serves requests afterwards", d and d[0][3] == "0", str(d))
    a.send_raw(struct.pack("<IHH", 0x7fffffff, DATA, 0))
    c.pump(lambda: a.exited(), 5)
    rc = a.stop()
    R.check("oversized frame: channel error exit status 4", rc == 4, "rc=%s" % rc)
    R.check("oversized frame: slot unbound with linger on the way out",
            klines_of(a, "UNBIND")[-1:] == ["UNBIND 0 60000"], str(a.klines[-3:]))
    R.check("garbage: no sanitizer report", a.sanitizer_clean(), a.log_path)


def test_sigterm_and_reconnect():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    # adapter reports a disconnect; the same session comes back
    a.send_frame(CHANNEL_CLOSE, b"")
    c.pump(lambda: klines_of(a, "UNBIND"), 3)
    R.check("CHANNEL_CLOSE: card out and slot lingers",
            "CARD 0 0 - 0" in a.klines and klines_of(a, "UNBIND") == ["UNBIND 0 60000"])
    a.open(b"session-1")
    c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 5)
    R.check("reconnect of the same session rebinds the same slot",
            klines_of(a, "BIND")[-1] == "BIND 0 %s Remote Reader 00 00" % b"session-1".hex(),
            str(a.klines))
    c.pump(lambda: card_lines(a)[-1:] == ["CARD 0 1 %s 3" % ATR.hex()], 3)
    power_up(a, c, req=11)
    io_ctx = c.calls_named("ConnectW")[-1]["ctx"]
    mon_ctx = c.calls_named("GetStatusChangeW")[-1]["ctx"]
    rc = a.stop(signal.SIGTERM)
    R.check("SIGTERM: exit 0 after unbinding with linger",
            rc == 0 and klines_of(a, "UNBIND")[-1] == "UNBIND 0 60000", str(a.klines))
    c.pump(timeout=0.5)
    rel = [x["ctx"] for x in c.calls_named("ReleaseContext")]
    R.check("SIGTERM: monitor GSC cancelled, monitor and I/O contexts released "
            "(no remote transaction left behind)",
            any(x["ctx"] == mon_ctx for x in c.calls_named("Cancel"))
            and mon_ctx in rel and io_ctx in rel and not any(c.txn.values())
            and not c.contexts, str(rel))
    R.check("sigterm: no sanitizer report", a.sanitizer_clean())


def sigterm_scene(cancel_takes):
    """An agent with a powered card and its monitor's GetStatusChange armed;
    the client answers every Cancel with success, but only Cancels after
    the first @cancel_takes - 1 ignored ones really end the wait (pcsc-lite
    ignores a Cancel that arrives before the wait starts)."""
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    c.pump(lambda: c.gsc, 3)
    mon_ctx = c.calls_named("GetStatusChangeW")[-1]["ctx"]
    io_ctx = c.calls_named("ConnectW")[-1]["ctx"]
    seen = {"cancels": 0, "took_at": None}

    def hook(cid, call):
        if call["ioctl"] != "Cancel" or call["ctx"] != mon_ctx:
            return None
        seen["cancels"] += 1
        if cancel_takes and seen["cancels"] >= cancel_takes:
            seen["took_at"] = len(c.calls) - 1
            return None             # answered: the GSC returns CANCELLED
        c.complete(cid, ret_long(0))
        return "drop"
    c.hook = hook
    rc = a.stop(signal.SIGTERM)
    c.pump(timeout=0.3)
    rel = [i for i, x in enumerate(c.calls)
           if x["ioctl"] == "ReleaseContext" and x["ctx"] == mon_ctx]
    io_rel = any(x["ctx"] == io_ctx for x in c.calls_named("ReleaseContext"))
    return a, c, rc, seen, rel, io_rel


def test_sigterm_release_waits_for_gsc():
    # rdesktop runs ReleaseContext on its one queue thread; in pcsc-lite a
    # ReleaseContext that overtakes the Cancel of a GetStatusChange on the
    # same context waits for ever, holding the lock the Cancel needs.
    a, c, rc, seen, rel, io_rel = sigterm_scene(cancel_takes=2)
    R.check("SIGTERM: a Cancel the client ignored is sent again (%d Cancels on the "
            "monitor's context)" % seen["cancels"], seen["cancels"] >= 2)
    R.check("SIGTERM: the monitor's context is released only after its "
            "GetStatusChange returned", rel and seen["took_at"] is not None
            and min(rel) > seen["took_at"], "release at %s, GSC done at %s"
            % (rel, seen["took_at"]))
    R.check("SIGTERM: exit 0, nothing left on the client (I/O context released too)",
            rc == 0 and io_rel and not c.contexts and not c.handles,
            "rc=%s contexts=%s" % (rc, c.contexts))
    R.check("SIGTERM with an ignored Cancel: no sanitizer report", a.sanitizer_clean())


def test_sigterm_gsc_never_returns():
    a, c, rc, seen, rel, io_rel = sigterm_scene(cancel_takes=0)
    R.check("SIGTERM, GetStatusChange never returns: the agent exits 0 by itself "
            "after repeating its Cancel (%d)" % seen["cancels"],
            rc == 0 and seen["cancels"] >= 3, "rc=%s" % rc)
    io_i = [i for i, x in enumerate(c.calls)
            if x["ioctl"] == "ReleaseContext" and x["ctx"] != c.calls[rel[0]]["ctx"]] \
        if rel else []
    R.check("SIGTERM, GetStatusChange never returns: after the wait the I/O context "
            "is released, the monitor's last, and the log says why",
            len(rel) == 1 and io_rel and io_i and max(io_i) < rel[0]
            and "released all the same" in a.log(), str(rel))
    R.check("SIGTERM, GSC never returns: no sanitizer report", a.sanitizer_clean())


def test_session_key_required():
    a = Agent(open_channel=False)
    a.open(key=None)
    c = FakeClient(a)
    c.pump(lambda: c.calls_named("GetStatusChangeW"), 5)
    c.pump(timeout=0.3)
    R.check("CHANNEL_OPEN without a session key: no slot is bound",
            not klines_of(a, "BIND") and "without a valid session key" in a.log())
    finish(a, "no-key")


def test_adapter_eof():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    a.chan.close()
    try:
        rc = a.proc.wait(5)
    except Exception:
        rc = None
    a.stop()
    R.check("adapter EOF: exit 0, slot left lingering",
            rc == 0 and klines_of(a, "UNBIND") == ["UNBIND 0 60000"], "rc=%s %s" % (rc, a.klines))


def test_listen_and_connect_modes():
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "agent-%d.sock" % os.getpid())
    a = Agent(listen=path)
    c = FakeClient(a)
    ok = wait_bound(a, c)
    R.check("--listen: an adapter connects and the reader is bound", ok)
    a.reconnect()          # adapter goes away and comes back
    a.send_frame(HELLO, struct.pack("<II", 1, 0) + b"again")
    a.open(b"session-1")
    c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 5)
    R.check("--listen: adapter EOF keeps the agent; the next adapter rebinds the same slot",
            not a.exited() and klines_of(a, "UNBIND") == ["UNBIND 0 60000"]
            and klines_of(a, "BIND")[-1].startswith("BIND 0 "), str(a.klines))
    rc = a.stop()
    R.check("--listen: exit 0 and the socket file is removed",
            rc == 0 and not os.path.exists(path))
    b = Agent(connect=path)
    c = FakeClient(b)
    R.check("--connect: the agent connects to the adapter and binds", wait_bound(b, c))
    finish(b, "connect-mode")
    if os.path.exists(path):
        os.unlink(path)


def test_reset_and_attrib_requests():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    power_up(a, c)
    n_begin = len(c.calls_named("BeginTransaction"))
    a.ksend("REQ 0 2 1 3 64 -")          # warm reset
    c.pump(lambda: any(d[2] == "2" for d in done_lines(a)), 5)
    d = [x for x in done_lines(a) if x[2] == "2"]
    rc = c.calls_named("Reconnect")
    R.check("POWER RESET -> Reconnect(SHARED, T0|T1, RESET_CARD) + StatusW, ATR back",
            rc and rc[0]["init"] == 1 and rc[0]["share"] == 2 and rc[0]["protocols"] == 3
            and c.calls[-1]["ioctl"] == "StatusW" and d and d[0][6] == ATR.hex(), str(d))
    R.check("the remote transaction survives a warm reset (no second Begin)",
            len(c.calls_named("BeginTransaction")) == n_begin and any(c.txn.values()))
    a.ksend("REQ 0 3 1 1 64 -")          # power up while powered
    c.pump(lambda: any(d[2] == "3" for d in done_lines(a)), 5)
    R.check("POWER UP with a live handle reconnects instead of a second ConnectW",
            len(c.calls_named("ConnectW")) == 1 and len(c.calls_named("Reconnect")) == 2)
    a.ksend("REQ 0 4 5 %d 0 01020304" % 0x00090303)
    c.pump(lambda: any(d[2] == "4" for d in done_lines(a)), 5)
    sa = c.calls_named("SetAttrib")
    d = [x for x in done_lines(a) if x[2] == "4"]
    R.check("SET_ATTRIB -> SetAttrib with the attribute id and bytes",
            sa and sa[0]["attr"] == 0x00090303 and sa[0]["data"] == b"\x01\x02\x03\x04"
            and d and d[0][3] == "0", str(d))
    a.ksend("REQ 3 5 2 2 258 00a4")      # slot nobody bound
    c.pump(lambda: any(d[2] == "5" for d in done_lines(a)), 5)
    d = [x for x in done_lines(a) if x[2] == "5"]
    R.check("request for a slot without a remote reader -> -ENOMEDIUM at once",
            d and d[0][3] == "-123", str(d))
    c.remove("Remote Reader 00 00")
    c.pump(lambda: card_lines(a)[-1:] == ["CARD 0 0 - 0"], 3)
    transmit(a, c, "00a4", req=6)
    d = [x for x in done_lines(a) if x[2] == "6"]
    R.check("request while the remote card is out -> -ENOMEDIUM, nothing sent",
            d and d[0][3] == "-123" and len(c.calls_named("Transmit")) == 0, str(d))
    finish(a, "reset-attrib")


def test_client_quirks():
    # Error returns truncated after ReturnCode (FreeRDP), service not up yet.
    a = Agent()
    c = FakeClient(a)
    state = {"n": 0}

    def hook(cid, call):
        if call["ioctl"] == "EstablishContext" and state["n"] == 0:
            state["n"] += 1
            c.complete(cid, NdrWriter().u32(0x8010001D).finish())   # rc + pad only
            return "drop"
        return None
    c.hook = hook
    ok = wait_bound(a, c, timeout=8)
    est = c.calls_named("EstablishContext")
    R.check("EstablishContext SCARD_E_NO_SERVICE (truncated body) -> retried, then bound",
            ok and len(est) == 2, str(len(est)))
    # A client whose GetStatusChange returns at once without any change.
    def quiet(cid, call):
        if call["ioctl"] == "GetStatusChangeW":
            st = [(n, cur) for n, cur in call["states"]]
            w = NdrWriter().u32(0, len(st)).ref().u32(len(st))
            for n, cur in st:
                atr = ATR if n != PNP else b""
                w.u32(cur, cur, len(atr)).raw(atr.ljust(36, b"\0"))
            c.complete(cid, w.finish())
            return "drop"
        return None
    c.hook = quiet
    c.remove("Remote Reader 00 00")      # wake the pending GSC once
    n0 = len(c.calls_named("GetStatusChangeW"))
    c.pump(timeout=2.0)
    n = len(c.calls_named("GetStatusChangeW")) - n0
    R.check("GSC returning at once with no change is backed off (%d calls in 2 s)" % n,
            0 < n <= 12)
    finish(a, "quirks")


def rdesktop_framing(out):
    """A reply as rdesktop 1.9.0 frames it (scard.c scard_device_control()):
    ObjectBufferLength 8 bytes short of the NDR body, then body-length % 16
    extra zero bytes."""
    body = out[16:]
    return (out[:8] + struct.pack("<I", max(len(body) - 8, 0)) + out[12:16] + body
            + bytes(len(body) % 16))


def drain_after_exit(a, c):
    """Serves what the agent sent on its way out (ReleaseContext...)."""
    c.pump(timeout=0.5)


def test_rdesktop_replies():
    a = Agent()
    c = FakeClient(a)
    c.readers["Remote Reader 00 00"] = Card(responder=lambda apdu: apdu[:2] + b"\x90\x00")
    plain = c.complete

    def complete(cid, out, io_status=0, raw=None):
        if out and not io_status and raw is None:
            out = rdesktop_framing(out)
        plain(cid, out, io_status, raw)
    c.complete = complete
    ok = wait_bound(a, c)
    R.check("rdesktop framing (ObjectBufferLength 8 short): reader bound and card reported",
            ok and card_lines(a) == ["CARD 0 1 %s 3" % ATR.hex()], str(a.klines))
    d = power_up(a, c)
    R.check("rdesktop framing: power up", d and d[0][3] == "0", str(d))
    d = transmit(a, c, "00a40400")
    R.check("rdesktop framing: APDU round trip", d and d[0][6] == "00a49000", str(d))
    R.check("rdesktop framing: no reply rejected", "malformed" not in a.log())
    finish(a, "rdesktop-replies")
    drain_after_exit(a, c)
    R.check("rdesktop framing: no context left on the client after the agent exits",
            not c.contexts, str(c.contexts))


# 50 ms doubling up to 400 ms, 5 attempts: the whole sequence in < 1 s
RETRY = ("--retry", "50,400,5")


def test_undecodable_establish_no_leak():
    a = Agent(*RETRY)
    c = FakeClient(a)
    corrupt = [
        # ObjectBufferLength claims 8 bytes more than were sent
        lambda o: o[:8] + struct.pack("<I", len(o) - 16 + 8) + o[12:],
        lambda o: b"\x02" + o[1:],                      # RPCE version 2
        lambda o: o[:2] + b"\x09\x00" + o[4:],          # CommonHeaderLength 9
        lambda o: o[:16 + 12 + 4 + 3],                  # cut inside the context bytes
        lambda o: o[:1] + b"\x00" + o[2:],              # big-endian
    ]
    unreleasable = []

    def hook(cid, call):
        if call["ioctl"] != "EstablishContext":
            return None
        before = set(c.contexts)
        out = c.reply_for(call)                         # the client makes a context...
        k = len(c.calls_named("EstablishContext")) - 1
        if k == 3:
            unreleasable.extend(set(c.contexts) - before)
        c.complete(cid, corrupt[k % len(corrupt)](out))  # ...and answers unusably
        return "drop"
    c.hook = hook
    ok = c.pump(lambda: "giving up" in a.log(), 10)
    n = len(c.calls_named("EstablishContext"))
    R.check("undecodable EstablishContext replies: the agent gives up", ok, a.log_path)
    R.check("... after 5 attempts (--retry max)", n == 5, str(n))
    waits = [int(x.split(" in ")[1].split()[0]) for x in a.log().splitlines()
             if "; retry " in x]
    R.check("... waiting 50, 100, 200, 400 ms between them (doubling to the cap)",
            waits == [50, 100, 200, 400], str(waits))
    c.pump(timeout=1.5)                                 # several times the cap
    R.check("no attempt after giving up", len(c.calls_named("EstablishContext")) == n)
    R.check("giving up is said once, at warning level",
            sum("giving up" in x for x in a.log().splitlines()) == 1
            and "warn: scard: the client's smart-card service failed 5 times" in a.log(),
            a.log_path)
    R.check("every context the client created is released, except the one whose "
            "bytes never arrived", set(c.contexts) == set(unreleasable) and
            len(unreleasable) == 1, "%s vs %s" % (list(c.contexts), unreleasable))
    R.check("salvaged contexts were released with ReleaseContext",
            len(c.calls_named("ReleaseContext")) == 4)
    # The device announced again (the client now answers properly): a new try.
    c.hook = None
    c.announce()
    ok = wait_bound(a, c)
    R.check("device announced again: the agent tries again and binds the reader", ok)
    finish(a, "undecodable-establish")


# Documented in agent.rst ("Resource bounds") and agent.h.
CLIENT_CTX_MAX = 16
CLIENT_HANDLES_MAX = 16
RC_ERRORS = [0x80100001, 0x8010001D, 0x80100003, 0x8010000B, 0x80100069, 0x8010002F]
# A release refused: anything but "no such context/handle" (INVALID_HANDLE),
# which a client says only of what it does not hold.
RC_RELEASE_ERRORS = [0x80100001, 0x8010001D, 0x8010000B, 0x80100069, 0x8010002F]


def torture_hook(c, rnd, tally):
    """Answers each call kind, at random, properly, with garbage, with an
    error or not at all.  Garbage is either random bytes (the call was not
    carried out) or, for calls that create or release something, the call
    carried out and its reply spoilt (a bad RPCE header: what the agent can
    still salvage; or random bytes for a release).  An error or silence
    means the call was not carried out (silence: the request was lost)."""
    def hook(cid, call):
        name = call["ioctl"]
        mode = rnd.choice(["ok", "ok", "ok", "garbage", "error", "silence"])
        tally[mode] = tally.get(mode, 0) + 1
        tally[name] = tally.get(name, 0) + 1
        if mode == "ok":
            return None
        if mode == "silence":
            return "drop"
        if mode == "error":
            if rnd.random() < 0.3:
                c.complete(cid, b"", io_status=0xC0000001)
            else:
                rcs = RC_RELEASE_ERRORS if name in ("ReleaseContext", "Disconnect") \
                    else RC_ERRORS
                c.complete(cid, NdrWriter().u32(rnd.choice(rcs), 0, 0, 0, 0, 0).finish())
            return "drop"
        # garbage
        if name in ("EstablishContext", "ConnectW", "ReleaseContext", "Disconnect") \
                and rnd.random() < 0.5:
            out = c.reply_for(call)                       # carried out...
            if out is None:
                return "drop"
            if name in ("ReleaseContext", "Disconnect"):
                out = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 24)))
            else:
                out = b"\x02" + out[1:]                   # ...reply spoilt
            c.complete(cid, out)
            return "drop"
        c.complete(cid, bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 48))))
        return "drop"
    return hook


def ctx_history(c, ctx):
    """What the client did with one context: the call that created it and
    every later call on it, as (index, CompletionId, ioctl)."""
    made = [cid for cid, out in c.completions if out and ctx in out]
    seen = [(i, x["cid"], x["ioctl"]) for i, x in enumerate(c.calls)
            if x.get("ctx") == ctx or x["cid"] in made]
    return "%s: %s of %d calls" % (ctx.hex(), seen, len(c.calls))


def test_torture_client_resources():
    a = Agent("--retry", "20,160,4", "--call-timeout-ms", "250",
              "--request-timeout-ms", "300", "--txn-idle-ms", "50")
    c = FakeClient(a)
    wait_bound(a, c)
    rnd = random.Random(1515)
    tally = {}
    c.hook = torture_hook(c, rnd, tally)
    peak_ctx = peak_h = 0
    req = 100
    end = time.time() + float(os.environ.get("VSCARD_TORTURE_S", "12"))
    # On a loaded machine the sanitizer build answers fewer calls in that
    # time: go on (up to 3 times as long) until 100 answers were tortured.
    hard_end = end + 2 * float(os.environ.get("VSCARD_TORTURE_S", "12"))
    next_announce = time.time()
    next_cycle = time.time() + 3
    cycles = 0

    def tortured():
        return sum(tally.get(m, 0) for m in ("ok", "garbage", "error", "silence"))
    while (time.time() < end or tortured() <= 100) and time.time() < hard_end \
            and not a.exited():
        if time.time() >= next_announce:              # the monitor tries again
            c.announce()
            next_announce = time.time() + 0.4
        if time.time() >= next_cycle:
            # The device goes and comes back: the client drops everything of
            # it (the agent's only way out of a full ledger whose entries it
            # cannot name).
            c.remove_device()
            c.contexts.clear()
            c.handles.clear()
            c.gsc.clear()
            c.announce()
            cycles += 1
            next_cycle = time.time() + 3
        # One kernel request at a time, as pcscd sends them.
        if req == 100 or any(x[2] == str(req - 1) for x in done_lines(a)[-3:]):
            typ = rnd.choice([(1, 1), (1, 2), (1, 3), (2, 2), (2, 2), (4, 0x00090303)])
            arg = "00a4040000" if typ[0] == 2 else "-"
            a.ksend("REQ 0 %d %d %d 258 %s" % (req, typ[0], typ[1], arg))
            req += 1
        if rnd.random() < 0.1:                        # the card comes and goes
            rd = "Remote Reader 00 00"
            if c.readers.get(rd):
                c.remove(rd)
            else:
                c.insert(rd)
        c.pump(timeout=0.02)
        peak_ctx = max(peak_ctx, len(c.contexts))
        peak_h = max(peak_h, len(c.handles))
    R.check("torture: the agent survives %d kernel requests and %d device cycles "
            "against a client answering %s" % (req - 100, cycles, tally),
            not a.exited() and tortured() > 100)
    R.check("torture: the client never holds more than %d contexts (peak %d) and "
            "%d handles (peak %d) of ours" % (CLIENT_CTX_MAX, peak_ctx,
                                             CLIENT_HANDLES_MAX, peak_h),
            peak_ctx <= CLIENT_CTX_MAX and peak_h <= CLIENT_HANDLES_MAX)
    c.hook = None                                     # the client recovers
    c.pump(timeout=0.3)
    rc = a.stop()
    drain_after_exit(a, c)
    s = a.stats()
    R.check("torture: exit 0, no sanitizer report", rc == 0 and a.sanitizer_clean(),
            a.log_path)
    R.check("torture: the agent's own count stayed within the bound (stats)",
            int(s.get("peak_contexts", 99)) <= CLIENT_CTX_MAX
            and int(s.get("peak_handles", 99)) <= CLIENT_HANDLES_MAX, str(s))
    R.check("torture: no context and no handle left on the client after SIGTERM",
            not c.contexts and not c.handles,
            "%s contexts, %s handles; %s" % ([x.hex() for x in c.contexts],
                                             [x.hex() for x in c.handles],
                                             "; ".join(ctx_history(c, x) for x in c.contexts)))


def test_release_refused_bounded():
    # A client that refuses every ReleaseContext and spoils every ConnectW
    # reply: each power up fails and its context cannot be released.  The
    # agent stops asking for new contexts at the bound, and releases them
    # all once the client answers again (here: at exit).
    a = Agent("--call-timeout-ms", "300")
    c = FakeClient(a)
    wait_bound(a, c)

    def hook(cid, call):
        if call["ioctl"] == "ReleaseContext":
            c.complete(cid, ret_long(0x80100001))
            return "drop"
        if call["ioctl"] == "ConnectW":
            c.complete(cid, b"\x01\x10\x08\x00garbage")
            return "drop"
        return None
    c.hook = hook
    peak = 0
    for req in range(100, 140):
        a.ksend("REQ 0 %d 1 1 64 -" % req)
        c.pump(lambda: any(x[2] == str(req) for x in done_lines(a)), 3)
        peak = max(peak, len(c.contexts))
    R.check("release refused: the client holds at most %d contexts of ours "
            "(peak %d after 40 failed power ups)" % (CLIENT_CTX_MAX, peak),
            peak <= CLIENT_CTX_MAX)
    R.check("release refused: the bound is said once, at warning level",
            sum("(the bound)" in x for x in a.log().splitlines()) == 1, a.log_path)
    c.hook = None
    rc = a.stop()
    drain_after_exit(a, c)
    R.check("release refused: exit 0, every context released at exit",
            rc == 0 and a.sanitizer_clean() and not c.contexts,
            "%d left" % len(c.contexts))


def test_monitor_gave_up_in_stats():
    a = Agent(*RETRY)
    c = FakeClient(a)
    c.hook = lambda cid, call: (c.complete(cid, ret_long(0x8010001D)), "drop")[1] \
        if call["ioctl"] == "EstablishContext" else None
    c.pump(lambda: "giving up" in a.log(), 5)
    a.proc.send_signal(signal.SIGUSR1)
    c.pump(lambda: "monitor=gave-up" in a.log(), 3)
    R.check("SIGUSR1 stats line: the monitor's give-up is visible",
            "monitor=gave-up gave_up=1" in a.log(), a.log_path)
    c.hook = None
    c.announce()
    wait_bound(a, c)
    rc = a.stop()
    s = a.stats()
    R.check("stats at exit: the monitor works again, the give-up still counted",
            s.get("monitor") == "watching" and s.get("gave_up") == "1", str(s))
    R.check("gave-up-stats: exit 0, no sanitizer report", rc == 0 and a.sanitizer_clean())


def test_retry_option():
    import subprocess
    bad = [subprocess.run([AGENT, "--fd", "3", "--retry", v] + PRIV_ARGS,
                          capture_output=True).returncode
           for v in ("0,10,3", "100,50,3", "10,20", "10,20,0", "x")]
    R.check("--retry: malformed values are usage errors (exit 2)", bad == [2] * 5, str(bad))
    q = subprocess.run([AGENT, "--help"], capture_output=True)
    R.check("--help documents --retry", b"--retry BASE_MS,CAP_MS,MAX" in q.stdout)


def test_connect_undecodable_disconnected():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    bad = []

    def hook(cid, call):
        if call["ioctl"] == "ConnectW" and not bad:
            before = set(c.handles)
            out = c.reply_for(call)                     # a handle is made...
            bad.append((set(c.handles) - before).pop())
            c.complete(cid, b"\x02" + out[1:])          # ...the reply is spoilt
            return "drop"
        return None
    c.hook = hook
    d = power_up(a, c)
    R.check("ConnectW reply undecodable: the request fails", d and d[0][3] != "0", str(d))
    c.pump(lambda: bad and bad[0] not in c.handles, 3)
    R.check("... and the handle it names is disconnected",
            bad and bad[0] not in c.handles
            and any(x["card"] == bad[0] for x in c.calls_named("Disconnect")),
            "%s %s" % (bad, list(c.handles)))
    d = power_up(a, c, req=2)
    R.check("... the next request works", d and d[0][3] == "0", str(d))
    finish(a, "connect-undecodable")
    drain_after_exit(a, c)
    R.check("... nothing left on the client after the agent exits",
            not c.contexts and not c.handles)


def test_connect_undecodable_empty_context():
    """rdesktop's ConnectW_Return leaves the handle's context empty (size 0,
    NULL): a spoilt reply of that shape still names the handle, which is
    disconnected on the context the ConnectW was sent on."""
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    bad = []

    def hook(cid, call):
        if call["ioctl"] == "ConnectW" and not bad:
            before = set(c.handles)
            c.reply_for(call)                           # a handle is made...
            h = (set(c.handles) - before).pop()
            bad.append((h, call["ctx"]))
            out = NdrWriter().u32(0, 0, 0, 8).ref().u32(2).conf(h).finish()
            c.complete(cid, b"\x02" + out[1:])         # ...the reply is spoilt
            return "drop"
        return None
    c.hook = hook
    d = power_up(a, c)
    R.check("ConnectW reply with an empty context, undecodable: the request fails",
            d and d[0][3] != "0", str(d))
    c.pump(lambda: bad and bad[0][0] not in c.handles, 3)
    R.check("... and its handle is disconnected on the ConnectW's own context",
            bad and bad[0][0] not in c.handles
            and any(x["card"] == bad[0][0] and x["ctx"] == bad[0][1]
                    for x in c.calls_named("Disconnect")),
            "%s %s" % (bad, list(c.handles)))
    finish(a, "connect-empty-context")
    drain_after_exit(a, c)
    R.check("... nothing left on the client after the agent exits",
            not c.contexts and not c.handles)


def test_late_establish_released():
    a = Agent("--call-timeout-ms", "1000", *RETRY)
    c = FakeClient(a)
    held = []

    def hook(cid, call):
        if call["ioctl"] == "EstablishContext" and not held:
            before = set(c.contexts)
            out = c.reply_for(call)                     # created, reply held back
            held.append((cid, out, (set(c.contexts) - before).pop()))
            return "drop"
        return None
    c.hook = hook
    ok = wait_bound(a, c, timeout=10)
    R.check("EstablishContext unanswered: timed out, retried, reader bound", ok)
    cid, out, ctx = held[0]
    c.complete(cid, out)                                # the reply, late
    c.pump(lambda: ctx not in c.contexts, 3)
    R.check("the context of a late EstablishContext reply is released",
            ctx not in c.contexts and any(x["ctx"] == ctx
                                          for x in c.calls_named("ReleaseContext")))
    finish(a, "late-establish")


def test_io_establish_undecodable():
    a = Agent(*RETRY)
    c = FakeClient(a)
    wait_bound(a, c)
    bad = []

    def hook(cid, call):
        if call["ioctl"] == "EstablishContext" and not bad:
            before = set(c.contexts)
            out = c.reply_for(call)
            bad.append((set(c.contexts) - before).pop())
            c.complete(cid, b"\x02" + out[1:])          # RPCE version 2
            return "drop"
        return None
    c.hook = hook
    d = power_up(a, c)
    R.check("I/O EstablishContext reply undecodable: the request fails",
            d and d[0][3] != "0", str(d))
    c.pump(lambda: bad and bad[0] not in c.contexts, 3)
    R.check("... and the context the client created for it is released",
            bad and bad[0] not in c.contexts, str(c.contexts))
    d = power_up(a, c, req=2)
    R.check("the next request works", d and d[0][3] == "0", str(d))
    finish(a, "io-establish")
    drain_after_exit(a, c)
    R.check("no context left on the client after the agent exits", not c.contexts,
            str(c.contexts))


def test_bind_retry():
    a = Agent(open_channel=False)
    a.ksend("BUSY 1")
    time.sleep(0.2)
    a.open(b"session-1")
    c = FakeClient(a)
    c.pump(lambda: "retrying in" in a.log(), 5)
    R.check("BIND refused (-EBUSY): no slot, retry scheduled",
            not klines_of(a, "BIND") and "retrying in" in a.log())
    a.ksend("BUSY 0")
    ok = c.pump(lambda: klines_of(a, "CARD"), 10)
    R.check("BIND retried later; the card seen meanwhile is reported",
            ok and klines_of(a, "BIND") and card_lines(a) == ["CARD 0 1 %s 3" % ATR.hex()],
            str(a.klines))
    finish(a, "bind-retry")


def test_usage():
    import subprocess
    p = subprocess.run([AGENT, "--pool"], capture_output=True)
    q = subprocess.run([AGENT, "--help"], capture_output=True)
    r = subprocess.run([AGENT, "--fd", "3", "--linger-ms", "x"], capture_output=True)
    R.check("usage errors exit 2, --help exits 0",
            p.returncode == 2 and q.returncode == 0 and r.returncode == 2
            and b"--session-key-fd" in q.stdout and b"VSCARD_SESSION_KEY" in q.stdout
            and b"--allow-privileged" in q.stdout)
    k = subprocess.run([AGENT, "--fd", "3", "--session-key", "secret"], capture_output=True)
    R.check("--session-key KEY (readable in /proc/PID/cmdline) is refused, exit 2",
            k.returncode == 2 and b"removed" in k.stderr, k.stderr.decode(errors="replace"))
    e = subprocess.run([AGENT, "--fd", "3"], capture_output=True,
                       env=dict(os.environ, VSCARD_SESSION_KEY="hex:0g"))
    R.check("a malformed VSCARD_SESSION_KEY is a usage error (exit 2)",
            e.returncode == 2 and b"VSCARD_SESSION_KEY" in e.stderr)


def bound_key(a, c):
    """The key (hex) of the first BIND, once the reader is bound."""
    wait_bound(a, c)
    b = klines_of(a, "BIND")
    return b[0].split()[2] if b else None


def test_session_key_fd():
    r, w = os.pipe()
    os.write(w, b"fd-key\x00\x01")   # any bytes, taken as they are
    os.close(w)
    a = Agent("--session-key-fd", str(r), pass_fds=[r])
    os.close(r)
    c = FakeClient(a)
    key = bound_key(a, c)
    R.check("--session-key-fd: the bytes read are the key, not CHANNEL_OPEN's",
            key == b"fd-key\x00\x01".hex(), str(a.klines))
    finish(a, "session-key-fd")
    r, w = os.pipe()
    os.write(w, b"hex:00A1ff\n")
    os.close(w)
    a = Agent("--session-key-fd", str(r), pass_fds=[r])
    os.close(r)
    c = FakeClient(a)
    key = bound_key(a, c)
    R.check("--session-key-fd: hex:XX.. text (trailing newline allowed)",
            key == "00a1ff", str(a.klines))
    finish(a, "session-key-fd-hex")


def test_session_key_env():
    a = Agent(env_extra={"VSCARD_SESSION_KEY": "env-key-42"})
    c = FakeClient(a)
    key = bound_key(a, c)
    R.check("VSCARD_SESSION_KEY: used as the session key", key == b"env-key-42".hex(),
            str(a.klines))
    try:
        with open("/proc/%d/environ" % a.proc.pid, "rb") as f:
            environ = f.read()
    except OSError as e:
        environ = repr(e).encode()
    R.check("VSCARD_SESSION_KEY: gone from /proc/PID/environ once read",
            b"env-key-42" not in environ and b"VSCARD_SESSION_KEY=" not in environ)
    finish(a, "session-key-env")
    a = Agent("--key-from-channel", env_extra={"VSCARD_SESSION_KEY": "env-key-42"})
    c = FakeClient(a)
    key = bound_key(a, c)
    R.check("--key-from-channel overrides VSCARD_SESSION_KEY", key == b"session-1".hex(),
            str(a.klines))
    finish(a, "session-key-env-channel")


def test_privileged_refused():
    import shutil
    import subprocess
    cmd = [AGENT, "--fd", "3"]
    if not privileged():
        # A user namespace makes us uid 0 with every capability in it.
        if not shutil.which("unshare") or subprocess.run(
                ["unshare", "-Ur", "true"], capture_output=True).returncode:
            print("SKIP: agent: privilege refusal (not root, no user namespace)")
            return
        cmd = ["unshare", "-Ur"] + cmd
    p = subprocess.run(cmd, capture_output=True)
    R.check("as root / with CAP_NET_ADMIN and without --allow-privileged: exit 5",
            p.returncode == 5 and b"--allow-privileged" in p.stderr,
            "rc=%d %s" % (p.returncode, p.stderr.decode(errors="replace")))


def test_kernel_ended_binding():
    a = Agent()
    c = FakeClient(a)
    wait_bound(a, c)
    a.ksend("UNBOUND 0")
    c.pump(lambda: "unbound by the kernel" in a.log(), 5)
    R.check("a binding the kernel ended is reported", "unbound by the kernel" in a.log())
    ok = c.pump(lambda: len(klines_of(a, "BIND")) >= 2 and len(klines_of(a, "CARD")) >= 2, 10)
    R.check("the reader is bound again after the retry delay and its card reported",
            ok and klines_of(a, "BIND")[1] == klines_of(a, "BIND")[0]
            and card_lines(a)[-1] == "CARD 0 1 %s 3" % ATR.hex(), str(a.klines))
    done = power_up(a, c, req=7)
    R.check("requests are served on the new binding", done and done[0][3] == "0", str(done))
    finish(a, "kernel-ended-binding")


if __name__ == "__main__":
    sys.exit(run_tests(globals(), R, ONLY))
