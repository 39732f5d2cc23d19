// SPDX-License-Identifier: MIT
/* vscardctl: human and JSON output of pools, slots and events. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include "vscardctl.h"

const char *ctl_slot_state(uint32_t flags)
{
	if (flags & VSCARD_STATUS_LINGERING)
		return "lingering";
	if (flags & VSCARD_STATUS_BOUND)
		return "bound";
	return "free";
}

static const char *card_word(const struct vscard_attrs *a)
{
	if (vscard_attrs_has(a, VSCARD_A_CARD_STATE))
		return a->card_state == VSCARD_CARD_PRESENT ? "present" :
		       "absent";
	return a->flags & VSCARD_STATUS_PRESENT ? "present" : "absent";
}

static void protocols_str(uint32_t p, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", p & VSCARD_PROTO_T0 ? "T0 " : "",
		 p & VSCARD_PROTO_T1 ? "T1 " : "",
		 p & VSCARD_PROTO_RAW ? "RAW " : "", p ? "" : "- ");
	buf[strlen(buf) - 1] = 0;
}

/* Field printers: human "name: value" lines or JSON members. */
struct field {
	const char *name;
	int attr;
	enum { F_U32, F_U64, F_HEX64, F_STR, F_ATR, F_FLAGS, F_PROTO,
	       F_EVENT, F_KEY, F_CARD } kind;
	size_t off;
};

#define FLD(n, a, k, m) { n, a, k, offsetof(struct vscard_attrs, m) }

static const struct field fields[] = {
	FLD("event", VSCARD_A_EVENT, F_EVENT, event),
	FLD("pool", VSCARD_A_POOL, F_U32, pool),
	FLD("slot", VSCARD_A_SLOT, F_U32, slot),
	FLD("slots", VSCARD_A_SLOTS, F_U32, slots),
	FLD("minor", VSCARD_A_MINOR, F_U32, minor),
	FLD("uid", VSCARD_A_UID, F_U32, uid),
	FLD("gid", VSCARD_A_GID, F_U32, gid),
	FLD("abi_version", VSCARD_A_ABI_VERSION, F_U32, abi_version),
	FLD("flags", VSCARD_A_FLAGS, F_FLAGS, flags),
	FLD("card", VSCARD_A_CARD_STATE, F_CARD, card_state),
	FLD("reader_name", VSCARD_A_READER_NAME, F_STR, reader_name),
	FLD("epoch", VSCARD_A_EPOCH, F_U64, epoch),
	FLD("seq", VSCARD_A_SEQ, F_U64, seq),
	FLD("insert_count", VSCARD_A_INSERT_COUNT, F_U64, insert_count),
	FLD("atr", VSCARD_A_ATR, F_ATR, atr),
	FLD("protocols", VSCARD_A_PROTOCOLS, F_PROTO, protocols),
	FLD("session_key", VSCARD_A_SESSION_KEY, F_KEY, key),
	FLD("key_hash", VSCARD_A_KEY_HASH, F_HEX64, key_hash),
	FLD("linger_ms", VSCARD_A_LINGER_MS, F_U32, linger_ms),
	FLD("timeout_ms", VSCARD_A_TIMEOUT_MS, F_U32, timeout_ms),
	FLD("binder_uid", VSCARD_A_BINDER_UID, F_U32, binder_uid),
	FLD("binder_pid", VSCARD_A_BINDER_PID, F_U32, binder_pid),
	FLD("pending", VSCARD_A_PENDING, F_U32, pending),
	FLD("req_id", VSCARD_A_REQ_ID, F_HEX64, req_id),
};

static const struct { const char *name; int id; size_t off; } stats[] = {
	{ "requests", VSCARD_STAT_REQUESTS,
	  offsetof(struct vscard_stats, requests) },
	{ "completed", VSCARD_STAT_COMPLETED,
	  offsetof(struct vscard_stats, completed) },
	{ "timeouts", VSCARD_STAT_TIMEOUTS,
	  offsetof(struct vscard_stats, timeouts) },
	{ "aborted", VSCARD_STAT_ABORTED,
	  offsetof(struct vscard_stats, aborted) },
	{ "stale_completions", VSCARD_STAT_STALE_COMPLETIONS,
	  offsetof(struct vscard_stats, stale_completions) },
	{ "binds", VSCARD_STAT_BINDS, offsetof(struct vscard_stats, binds) },
};

static void flags_value(struct ctl *c, uint32_t flags)
{
	static const char *const names[] = { "bound", "present", "powered",
					     "lingering" };
	int i, n = 0;

	fputs(c->json ? "[" : "", c->out);
	for (i = 0; i < 4; i++) {
		if (!(flags & (1U << i)))
			continue;
		if (c->json)
			fprintf(c->out, "%s\"%s\"", n ? "," : "", names[i]);
		else
			fprintf(c->out, "%s%s", n ? "," : "", names[i]);
		n++;
	}
	if (!c->json && !n)
		fputs("-", c->out);
	fputs(c->json ? "]" : "", c->out);
}

