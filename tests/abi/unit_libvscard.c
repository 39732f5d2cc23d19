// SPDX-License-Identifier: MIT
/*
 * Host unit tests of libvscard without a kernel: attribute parsing, names,
 * and the binding-file helpers, run against a SOCK_SEQPACKET socketpair
 * standing in for the binding file (one write = one message, like the
 * kernel's write_iter; one read = one message, like its read).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include "vscard_nl.h"
#include "tap.h"

#define FAKE_FAMILY 0x42

static struct nl_msg *new_msg(uint8_t cmd, size_t room)
{
	struct nl_msg *m = nlmsg_alloc_size(room + 1024);

	if (m)
		genlmsg_put(m, 1, 1, FAKE_FAMILY, 0, 0, cmd,
			    VSCARD_GENL_VERSION);
	return m;
}

static int parse(struct nl_msg *m, struct vscard_attrs *a)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	return vscard_attrs_parse_msg(nlh, nlh->nlmsg_len, a);
}

/* ---- attributes ---------------------------------------------------- */

static void test_slot_parse(struct tap *t)
{
	struct nl_msg *m = new_msg(VSCARD_CMD_SLOT_GET, 512);
	static const uint8_t atr[] = { 0x3B, 0x8A, 0x80, 0x01 };
	struct vscard_attrs a;
	struct nlattr *nest;
	int err;

	nla_put_u32(m, VSCARD_A_POOL, 3);
	nla_put_u32(m, VSCARD_A_SLOT, 7);
	nla_put_u32(m, VSCARD_A_MINOR, 19);
	nla_put_u32(m, VSCARD_A_FLAGS, VSCARD_STATUS_BOUND);
	nla_put_u64(m, VSCARD_A_EPOCH, 0x100000002ULL);
	nla_put_u64(m, VSCARD_A_SEQ, 99);
	nla_put_u64(m, VSCARD_A_KEY_HASH, 0xdeadbeefcafef00dULL);
	nla_put_string(m, VSCARD_A_READER_NAME, "Remote Reader 0");
	nla_put(m, VSCARD_A_ATR, sizeof(atr), atr);
	nla_put_u32(m, VSCARD_A_BINDER_UID, 1000);
	nla_put_u32(m, VSCARD_A_BINDER_PID, 4242);
	nla_put_u32(m, VSCARD_A_TIMEOUT_MS, 30000);
	nla_put_u32(m, VSCARD_A_LINGER_MS, 60000);
	nla_put_u32(m, VSCARD_A_PENDING, 2);
	nla_put_u32(m, 200, 5);		/* unknown (a newer module): ignored */
	nest = nla_nest_start(m, VSCARD_A_STATS);
	nla_put_u64(m, VSCARD_STAT_REQUESTS, 10);
	nla_put_u64(m, VSCARD_STAT_STALE_COMPLETIONS, 4);
	nla_nest_end(m, nest);
	a.cmd = 0;
	err = parse(m, &a);
	tap_ok(t, !err && a.cmd == VSCARD_CMD_SLOT_GET && a.pool == 3 &&
	       a.slot == 7 && a.minor == 19 && a.flags == VSCARD_STATUS_BOUND &&
	       a.epoch == 0x100000002ULL && a.seq == 99 &&
	       a.key_hash == 0xdeadbeefcafef00dULL &&
	       !strcmp(a.reader_name, "Remote Reader 0") &&
	       a.atr_len == 4 && !memcmp(a.atr, atr, 4) &&
	       a.timeout_ms == 30000 && a.linger_ms == 60000 && a.pending == 2,
	       "parse of a slot message: scalars, string, ATR (err %d)", err);
	tap_ok(t, a.binder_uid == 1000 && a.binder_pid == 4242 &&
	       vscard_attrs_has(&a, VSCARD_A_BINDER_UID) &&
	       vscard_attrs_has(&a, VSCARD_A_BINDER_PID) &&
	       !vscard_attrs_has(&a, VSCARD_A_FD),
	       "binder uid and pid parsed");
	tap_ok(t, a.stats.requests == 10 && a.stats.stale_completions == 4 &&
	       (a.stats.present >> VSCARD_STAT_REQUESTS & 1) &&
	       !(a.stats.present >> VSCARD_STAT_BINDS & 1),
	       "parse of nested stats");
	tap_ok(t, vscard_attrs_has(&a, VSCARD_A_POOL) &&
	       vscard_attrs_has(&a, VSCARD_A_STATS) &&
	       !vscard_attrs_has(&a, VSCARD_A_GID) &&
	       !vscard_attrs_has(&a, 200),
	       "presence bits follow the known attributes");
	vscard_attrs_release(&a);
	nlmsg_free(m);
}

