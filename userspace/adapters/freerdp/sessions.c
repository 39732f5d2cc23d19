// SPDX-License-Identifier: MIT
/*
 * The session registry: every live peer thread, and which session key
 * each one holds.  A key is held by at most one connection: when the same
 * session connects again while the old connection is still up (a client
 * that died without closing its socket, or a user who reconnects from a
 * new window), the new connection asks the old one to stop and waits for
 * it to hand its slots back to the kernel's linger state.  With --sessions
 * the claim is per local user (one vscard session, one agent per user),
 * so a second connection of the same user takes the session over.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "peer.h"

#define TAKEOVER_TIMEOUT_MS	10000

void sessions_init(struct session_registry *r)
{
	pthread_condattr_t a;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&r->changed, &a);
	pthread_condattr_destroy(&a);
}

void sessions_add(struct session_registry *r, struct peer *p)
{
	pthread_mutex_lock(&r->lock);
	p->id = ++r->next_id;
	p->next = r->peers;
	r->peers = p;
	r->count++;
	pthread_mutex_unlock(&r->lock);
}

void sessions_remove(struct session_registry *r, struct peer *p)
{
	struct peer **pp;

	pthread_mutex_lock(&r->lock);
	for (pp = &r->peers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			r->count--;
			break;
		}
	}
	p->key_claimed = false;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

static struct peer *holder_of(struct session_registry *r, const uint8_t *key)
{
	struct peer *q;

	for (q = r->peers; q; q = q->next)
		if (q->key_claimed && !memcmp(q->claim, key, RDPSRV_KEY_LEN))
			return q;
	return NULL;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int sessions_claim(struct session_registry *r, struct peer *p, const uint8_t *key)
{
	struct timespec until;
	struct peer *old;
	int rc = 0;

	deadline_in(&until, TAKEOVER_TIMEOUT_MS);
	pthread_mutex_lock(&r->lock);
	while ((old = holder_of(r, key)) && old != p) {
		srv_log("peer %u: same session as peer %u: taking it over", p->id, old->id);
		SetEvent(old->stop);
		if (pthread_cond_timedwait(&r->changed, &r->lock, &until) == ETIMEDOUT) {
			rc = -1;
			break;
		}
	}
	if (!rc) {
		memcpy(p->claim, key, RDPSRV_KEY_LEN);
		p->key_claimed = true;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void sessions_release(struct session_registry *r, struct peer *p)
{
	pthread_mutex_lock(&r->lock);
	p->key_claimed = false;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

void sessions_stop_all(struct session_registry *r)
{
	struct peer *q;

	pthread_mutex_lock(&r->lock);
	for (q = r->peers; q; q = q->next)
		SetEvent(q->stop);
	pthread_mutex_unlock(&r->lock);
}

bool sessions_wait_empty(struct session_registry *r, int timeout_ms)
{
	struct timespec until;
	bool empty;

	deadline_in(&until, timeout_ms);
	pthread_mutex_lock(&r->lock);
	while (r->count &&
	       pthread_cond_timedwait(&r->changed, &r->lock, &until) != ETIMEDOUT)
		;
	empty = !r->count;
	pthread_mutex_unlock(&r->lock);
	return empty;
}
