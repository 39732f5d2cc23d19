// SPDX-License-Identifier: MIT
/* Host unit tests of libvscard's chunking and attribute parsing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
		genlmsg_put(m, 1, 1, FAKE_FAMILY, 0, 0, cmd, 1);
	return m;
}

static int parse(struct nl_msg *m, struct vscard_attrs *a)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	return vscard_attrs_parse_msg(nlh, nlh->nlmsg_len, a);
}

static int count_data_attrs(struct nl_msg *m, int *sizes, int max)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct nlattr *nla;
	int rem, n = 0;

	nla_for_each_attr(nla, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		if (nla_type(nla) == VSCARD_A_DATA) {
			if (n < max)
				sizes[n] = nla_len(nla);
			n++;
		}
	return n;
}

static void test_chunking(struct tap *t, size_t len, size_t chunk,
			  int want_chunks, int want_last)
{
	uint8_t *buf = malloc(len + 1);
	struct vscard_attrs a;
	struct nl_msg *m;
	int sizes[8] = { 0 }, n, added, err;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9));
	m = new_msg(VSCARD_CMD_REQ_DONE, vscard_data_room(len, chunk));
	added = vscard_put_data(m, buf, len, chunk);
	n = count_data_attrs(m, sizes, 8);
	tap_ok(t, added == want_chunks && n == want_chunks &&
	       (!n || sizes[n - 1] == want_last),
	       "put_data %zu bytes, chunk %zu -> %d attributes, last %d (got %d/%d, last %d)",
	       len, chunk, want_chunks, want_last, added, n,
	       n ? sizes[n - 1] : 0);
	a.cmd = 0;
	err = parse(m, &a);
	tap_ok(t, !err && a.data_len == len && (int)a.data_chunks == n &&
	       (!len || !memcmp(a.data, buf, len)) &&
	       (len || a.data == NULL),
	       "parse reassembles %zu bytes from %d chunks (err %d, len %zu)",
	       len, n, err, a.data_len);
	vscard_attrs_release(&a);
	nlmsg_free(m);
	free(buf);
}

static void test_room(struct tap *t)
{
	struct nl_msg *m = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN +
					    vscard_data_room(VSCARD_DATA_MAX, 0));
	static uint8_t big[VSCARD_DATA_MAX];

	genlmsg_put(m, 1, 1, FAKE_FAMILY, 0, 0, VSCARD_CMD_REQ_DONE, 1);
	tap_ok(t, vscard_put_data(m, big, sizeof(big), 0) == 3,
	       "vscard_data_room() is enough for VSCARD_DATA_MAX");
	nlmsg_free(m);
	m = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + 100);
	genlmsg_put(m, 1, 1, FAKE_FAMILY, 0, 0, VSCARD_CMD_REQ_DONE, 1);
	tap_ok(t, vscard_put_data(m, big, 1000, 0) == -EMSGSIZE,
	       "put_data into a too small message fails with -EMSGSIZE");
	nlmsg_free(m);
}

static void test_full_parse(struct tap *t)
{
	struct nl_msg *m = new_msg(VSCARD_CMD_SLOT_GET, 512);
	static const uint8_t atr[] = { 0x3B, 0x8A, 0x80, 0x01 };
	struct vscard_attrs a;
	struct nlattr *nest;
	int err;

	nla_put_u32(m, VSCARD_A_POOL, 3);
	nla_put_u32(m, VSCARD_A_SLOT, 7);
	nla_put_u32(m, VSCARD_A_MINOR, 19);
	nla_put_u64(m, VSCARD_A_EPOCH, 0x100000002ULL);
	nla_put_u64(m, VSCARD_A_SEQ, 99);
	nla_put_u64(m, VSCARD_A_KEY_HASH, 0xdeadbeefcafef00dULL);
	nla_put_string(m, VSCARD_A_READER_NAME, "Remote Reader 0");
	nla_put(m, VSCARD_A_ATR, sizeof(atr), atr);
	nla_put_s32(m, VSCARD_A_STATUS, -ETIMEDOUT);
	nla_put_u32(m, 200, 5);		/* unknown: ignored */
	nest = nla_nest_start(m, VSCARD_A_STATS);
	nla_put_u64(m, VSCARD_STAT_REQUESTS, 10);
	nla_put_u64(m, VSCARD_STAT_STALE_COMPLETIONS, 4);
	nla_nest_end(m, nest);
	a.cmd = 0;
	err = parse(m, &a);
	tap_ok(t, !err && a.cmd == VSCARD_CMD_SLOT_GET && a.pool == 3 &&
	       a.slot == 7 && a.minor == 19 && a.epoch == 0x100000002ULL &&
	       a.seq == 99 && a.key_hash == 0xdeadbeefcafef00dULL &&
	       !strcmp(a.reader_name, "Remote Reader 0") &&
	       a.atr_len == 4 && !memcmp(a.atr, atr, 4) &&
	       a.status == -ETIMEDOUT,
	       "parse of a slot message: scalars, string, ATR, s32 (err %d)",
	       err);
	tap_ok(t, a.stats.requests == 10 && a.stats.stale_completions == 4 &&
	       (a.stats.present >> VSCARD_STAT_REQUESTS & 1) &&
	       !(a.stats.present >> VSCARD_STAT_BINDS & 1),
	       "parse of nested stats");
	tap_ok(t, vscard_attrs_has(&a, VSCARD_A_POOL) &&
	       vscard_attrs_has(&a, VSCARD_A_STATS) &&
	       !vscard_attrs_has(&a, VSCARD_A_GID) && !a.data,
	       "presence bits follow the attributes");
	vscard_attrs_release(&a);
	nlmsg_free(m);
}