static void test_bind_reply(struct tap *t)
{
	struct nl_msg *m = new_msg(VSCARD_CMD_BIND, 128);
	struct vscard_attrs a;
	int err;

	nla_put_u32(m, VSCARD_A_POOL, 1);
	nla_put_u32(m, VSCARD_A_SLOT, 2);
	nla_put_u64(m, VSCARD_A_EPOCH, 5);
	nla_put_u32(m, VSCARD_A_FD, 17);
	a.cmd = 0;
	err = parse(m, &a);
	tap_ok(t, !err && a.cmd == VSCARD_CMD_BIND && a.pool == 1 &&
	       a.slot == 2 && a.epoch == 5 && a.fd == 17 &&
	       vscard_attrs_has(&a, VSCARD_A_FD),
	       "parse of a BIND reply: pool, slot, epoch, fd (err %d)", err);
	vscard_attrs_release(&a);
	nlmsg_free(m);
}

typedef void (*put_fn)(struct nl_msg *m);

static void bad_u32(struct nl_msg *m) { nla_put_u16(m, VSCARD_A_POOL, 1); }
static void bad_u64(struct nl_msg *m) { nla_put_u32(m, VSCARD_A_REQ_ID, 1); }
static void bad_fd(struct nl_msg *m) { nla_put_u64(m, VSCARD_A_FD, 1); }
static void bad_pid(struct nl_msg *m) { nla_put_u8(m, VSCARD_A_BINDER_PID, 1); }
static void bad_str(struct nl_msg *m)
{
	nla_put(m, VSCARD_A_READER_NAME, 3, "abc");
}

static void bad_atr(struct nl_msg *m)
{
	static uint8_t atr[VSCARD_ATR_MAX + 1];

	nla_put(m, VSCARD_A_ATR, sizeof(atr), atr);
}

static void bad_key(struct nl_msg *m)
{
	nla_put(m, VSCARD_A_SESSION_KEY, 0, "");
}

static void bad_stat(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, VSCARD_A_STATS);

	nla_put_u32(m, VSCARD_STAT_TIMEOUTS, 1);
	nla_nest_end(m, n);
}

static void test_malformed(struct tap *t)
{
	static const struct { const char *what; put_fn fn; } cases[] = {
		{ "u32 attribute of 2 bytes", bad_u32 },
		{ "u64 attribute of 4 bytes", bad_u64 },
		{ "FD of 8 bytes", bad_fd },
		{ "BINDER_PID of 1 byte", bad_pid },
		{ "string without NUL", bad_str },
		{ "ATR of 34 bytes", bad_atr },
		{ "empty session key", bad_key },
		{ "u32 stat counter", bad_stat },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nl_msg *m = new_msg(VSCARD_CMD_EVENT, 256);
		struct vscard_attrs a;
		int err;

		cases[i].fn(m);
		a.cmd = 0;
		err = parse(m, &a);
		tap_ok(t, err == -EPROTO, "malformed %s -> -EPROTO (got %d)",
		       cases[i].what, err);
		nlmsg_free(m);
	}
}

