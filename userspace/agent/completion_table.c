// SPDX-License-Identifier: MIT
/* The RDPDR CompletionId table (completion_table.h has the rules). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "completion_table.h"

#define CT_DEFAULT_MAX_ABANDONED 1024

void ct_init(struct completion_table *t, uint32_t first_cid)
{
	memset(t, 0, sizeof(*t));
	t->next_cid = first_cid;
	t->max_abandoned = CT_DEFAULT_MAX_ABANDONED;
	t->epoch = 1;
}

void ct_fini(struct completion_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static struct ct_entry *find(const struct completion_table *t, uint32_t cid)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].cid == cid)
			return &t->v[i];
	return NULL;
}

const struct ct_entry *ct_find(const struct completion_table *t, uint32_t cid)
{
	return find(t, cid);
}

static void remove_at(struct completion_table *t, size_t i)
{
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}

static size_t count_where(const struct completion_table *t, enum ct_state state,
			  const uint32_t *except_ioctl)
{
	size_t i, c = 0;

	for (i = 0; i < t->n; i++)
		c += t->v[i].state == state &&
		     !(except_ioctl && t->v[i].ioctl == *except_ioctl);
	return c;
}

size_t ct_count(const struct completion_table *t, enum ct_state state)
{
	return count_where(t, state, NULL);
}

size_t ct_count_except(const struct completion_table *t, enum ct_state state,
		       uint32_t ioctl)
{
	return count_where(t, state, &ioctl);
}

/* Entries are kept in issue order, so the first abandoned one is the oldest. */
static void evict_abandoned(struct completion_table *t)
{
	size_t i;

	while (ct_count(t, CT_ABANDONED) > t->max_abandoned) {
		for (i = 0; i < t->n; i++) {
			if (t->v[i].state == CT_ABANDONED) {
				remove_at(t, i);
				t->stats.evicted++;
				break;
			}
		}
	}
}

int ct_alloc(struct completion_table *t, uint32_t device_id, uint32_t ioctl,
	     uint64_t deadline_ms, uint64_t owner, uint32_t *cid)
{
	struct ct_entry *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct ct_entry *v;

		/* The table can never hold 2^32 ids; refuse long before. */
		if (cap > (1u << 20))
			return -ENOMEM;
		v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	while (find(t, t->next_cid))
		t->next_cid++;
	e = &t->v[t->n++];
	e->cid = t->next_cid++;
	e->device_id = device_id;
	e->ioctl = ioctl;
	e->epoch = t->epoch;
	e->state = CT_OUTSTANDING;
	e->deadline_ms = deadline_ms;
	e->owner = owner;
	t->stats.issued++;
	*cid = e->cid;
	return 0;
}

enum ct_result ct_complete(struct completion_table *t, uint32_t device_id,
			   uint32_t cid, struct ct_entry *out)
{
	struct ct_entry *e = find(t, cid);

	if (!e) {
		t->stats.unknown++;
		return CT_UNKNOWN;
	}
	if (e->device_id != device_id) {
		t->stats.wrong_device++;
		return CT_WRONG_DEVICE;
	}
	if (out)
		*out = *e;
	if (e->state == CT_ABANDONED) {
		t->stats.late++;
		remove_at(t, (size_t)(e - t->v));
		return CT_LATE;
	}
	t->stats.completed++;
	remove_at(t, (size_t)(e - t->v));
	return CT_HIT;
}

int ct_abandon(struct completion_table *t, uint32_t cid)
{
	struct ct_entry *e = find(t, cid);

	if (!e || e->state != CT_OUTSTANDING)
		return -ENOENT;
	e->state = CT_ABANDONED;
	e->owner = 0;
	evict_abandoned(t);
	return 0;
}

size_t ct_abandon_owner(struct completion_table *t, uint64_t owner)
{
	size_t i, c = 0;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].state == CT_OUTSTANDING && t->v[i].owner == owner) {
			t->v[i].state = CT_ABANDONED;
			t->v[i].owner = 0;
			c++;
		}
	}
	evict_abandoned(t);
	return c;
}

void ct_reset(struct completion_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		t->v[i].state = CT_ABANDONED;
		t->v[i].owner = 0;
	}
	t->epoch++;
	evict_abandoned(t);
}

uint64_t ct_next_deadline(const struct completion_table *t)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct ct_entry *e = &t->v[i];

		if (e->state == CT_OUTSTANDING && e->deadline_ms &&
		    (!d || e->deadline_ms < d))
			d = e->deadline_ms;
	}
	return d;
}

int ct_expire_one(struct completion_table *t, uint64_t now, struct ct_entry *out)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct ct_entry *e = &t->v[i];

		if (e->state == CT_OUTSTANDING && e->deadline_ms &&
		    e->deadline_ms <= now) {
			*out = *e;
			e->state = CT_ABANDONED;
			e->owner = 0;
			t->stats.timeouts++;
			evict_abandoned(t);
			return 1;
		}
	}
	return 0;
}
