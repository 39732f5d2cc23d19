// SPDX-License-Identifier: MIT
/* ABI tests: privilege checks and malformed attributes. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "abi.h"

/* Child: drop to nobody and try every mutating command; exit 0 if all
 * fail with -EPERM and the read-only dump still works. */
static int unprivileged_child(uint32_t slot)
{
	struct vscard_nl *nl;
	struct vscard_attrs a;
	struct vscard_card c = { .present = false, .protocols = -1 };
	struct vscard_done d = { .pool = ABI_POOL, .slot = slot, .req_id = 1,
				 .result = -1, .protocols = -1 };
	uint32_t pool;
	int bad = 0, r;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 100;
	if (vscard_nl_open(&nl, VSCARD_NL_NONBLOCK, 0))
		return 101;
#define EXPECT_EPERM(what, expr) do { r = (expr); \
	if (r != -EPERM) { printf("# nobody: %s -> %d\n", what, r); bad++; } \
	} while (0)
	EXPECT_EPERM("bind", abi_bind(nl, -1, "nobody", -1, -1, NULL));
	EXPECT_EPERM("unbind", vscard_nl_unbind(nl, ABI_POOL, slot, -1));
	EXPECT_EPERM("card-set", vscard_nl_card_set(nl, ABI_POOL, slot, &c));
	EXPECT_EPERM("req-get", vscard_nl_req_get(nl, &a));
	EXPECT_EPERM("req-done", vscard_nl_req_done(nl, &d));
	EXPECT_EPERM("pool-new", vscard_nl_pool_new(nl, 2, NULL, NULL, &pool));
	EXPECT_EPERM("pool-del", vscard_nl_pool_del(nl, ABI_POOL));
	r = abi_slot_get(nl, slot, &a);
	if (r)
		printf("# nobody: slot-get -> %d\n", r);
	vscard_nl_close(nl);
	return (bad ? 1 : 0) | (r ? 2 : 0);
}

static void test_unprivileged(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_attrs a;
	int slot = abi_bind(nl, -1, "priv-key", -1, -1, NULL), st = -1;
	pid_t pid;

	if (slot < 0) {
		OK(0, "unprivileged: setup");
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(unprivileged_child((uint32_t)slot));
	waitpid(pid, &st, 0);
	OK(WIFEXITED(st) && !(WEXITSTATUS(st) & ~2),
	   "uid nobody: bind, unbind, card-set, req-get, req-done, pool-new, pool-del -> -EPERM (status %d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	OK(WIFEXITED(st) && !(WEXITSTATUS(st) & ~1),
	   "uid nobody: slot-get still works (read-only)");
	OK(abi_slot_get(nl, (uint32_t)slot, &a) == 0 &&
	   (a.flags & VSCARD_STATUS_BOUND) && a.owner_portid == vscard_nl_portid(nl),
	   "the binding is untouched and owned by us");
	vscard_attrs_release(&a);
	vscard_nl_unbind(nl, ABI_POOL, (uint32_t)slot, -1);
out:
	vscard_nl_close(nl);
}

typedef int (*build_fn)(struct nl_msg *m, uint32_t slot);

static int bind_pool_u16(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u16(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_no_key(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_long_key(struct nl_msg *m, uint32_t slot)
{
	static const char key[VSCARD_KEY_MAX + 1];

	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, sizeof(key), key) |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_empty_key(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 0, "") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_long_name(struct nl_msg *m, uint32_t slot)
{
	char name[VSCARD_NAME_MAX + 10];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, name);
}

static int bind_unterminated_name(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put(m, VSCARD_A_READER_NAME, 4, "rrrr");
}

static int bind_bad_slot(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, VSCARD_POOL_SLOTS_MAX) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int card_long_atr(struct nl_msg *m, uint32_t slot)
{
	static const uint8_t atr[VSCARD_ATR_MAX + 1] = { 0x3B };

	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u32(m, VSCARD_A_CARD_STATE, 1) |
	       nla_put(m, VSCARD_A_ATR, sizeof(atr), atr);
}

static int card_bad_state(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u32(m, VSCARD_A_CARD_STATE, 7);
}

static int card_no_state(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot);
}

static int done_big_chunk(struct nl_msg *m, uint32_t slot)
{
	static const uint8_t d[VSCARD_DATA_CHUNK + 1];

	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u64(m, VSCARD_A_REQ_ID, 1) |
	       nla_put_s32(m, VSCARD_A_STATUS, 0) |
	       nla_put(m, VSCARD_A_DATA, sizeof(d), d);
}

static int done_positive_status(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u64(m, VSCARD_A_REQ_ID, 1) |
	       nla_put_s32(m, VSCARD_A_STATUS, 5);
}

static int done_huge_status(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u64(m, VSCARD_A_REQ_ID, 1) |
	       nla_put_s32(m, VSCARD_A_STATUS, -5000);
}

static int done_no_id(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_s32(m, VSCARD_A_STATUS, 0);
}

static int done_id_u32(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, slot) |
	       nla_put_u32(m, VSCARD_A_REQ_ID, 1) |
	       nla_put_s32(m, VSCARD_A_STATUS, 0);
}

static int pool_zero_slots(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_SLOTS, 0);
}