typedef void (*put_fn)(struct nl_msg *m);

static void bad_u32(struct nl_msg *m) { nla_put_u16(m, VSCARD_A_POOL, 1); }
static void bad_u64(struct nl_msg *m) { nla_put_u32(m, VSCARD_A_REQ_ID, 1); }
static void bad_str(struct nl_msg *m)
{
	nla_put(m, VSCARD_A_READER_NAME, 3, "abc");
}

static void bad_atr(struct nl_msg *m)
{
	static uint8_t atr[VSCARD_ATR_MAX + 1];

	nla_put(m, VSCARD_A_ATR, sizeof(atr), atr);
}

static void bad_chunk(struct nl_msg *m)
{
	static uint8_t d[VSCARD_DATA_CHUNK + 1];

	nla_put(m, VSCARD_A_DATA, sizeof(d), d);
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
		{ "string without NUL", bad_str },
		{ "ATR of 34 bytes", bad_atr },
		{ "DATA chunk over VSCARD_DATA_CHUNK", bad_chunk },
		{ "u32 stat counter", bad_stat },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nl_msg *m = new_msg(VSCARD_CMD_EVENT, 40000);
		struct vscard_attrs a;
		int err;

		cases[i].fn(m);
		a.cmd = 0;
		err = parse(m, &a);
		tap_ok(t, err == -EPROTO && !a.data,
		       "malformed %s -> -EPROTO (got %d)", cases[i].what, err);
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
	tap_ok(t, !strcmp(vscard_cmd_name(VSCARD_CMD_REQ_DONE), "req-done") &&
	       !strcmp(vscard_cmd_name(VSCARD_CMD_REQ_PUSH), "req-push") &&
	       !strcmp(vscard_cmd_name(999), "unknown") &&
	       !strcmp(vscard_event_name(VSCARD_EVENT_LINGER), "linger") &&
	       !strcmp(vscard_event_name(0), "unknown") &&
	       !strcmp(vscard_req_type_name(VSCARD_REQ_TRANSMIT), "transmit"),
	       "command, event and request type names");
}

int main(void)
{
	struct tap t = { .prefix = "libvscard" };

	test_chunking(&t, 0, 0, 0, 0);
	test_chunking(&t, 1, 0, 1, 1);
	test_chunking(&t, VSCARD_DATA_CHUNK, 0, 1, VSCARD_DATA_CHUNK);
	test_chunking(&t, VSCARD_DATA_CHUNK + 1, 0, 2, 1);
	test_chunking(&t, VSCARD_DATA_MAX, 0, 3, VSCARD_DATA_MAX - 65536);
	test_chunking(&t, 65544, 0, 3, 65544 - 65536);
	test_chunking(&t, 1000, 300, 4, 100);
	test_chunking(&t, 100, 100000, 1, 100);
	test_room(&t);
	test_full_parse(&t);
	test_malformed(&t);
	test_truncated(&t);
	test_names(&t);
	return tap_done(&t);
}