static void test_truncated(struct tap *t)
{
	struct nl_msg *m = new_msg(VSCARD_CMD_EVENT, 64);
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct vscard_attrs a;

	nla_put_u32(m, VSCARD_A_EVENT, VSCARD_EVENT_CARD_IN);
	a.cmd = 0;
	tap_ok(t, vscard_attrs_parse_msg(nlh, nlh->nlmsg_len - 4, &a) ==
	       -EPROTO, "message longer than its buffer -> -EPROTO");
	tap_ok(t, vscard_attrs_parse_msg(nlh, 8, &a) == -EPROTO,
	       "buffer shorter than the headers -> -EPROTO");
	nlmsg_free(m);
}

static void test_names(struct tap *t)
{
	tap_ok(t, !strcmp(vscard_cmd_name(VSCARD_CMD_BIND), "bind") &&
	       !strcmp(vscard_cmd_name(VSCARD_CMD_UNBIND), "unbind") &&
	       !strcmp(vscard_cmd_name(VSCARD_CMD_EVENT), "event") &&
	       !strcmp(vscard_cmd_name(999), "unknown") &&
	       !strcmp(vscard_event_name(VSCARD_EVENT_LINGER), "linger") &&
	       !strcmp(vscard_event_name(0), "unknown") &&
	       !strcmp(vscard_req_type_name(VSCARD_REQ_TRANSMIT), "transmit") &&
	       !strcmp(vscard_req_type_name(VSCARD_MSG_CANCEL), "cancel") &&
	       !strcmp(vscard_req_type_name(0), "unknown"),
	       "command, event and message type names");
	tap_ok(t, strstr(vscard_nl_open_strerror(-ENOENT), "vscard.ko") &&
	       strstr(vscard_nl_open_strerror(-EPROTONOSUPPORT), "ABI 2.0") &&
	       strstr(vscard_nl_open_strerror(-EPERM), "CAP_NET_ADMIN") &&
	       !strcmp(vscard_nl_open_strerror(-ENOMEM), strerror(ENOMEM)),
	       "vscard_nl_open() errors worded for users");
}

/* ---- binding file ---------------------------------------------------- */

struct pair {
	int lib;	/* the library's end: the "binding file" */
	int kern;	/* the test's end: the "kernel" */
};

static int pair_open(struct pair *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	p->lib = sv[0];
	p->kern = sv[1];
	return 0;
}

static void pair_close(struct pair *p)
{
	if (p->lib >= 0)
		close(p->lib);
	if (p->kern >= 0)
		close(p->kern);
}

/* One message as the "kernel" reads it; returns its length or -errno. */
static ssize_t take(const struct pair *p, void *buf, size_t size)
{
	ssize_t n = recv(p->kern, buf, size, MSG_DONTWAIT | MSG_TRUNC);

	return n < 0 ? -errno : n;
}

