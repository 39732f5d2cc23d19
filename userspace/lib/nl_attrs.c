// SPDX-License-Identifier: MIT
/* Parsing of vscard netlink attributes into struct vscard_attrs. */
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include "vscard_nl.h"

static int get_u32(const struct nlattr *nla, uint32_t *v)
{
	if (nla_len(nla) != 4)
		return -EPROTO;
	memcpy(v, nla_data(nla), 4);
	return 0;
}

static int get_u64(const struct nlattr *nla, uint64_t *v)
{
	if (nla_len(nla) != 8)
		return -EPROTO;
	memcpy(v, nla_data(nla), 8);
	return 0;
}

static int get_bin(const struct nlattr *nla, void *dst, size_t max,
		   uint32_t *len)
{
	if (nla_len(nla) < 1 || (size_t)nla_len(nla) > max)
		return -EPROTO;
	memcpy(dst, nla_data(nla), nla_len(nla));
	*len = nla_len(nla);
	return 0;
}

static int get_string(const struct nlattr *nla, char *dst, size_t size)
{
	const char *s = nla_data(nla);
	size_t n = strnlen(s, nla_len(nla));

	if (n == (size_t)nla_len(nla) || n >= size)
		return -EPROTO;	/* not NUL-terminated or too long */
	memcpy(dst, s, n + 1);
	return 0;
}

static int parse_stats(const struct nlattr *nest, struct vscard_stats *st)
{
	const struct nlattr *nla;
	int rem, err = 0;

	nla_for_each_nested(nla, nest, rem) {
		uint64_t *dst;
		int t = nla_type(nla);

		switch (t) {
		case VSCARD_STAT_REQUESTS: dst = &st->requests; break;
		case VSCARD_STAT_COMPLETED: dst = &st->completed; break;
		case VSCARD_STAT_TIMEOUTS: dst = &st->timeouts; break;
		case VSCARD_STAT_ABORTED: dst = &st->aborted; break;
		case VSCARD_STAT_STALE_COMPLETIONS:
			dst = &st->stale_completions; break;
		case VSCARD_STAT_BINDS: dst = &st->binds; break;
		default: continue;
		}
		err = get_u64(nla, dst);
		if (err)
			return err;
		st->present |= 1ULL << t;
	}
	return 0;
}

/* Pointer to the u32 field of a u32 attribute, NULL for other types. */
static uint32_t *u32_field(struct vscard_attrs *a, int t)
{
	switch (t) {
	case VSCARD_A_ABI_VERSION: return &a->abi_version;
	case VSCARD_A_POOL: return &a->pool;
	case VSCARD_A_SLOT: return &a->slot;
	case VSCARD_A_SLOTS: return &a->slots;
	case VSCARD_A_UID: return &a->uid;
	case VSCARD_A_GID: return &a->gid;
	case VSCARD_A_MINOR: return &a->minor;
	case VSCARD_A_LINGER_MS: return &a->linger_ms;
	case VSCARD_A_TIMEOUT_MS: return &a->timeout_ms;
	case VSCARD_A_FLAGS: return &a->flags;
	case VSCARD_A_CARD_STATE: return &a->card_state;
	case VSCARD_A_PROTOCOLS: return &a->protocols;
	case VSCARD_A_EVENT: return &a->event;
	case VSCARD_A_PENDING: return &a->pending;
	case VSCARD_A_FD: return &a->fd;
	case VSCARD_A_BINDER_UID: return &a->binder_uid;
	case VSCARD_A_BINDER_PID: return &a->binder_pid;
	}
	return NULL;
}

static uint64_t *u64_field(struct vscard_attrs *a, int t)
{
	switch (t) {
	case VSCARD_A_KEY_HASH: return &a->key_hash;
	case VSCARD_A_EPOCH: return &a->epoch;
	case VSCARD_A_SEQ: return &a->seq;
	case VSCARD_A_INSERT_COUNT: return &a->insert_count;
	case VSCARD_A_REQ_ID: return &a->req_id;
	}
	return NULL;
}

static int parse_one(const struct nlattr *nla, struct vscard_attrs *a)
{
	int t = nla_type(nla);
	uint32_t *p32;
	uint64_t *p64;

	p32 = u32_field(a, t);
	if (p32)
		return get_u32(nla, p32);
	p64 = u64_field(a, t);
	if (p64)
		return get_u64(nla, p64);
	switch (t) {
	case VSCARD_A_SESSION_KEY:
		return get_bin(nla, a->key, sizeof(a->key), &a->key_len);
	case VSCARD_A_ATR:
		return get_bin(nla, a->atr, sizeof(a->atr), &a->atr_len);
	case VSCARD_A_READER_NAME:
		return get_string(nla, a->reader_name, sizeof(a->reader_name));
	case VSCARD_A_STATS:
		return parse_stats(nla, &a->stats);
	}
	return 0;	/* unknown (a newer module), or PAD */
}

int vscard_attrs_parse(const struct nlattr *head, int len,
		       struct vscard_attrs *out)
{
	const struct nlattr *nla;
	int rem, err;
	uint8_t cmd = out->cmd;

	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	nla_for_each_attr(nla, head, len, rem) {
		int t = nla_type(nla);

		err = parse_one(nla, out);
		if (err)
			return err;
		if (t > 0 && t < 64)
			out->present |= 1ULL << t;
	}
	if (rem > 0 && rem >= NLA_HDRLEN)
		return -EPROTO;	/* trailing garbage that looks like a header */
	return 0;
}

int vscard_attrs_parse_msg(const void *msg, size_t len,
			   struct vscard_attrs *out)
{
	const struct nlmsghdr *nlh = msg;
	const struct genlmsghdr *gh;
	int alen;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EPROTO;
	gh = (const struct genlmsghdr *)((const char *)nlh + NLMSG_HDRLEN);
	alen = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	out->cmd = gh->cmd;
	return vscard_attrs_parse((const struct nlattr *)((const char *)gh +
							  GENL_HDRLEN),
				  alen, out);
}

void vscard_attrs_release(struct vscard_attrs *a)
{
	(void)a;	/* nothing allocated today; see vscard_nl.h */
}