static int pool_too_many(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_SLOTS, VSCARD_POOL_SLOTS_MAX + 1);
}

static int unknown_attr(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_MAX + 5, 1);
}

static void test_malformed(void)
{
	static const struct {
		const char *what;
		uint8_t cmd;
		build_fn fn;
		bool missing;	/* a missing attribute: MISS_TYPE will do */
	} c[] = {
		{ "BIND with a u16 POOL", VSCARD_CMD_BIND, bind_pool_u16, 0 },
		{ "BIND without SESSION_KEY", VSCARD_CMD_BIND, bind_no_key, 1 },
		{ "BIND with a 65-byte key", VSCARD_CMD_BIND, bind_long_key, 0 },
		{ "BIND with an empty key", VSCARD_CMD_BIND, bind_empty_key, 0 },
		{ "BIND with a 137-byte name", VSCARD_CMD_BIND, bind_long_name, 0 },
		{ "BIND with an unterminated name", VSCARD_CMD_BIND,
		  bind_unterminated_name, 0 },
		{ "BIND with SLOT 16", VSCARD_CMD_BIND, bind_bad_slot, 0 },
		{ "CARD_SET with a 34-byte ATR", VSCARD_CMD_CARD_SET,
		  card_long_atr, 0 },
		{ "CARD_SET with CARD_STATE 7", VSCARD_CMD_CARD_SET,
		  card_bad_state, 0 },
		{ "CARD_SET without CARD_STATE", VSCARD_CMD_CARD_SET,
		  card_no_state, 1 },
		{ "REQ_DONE with a 32769-byte DATA chunk", VSCARD_CMD_REQ_DONE,
		  done_big_chunk, 0 },
		{ "REQ_DONE with STATUS 5", VSCARD_CMD_REQ_DONE,
		  done_positive_status, 0 },
		{ "REQ_DONE with STATUS -5000", VSCARD_CMD_REQ_DONE,
		  done_huge_status, 0 },
		{ "REQ_DONE without REQ_ID", VSCARD_CMD_REQ_DONE, done_no_id, 1 },
		{ "REQ_DONE with a u32 REQ_ID", VSCARD_CMD_REQ_DONE,
		  done_id_u32, 0 },
		{ "POOL_NEW with 0 slots", VSCARD_CMD_POOL_NEW,
		  pool_zero_slots, 0 },
		{ "POOL_NEW with 17 slots", VSCARD_CMD_POOL_NEW,
		  pool_too_many, 0 },
		{ "POOL_GET with an unknown attribute", VSCARD_CMD_POOL_GET,
		  unknown_attr, 0 },
	};
	struct vscard_nl *nl = abi_nl();
	struct vscard_attrs before, after;
	size_t i;
	int slot = abi_bind(nl, -1, "malformed-key", -1, -1, NULL);

	if (slot < 0 || abi_card(nl, (uint32_t)slot, true)) {
		OK(0, "malformed: setup");
		goto out;
	}
	abi_slot_get(nl, (uint32_t)slot, &before);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nl_msg *m = vscard_nl_msg(nl, c[i].cmd, 0, 40000);
		const char *msg;
		int r;

		if (c[i].fn(m, (uint32_t)slot) < 0) {
			nlmsg_free(m);
			OK(0, "malformed %s: building", c[i].what);
			continue;
		}
		r = vscard_nl_transact(nl, m, NULL, NULL);
		msg = vscard_nl_errmsg(nl);
		/* the netlink core answers range and size violations of
		 * NLA_POLICY_RANGE / max-length policies with -ERANGE */
		OK((r == -EINVAL || r == -ERANGE) &&
		   (*msg || (c[i].missing && vscard_nl_err_missing(nl))),
		   "malformed %s -> -EINVAL/-ERANGE with extack (%d, \"%s\", missing %u)",
		   c[i].what, r, msg, vscard_nl_err_missing(nl));
	}
	abi_slot_get(nl, (uint32_t)slot, &after);
	OK(after.epoch == before.epoch && (after.flags & VSCARD_STATUS_PRESENT) &&
	   after.seq == before.seq,
	   "rejected messages left the binding untouched");
	vscard_attrs_release(&before);
	vscard_attrs_release(&after);
	vscard_nl_unbind(nl, ABI_POOL, (uint32_t)slot, -1);
out:
	vscard_nl_close(nl);
}

void t_priv(void)
{
	test_unprivileged();
	test_malformed();
}