static void test_done(struct tap *t, struct pair *p)
{
	static uint8_t big[VSCARD_DATA_MAX + 1], rx[sizeof(struct vscard_cmd_done) +
						     VSCARD_DATA_MAX + 16];
	const struct vscard_cmd_done *h = (const void *)rx;
	struct vscard_done d = {
		.req_id = 0x0000000700000009ULL, .result = 0x9000,
		.protocols = VSCARD_PROTO_T1, .data = "\x90\x00", .len = 2,
	};
	ssize_t n;
	int err;
	size_t i;

	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)sizeof(*h) + 2 &&
	       h->cmd == VSCARD_BCMD_DONE && h->status == 0 &&
	       h->id == d.req_id && h->result == 0x9000 &&
	       h->protocols == VSCARD_PROTO_T1 && h->len == 2 &&
	       h->reserved == 0 && !memcmp(rx + sizeof(*h), "\x90\x00", 2),
	       "done: header and response bytes in one write (err %d, %zd bytes)",
	       err, n);

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	d.data = big;
	d.len = VSCARD_DATA_MAX;
	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)(sizeof(*h) + VSCARD_DATA_MAX) &&
	       h->len == VSCARD_DATA_MAX &&
	       !memcmp(rx + sizeof(*h), big, VSCARD_DATA_MAX),
	       "done: a VSCARD_DATA_MAX response whole (err %d, %zd bytes)",
	       err, n);

	d.len = VSCARD_DATA_MAX + 1;
	tap_ok(t, vscard_binding_done(p->lib, &d) == -EINVAL &&
	       take(p, rx, sizeof(rx)) == -EAGAIN,
	       "done: more than VSCARD_DATA_MAX bytes refused, nothing written");
	d.data = NULL;
	d.len = 3;
	tap_ok(t, vscard_binding_done(p->lib, &d) == -EINVAL &&
	       take(p, rx, sizeof(rx)) == -EAGAIN,
	       "done: bytes without data refused, nothing written");
	d.status = 5;
	tap_ok(t, vscard_binding_done(p->lib, &d) == -EINVAL,
	       "done: a positive status refused");

	d.status = -ENOBUFS;
	d.data = big;
	d.len = 300;
	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)sizeof(*h) && h->status == -ENOBUFS &&
	       h->len == 300,
	       "done -ENOBUFS: the length needed, no bytes (err %d, %zd bytes)",
	       err, n);
	d.len = 100000;
	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)sizeof(*h) && h->len == VSCARD_DATA_MAX,
	       "done -ENOBUFS: a need beyond VSCARD_DATA_MAX is sent as the maximum (%u)",
	       h->len);

	d.status = -EIO;
	d.result = 0x80100069;
	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)sizeof(*h) && h->status == -EIO &&
	       h->len == 0 && h->result == 0x80100069,
	       "done with an error: len 0, no bytes (err %d, %zd bytes)",
	       err, n);

	d.status = 0;
	d.data = NULL;
	d.len = 0;
	err = vscard_binding_done(p->lib, &d);
	n = take(p, rx, sizeof(rx));
	tap_ok(t, !err && n == (ssize_t)sizeof(*h) && h->len == 0,
	       "done with an empty response (err %d, %zd bytes)", err, n);
}

static void test_card(struct tap *t, struct pair *p)
{
	static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
	static uint8_t long_atr[VSCARD_ATR_MAX + 1];
	struct vscard_cmd_card rx, zero;
	struct vscard_card c = {
		.present = true, .atr = atr, .atr_len = sizeof(atr),
		.protocols = VSCARD_PROTO_T0,
	};
	ssize_t n;
	int err;

	memset(&rx, 0xAA, sizeof(rx));
	err = vscard_binding_card(p->lib, &c);
	n = take(p, &rx, sizeof(rx) + 1);
	tap_ok(t, !err && n == (ssize_t)sizeof(rx) &&
	       rx.cmd == VSCARD_BCMD_CARD && rx.state == VSCARD_CARD_PRESENT &&
	       rx.protocols == VSCARD_PROTO_T0 && rx.atr_len == sizeof(atr) &&
	       !memcmp(rx.atr, atr, sizeof(atr)) &&
	       !rx.atr[sizeof(atr)] && !rx.atr[sizeof(rx.atr) - 1],
	       "card present: state, protocols, ATR, zero padding (err %d)",
	       err);

	c.present = false;
	err = vscard_binding_card(p->lib, &c);
	n = take(p, &rx, sizeof(rx) + 1);
	memset(&zero, 0, sizeof(zero));
	zero.cmd = VSCARD_BCMD_CARD;
	zero.state = VSCARD_CARD_ABSENT;
	tap_ok(t, !err && n == (ssize_t)sizeof(rx) &&
	       !memcmp(&rx, &zero, sizeof(rx)),
	       "card absent: no ATR, no protocols (err %d)", err);

	c.present = true;
	c.atr_len = 0;
	tap_ok(t, vscard_binding_card(p->lib, &c) == -EINVAL,
	       "card present without an ATR refused");
	c.atr = long_atr;
	c.atr_len = sizeof(long_atr);
	tap_ok(t, vscard_binding_card(p->lib, &c) == -EINVAL &&
	       take(p, &rx, sizeof(rx)) == -EAGAIN,
	       "card with a 34-byte ATR refused, nothing written");
}