static void field_value(struct ctl *c, const struct vscard_attrs *a,
			const struct field *f)
{
	const void *p = (const char *)a + f->off;
	char buf[32];
	size_t i;

	switch (f->kind) {
	case F_U32:
		fprintf(c->out, "%" PRIu32, *(const uint32_t *)p);
		break;
	case F_U64:
		fprintf(c->out, "%" PRIu64, *(const uint64_t *)p);
		break;
	case F_HEX64:
		fprintf(c->out, c->json ? "\"%#" PRIx64 "\"" : "%#" PRIx64,
			*(const uint64_t *)p);
		break;
	case F_STR:
		if (c->json)
			json_string(c->out, p);
		else
			fputs(p, c->out);
		break;
	case F_ATR:
	case F_KEY: {
		size_t n = f->kind == F_ATR ? a->atr_len : a->key_len;

		if (c->json) {
			json_hex(c->out, p, n);
			break;
		}
		for (i = 0; i < n; i++)
			fprintf(c->out, "%s%02X", i ? " " : "",
				((const uint8_t *)p)[i]);
		break;
	}
	case F_FLAGS:
		flags_value(c, *(const uint32_t *)p);
		break;
	case F_PROTO:
		protocols_str(*(const uint32_t *)p, buf, sizeof(buf));
		fprintf(c->out, c->json ? "\"%s\"" : "%s", buf);
		break;
	case F_EVENT:
		fprintf(c->out, c->json ? "\"%s\"" : "%s",
			vscard_event_name(*(const uint32_t *)p));
		break;
	case F_CARD:
		fprintf(c->out, c->json ? "\"%s\"" : "%s", card_word(a));
		break;
	}
}

static void print_stats(struct ctl *c, const struct vscard_stats *st)
{
	size_t i;
	int n = 0;

	fputs(c->json ? ",\"stats\":{" : "stats:", c->out);
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		uint64_t v = *(const uint64_t *)((const char *)st +
						 stats[i].off);

		if (!(st->present >> stats[i].id & 1))
			continue;
		if (c->json)
			fprintf(c->out, "%s\"%s\":%" PRIu64, n ? "," : "",
				stats[i].name, v);
		else
			fprintf(c->out, " %s=%" PRIu64, stats[i].name, v);
		n++;
	}
	fputs(c->json ? "}" : "\n", c->out);
}

void ctl_print_object(struct ctl *c, const struct vscard_attrs *a)
{
	size_t i;
	int n = 0;

	if (c->json)
		fputs(c->count++ ? ",\n{" : "{", c->out);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!vscard_attrs_has(a, fields[i].attr))
			continue;
		if (c->json)
			fprintf(c->out, "%s\"%s\":", n ? "," : "",
				fields[i].name);
		else
			fprintf(c->out, "%-14s", fields[i].name);
		field_value(c, a, &fields[i]);
		if (!c->json)
			fputc('\n', c->out);
		n++;
	}
	if (vscard_attrs_has(a, VSCARD_A_MINOR)) {
		if (c->json)
			fprintf(c->out, ",\"dev\":\"/dev/vscard%u\"", a->minor);
		else
			fprintf(c->out, "%-14s/dev/vscard%u\n", "dev", a->minor);
	}
	if (vscard_attrs_has(a, VSCARD_A_FLAGS) &&
	    vscard_attrs_has(a, VSCARD_A_SLOT)) {
		if (c->json)
			fprintf(c->out, ",\"state\":\"%s\"",
				ctl_slot_state(a->flags));
		else
			fprintf(c->out, "%-14s%s\n", "state",
				ctl_slot_state(a->flags));
	}
	if (vscard_attrs_has(a, VSCARD_A_STATS))
		print_stats(c, &a->stats);
	if (c->json)
		fputc('}', c->out);
}

void ctl_print_slot_header(struct ctl *c)
{
	fprintf(c->out, "%-4s %-4s %-14s %-9s %-7s %-6s %-7s %-13s %s\n",
		"POOL", "SLOT", "DEVICE", "STATE", "CARD", "EPOCH", "PENDING",
		"BINDER", "READER");
}

void ctl_print_slot_row(struct ctl *c, const struct vscard_attrs *a)
{
	char dev[32], binder[32] = "-";

	snprintf(dev, sizeof(dev), "/dev/vscard%u", a->minor);
	/* uid/pid of the binder; the pid is absent outside its pid ns */
	if (vscard_attrs_has(a, VSCARD_A_BINDER_UID) &&
	    vscard_attrs_has(a, VSCARD_A_BINDER_PID))
		snprintf(binder, sizeof(binder), "%u/%u", a->binder_uid,
			 a->binder_pid);
	else if (vscard_attrs_has(a, VSCARD_A_BINDER_UID))
		snprintf(binder, sizeof(binder), "%u/-", a->binder_uid);
	fprintf(c->out, "%-4u %-4u %-14s %-9s %-7s %-6" PRIu64 " %-7u %-13s %s\n",
		a->pool, a->slot, dev, ctl_slot_state(a->flags),
		card_word(a), a->epoch, a->pending, binder,
		*a->reader_name ? a->reader_name : "-");
}

void ctl_print_pool_header(struct ctl *c)
{
	fprintf(c->out, "%-4s %-5s %-6s %-6s %s\n", "POOL", "SLOTS", "UID",
		"GID", "ABI");
}

void ctl_print_pool_row(struct ctl *c, const struct vscard_attrs *a)
{
	fprintf(c->out, "%-4u %-5u %-6u %-6u %u.%u\n", a->pool, a->slots,
		a->uid, a->gid, a->abi_version >> 16, a->abi_version & 0xffff);
}

void ctl_print_event(struct ctl *c, const struct vscard_attrs *a)
{
	size_t i;

	if (c->json) {
		c->count = 0;	/* one object per line */
		ctl_print_object(c, a);
		fputc('\n', c->out);
		return;
	}
	fprintf(c->out, "%s", vscard_event_name(a->event));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].attr == VSCARD_A_EVENT ||
		    !vscard_attrs_has(a, fields[i].attr))
			continue;
		fprintf(c->out, " %s=", fields[i].name);
		if (fields[i].kind == F_STR) {
			fprintf(c->out, "\"%s\"", a->reader_name);
			continue;
		}
		if (fields[i].kind == F_ATR) {
			json_hex(c->out, a->atr, a->atr_len);
			continue;
		}
		field_value(c, a, &fields[i]);
	}
	fputc('\n', c->out);
}
