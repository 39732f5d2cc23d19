/* SPDX-License-Identifier: MIT */
/*
 * RDPDR CompletionId table.
 *
 * Rules (Documentation/agent.rst, "CompletionId rules"):
 *  - ids come from a monotonic 32-bit counter that skips every id still in
 *    the table, so an id is unique among outstanding requests and is never
 *    reused across a reset (the counter does not restart);
 *  - a request whose deadline passes, or that is cancelled locally, becomes
 *    "abandoned": its id stays reserved until a completion arrives for it;
 *  - a reset abandons everything outstanding and bumps the epoch;
 *  - completions for abandoned ids are "late" and dropped; completions for
 *    ids not in the table are "unknown" and dropped.  Neither is fatal.
 */
#ifndef AGENT_COMPLETION_TABLE_H
#define AGENT_COMPLETION_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum ct_state {
	CT_OUTSTANDING = 1,
	CT_ABANDONED,
};

struct ct_entry {
	uint32_t cid;
	uint32_t device_id;
	uint32_t ioctl;
	uint32_t epoch;
	enum ct_state state;
	uint64_t deadline_ms;	/* 0: no deadline */
	uint64_t owner;		/* opaque id of whoever waits for it */
};

struct ct_stats {
	uint64_t issued;
	uint64_t completed;
	uint64_t late;		/* completion for an abandoned id */
	uint64_t unknown;	/* completion for an id never issued / done */
	uint64_t wrong_device;	/* completion with another DeviceId */
	uint64_t timeouts;
	uint64_t evicted;	/* abandoned ids forgotten to bound memory */
};

struct completion_table {
	struct ct_entry *v;
	size_t n;
	size_t cap;
	size_t max_abandoned;
	uint32_t next_cid;
	uint32_t epoch;
	struct ct_stats stats;
};

enum ct_result {
	CT_HIT = 0,		/* *out is the request; it left the table */
	CT_LATE,
	CT_UNKNOWN,
	CT_WRONG_DEVICE,
};

void ct_init(struct completion_table *t, uint32_t first_cid);
void ct_fini(struct completion_table *t);
/* Returns 0 and the new id in *cid, or -ENOMEM. */
int ct_alloc(struct completion_table *t, uint32_t device_id, uint32_t ioctl,
	     uint64_t deadline_ms, uint64_t owner, uint32_t *cid);
enum ct_result ct_complete(struct completion_table *t, uint32_t device_id,
			   uint32_t cid, struct ct_entry *out);
/* Marks one outstanding id abandoned; returns 0 or -ENOENT. */
int ct_abandon(struct completion_table *t, uint32_t cid);
/* Abandons every outstanding id of @owner; returns how many. */
size_t ct_abandon_owner(struct completion_table *t, uint64_t owner);
/* Abandons everything and starts a new epoch. */
void ct_reset(struct completion_table *t);
/* Earliest deadline among outstanding entries, 0 if none. */
uint64_t ct_next_deadline(const struct completion_table *t);
/*
 * Abandons the first outstanding entry whose deadline is <= now and copies
 * it to *out; returns 1, or 0 when none has expired.
 */
int ct_expire_one(struct completion_table *t, uint64_t now, struct ct_entry *out);
size_t ct_count(const struct completion_table *t, enum ct_state state);
/* The same, entries of @ioctl left out. */
size_t ct_count_except(const struct completion_table *t, enum ct_state state,
		       uint32_t ioctl);
const struct ct_entry *ct_find(const struct completion_table *t, uint32_t cid);

#endif