static void test_read(struct tap *t, struct pair *p)
{
	static struct vscard_req_buf m;
	static uint8_t tx[sizeof(struct vscard_msg) + VSCARD_DATA_MAX];
	struct vscard_msg *h = (struct vscard_msg *)tx;
	size_t i;
	int err;

	*h = (struct vscard_msg){ .id = 42, .type = VSCARD_REQ_TRANSMIT,
				  .code = VSCARD_PROTO_T1, .rx_max = 258,
				  .len = 5 };
	memcpy(tx + sizeof(*h), "\x00\xA4\x04\x00\x00", 5);
	send(p->kern, tx, sizeof(*h) + 5, 0);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, !err && m.msg.id == 42 && m.msg.type == VSCARD_REQ_TRANSMIT &&
	       m.msg.code == VSCARD_PROTO_T1 && m.msg.rx_max == 258 &&
	       m.msg.len == 5 && !memcmp(m.data, "\x00\xA4\x04\x00\x00", 5),
	       "read: a request, header and command bytes (err %d)", err);

	for (i = 0; i < VSCARD_DATA_MAX; i++)
		tx[sizeof(*h) + i] = (uint8_t)(i * 3);
	h->len = VSCARD_DATA_MAX;
	send(p->kern, tx, sizeof(tx), 0);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, !err && m.msg.len == VSCARD_DATA_MAX &&
	       !memcmp(m.data, tx + sizeof(*h), VSCARD_DATA_MAX),
	       "read: a VSCARD_DATA_MAX request fits struct vscard_req_buf (err %d)",
	       err);

	*h = (struct vscard_msg){ .id = 43, .type = VSCARD_MSG_CANCEL };
	send(p->kern, tx, sizeof(*h), 0);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, !err && m.msg.id == 43 && m.msg.type == VSCARD_MSG_CANCEL &&
	       m.msg.len == 0, "read: a cancel notice (err %d)", err);

	h->len = 10;
	send(p->kern, tx, sizeof(*h) + 4, 0);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, err == -EPROTO, "read: fewer bytes than len says -> -EPROTO (%d)",
	       err);
	send(p->kern, tx, 8, 0);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, err == -EPROTO, "read: shorter than the header -> -EPROTO (%d)",
	       err);

	fcntl(p->lib, F_SETFL, fcntl(p->lib, F_GETFL) | O_NONBLOCK);
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, err == -EAGAIN, "read: nothing queued, non-blocking -> -EAGAIN (%d)",
	       err);
	close(p->kern);
	p->kern = -1;
	err = vscard_binding_read(p->lib, &m);
	tap_ok(t, err == -ENODEV, "read: end of file -> -ENODEV (%d)", err);
	err = vscard_binding_card(p->lib, &(struct vscard_card){ .present = false });
	tap_ok(t, err == -EPIPE, "write errors come back as -errno (%d)", err);
}

static void test_binding_file(struct tap *t)
{
	struct pair p = { -1, -1 };
	int err = pair_open(&p);

	if (err) {
		tap_skip(t, "binding-file helpers: socketpair: %s", strerror(-err));
		return;
	}
	test_done(t, &p);
	test_card(t, &p);
	test_read(t, &p);
	pair_close(&p);
}

int main(void)
{
	struct tap t = { .prefix = "libvscard" };

	signal(SIGPIPE, SIG_IGN);
	test_slot_parse(&t);
	test_bind_reply(&t);
	test_malformed(&t);
	test_truncated(&t);
	test_names(&t);
	test_binding_file(&t);
	return tap_done(&t);
}
