// SPDX-License-Identifier: MIT
/*
 * The smart-card client side of RDPESC: sending IOCTLs with deadlines,
 * dispatching completions to their owner, and the monitoring context that
 * follows remote readers and cards with GetStatusChangeW.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include <rdpcodec/text.h>

#define PNP_NAME		"\\\\?PnP?\\Notification"
#define BACKOFF_MS		1000
#define QUIET_RETURNS_MAX	3

int scard_send(struct agent *a, uint64_t owner, uint32_t ioctl,
	       struct bytebuf *in, uint32_t out_len, uint32_t timeout_ms,
	       uint32_t *cid)
{
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
	uint32_t dummy;

	if (out_len < 2048)
		out_len = 2048;
	return rdpdr_ioctl(a, ioctl, in, out_len, deadline, owner,
			   cid ? cid : &dummy);
}

/* Cancel on a context: its own CompletionId, nobody waits for the reply. */
void scard_cancel_context(struct agent *a, uint64_t owner,
			  const struct esc_blob *ctx)
{
	struct bytebuf b;
	uint32_t cid;

	bb_init(&b);
	esc_enc_context(&b, ctx);
	if (scard_send(a, owner, SCARD_IOCTL_CANCEL, &b, 0,
		       a->cfg.call_timeout_ms, &cid) == 0) {
		a->stats.cancels_sent++;
		log_info("scard: Cancel sent (CompletionId %u)", cid);
	}
	bb_free(&b);
}

/* ---- monitor --------------------------------------------------------- */

static void mon_backoff(struct agent *a, bool relist)
{
	struct monitor *m = &a->mon;

	m->state = MON_BACKOFF;
	m->relist = m->relist || relist;
	m->backoff_until = now_ms() + BACKOFF_MS;
}

static void mon_establish(struct agent *a)
{
	struct monitor *m = &a->mon;
	struct bytebuf b;

	bb_init(&b);
	esc_enc_establish(&b, SCARD_SCOPE_SYSTEM);
	if (scard_send(a, MONITOR_OWNER, SCARD_IOCTL_ESTABLISHCONTEXT, &b, 0,
		       a->cfg.call_timeout_ms, NULL) == 0)
		m->state = MON_ESTABLISH;
	else
		mon_backoff(a, true);
	bb_free(&b);
}

static void mon_list(struct agent *a)
{
	struct monitor *m = &a->mon;
	struct bytebuf b;

	bb_init(&b);
	esc_enc_list_readers_w(&b, &m->ctx);
	m->relist = false;
	if (scard_send(a, MONITOR_OWNER, SCARD_IOCTL_LISTREADERSW, &b, 0,
		       a->cfg.call_timeout_ms, NULL) == 0)
		m->state = MON_LIST;
	else
		mon_backoff(a, true);
	bb_free(&b);
}

static void mon_gsc(struct agent *a)
{
	struct monitor *m = &a->mon;
	struct esc_call_state st[ESC_STATES_MAX];
	struct reader *r;
	uint32_t n = 1;
	struct bytebuf b;

	st[0].name = PNP_NAME;
	st[0].cur = m->pnp_count << 16;
	m->gsc_uid[0] = 0;
	for (r = a->readers; r && n < ESC_STATES_MAX; r = r->next) {
		if (!r->listed)
			continue;
		st[n].name = r->name;
		st[n].cur = r->gsc_state;
		m->gsc_uid[n] = r->uid;
		n++;
	}
	m->gsc_n = n;
	bb_init(&b);
	esc_enc_gsc_w(&b, &m->ctx, SCARD_INFINITE, st, n);
	/* No deadline: the monitor is cancel-driven. */
	if (scard_send(a, MONITOR_OWNER, SCARD_IOCTL_GETSTATUSCHANGEW, &b,
		       16 + 16 + 48 * n, 0, &m->gsc_cid) == 0) {
		m->state = MON_GSC;
		m->gsc_pending = true;
	} else {
		mon_backoff(a, false);
	}
	bb_free(&b);
}

void scard_device_ready(struct agent *a)
{
	struct bytebuf b;

	memset(&a->mon, 0, sizeof(a->mon));
	/* Service probe: asynchronous, the answer is only logged. */
	bb_init(&b);
	esc_enc_access_started(&b);
	scard_send(a, MONITOR_OWNER, SCARD_IOCTL_ACCESSSTARTEDEVENT, &b, 0,
		   a->cfg.call_timeout_ms, NULL);
	bb_free(&b);
	mon_establish(a);
}

void scard_device_gone(struct agent *a, const char *why)
{
	/*
	 * The client drops every context of a removed device itself; we
	 * only forget ours, fail local requests and drop late replies.
	 */
	log_info("scard: device gone (%s)", why);
	ct_reset(&a->ct);
	memset(&a->mon, 0, sizeof(a->mon));
	rm_remote_lost(a, a->cfg.linger_ms);
}

static bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void parse_reader_list(struct agent *a, const struct esc_return *ret)
{
	char names[READERS_MAX][VSCARD_NAME_MAX];
	struct rdp_msz m = { .p = ret->names, .len = ret->names_len };
	const char *name;
	size_t n = 0, pos = 0;

	while ((name = rdp_msz_next(&m, &pos))) {
		if (n == READERS_MAX) {
			log_warn("scard: more than %d remote readers, extra ones ignored",
				 READERS_MAX);
			break;
		}
		if (strlen(name) >= VSCARD_NAME_MAX || has_control_chars(name)) {
			log_warn("scard: unusable remote reader name ignored");
			continue;
		}
		snprintf(names[n++], VSCARD_NAME_MAX, "%s", name);
	}
	rm_update_list(a, names, n);
}

static void mon_gsc_done(struct agent *a, const struct esc_return *ret)
{
	struct monitor *m = &a->mon;
	bool changed = false;
	struct reader *r;
	uint32_t i;

	m->gsc_pending = false;
	if (ret->rc == SCARD_E_CANCELLED) {
		log_debug("scard: monitor GetStatusChange cancelled");
		mon_backoff(a, true);
		return;
	}
	if (ret->rc != SCARD_S_SUCCESS && ret->rc != SCARD_E_TIMEOUT) {
		log_info("scard: monitor GetStatusChange rc 0x%08x, relisting", ret->rc);
		mon_backoff(a, true);
		return;
	}
	if (ret->rc == SCARD_S_SUCCESS && ret->n_states >= 1) {
		const struct esc_state *pnp = &ret->states[0];

		if ((pnp->ev >> 16) != m->pnp_count || (pnp->ev & SCARD_STATE_CHANGED)) {
			m->pnp_count = pnp->ev >> 16;
			m->relist = true;
			changed = true;
		}
		for (i = 1; i < ret->n_states && i < m->gsc_n; i++) {
			const struct esc_state *s = &ret->states[i];

			r = rm_find_uid(a, m->gsc_uid[i]);
			if (!r)
				continue;
			if ((s->ev & ~(uint32_t)SCARD_STATE_CHANGED) !=
			    (r->gsc_state & ~(uint32_t)SCARD_STATE_CHANGED))
				changed = true;
			rm_card_event(a, r, s->ev, s->atr, s->atr_len);
		}
	}
	if (m->relist) {
		mon_list(a);
		return;
	}
	if (!changed && ++m->quiet_returns >= QUIET_RETURNS_MAX) {
		/* A client that returns at once without a change: slow down. */
		m->quiet_returns = 0;
		mon_backoff(a, false);
		return;
	}
	if (changed)
		m->quiet_returns = 0;
	mon_gsc(a);
}

static void mon_completion(struct agent *a, const struct ct_entry *e,
			   uint32_t io_status, const struct esc_return *ret,
			   int dec_err)
{
	struct monitor *m = &a->mon;
	bool failed = io_status != 0 || dec_err;

	switch (e->ioctl) {
	case SCARD_IOCTL_ACCESSSTARTEDEVENT:
		log_info("scard: AccessStartedEvent io 0x%08x rc 0x%08x",
			 io_status, failed ? 0 : ret->rc);
		return;
	case SCARD_IOCTL_CANCEL:
		log_debug("scard: monitor Cancel done rc 0x%08x", ret->rc);
		return;
	case SCARD_IOCTL_ESTABLISHCONTEXT:
		if (failed || ret->rc != 0 || ret->ctx.len == 0) {
			log_warn("scard: monitor EstablishContext failed (io 0x%08x rc 0x%08x)",
				 io_status, failed ? 0 : ret->rc);
			mon_backoff(a, true);
			m->have_ctx = false;
			return;
		}
		m->ctx = ret->ctx;
		m->have_ctx = true;
		log_info("scard: monitor context established (%u bytes)", m->ctx.len);
		mon_list(a);
		return;
	case SCARD_IOCTL_LISTREADERSW:
		if (failed) {
			mon_backoff(a, true);
			return;
		}
		if (ret->rc == SCARD_E_NO_READERS_AVAILABLE) {
			rm_update_list(a, NULL, 0);
		} else if (ret->rc != 0) {
			log_warn("scard: ListReadersW rc 0x%08x", ret->rc);
			if (ret->rc == SCARD_E_INVALID_HANDLE ||
			    ret->rc == SCARD_E_NO_SERVICE ||
			    ret->rc == SCARD_E_SERVICE_STOPPED) {
				m->have_ctx = false;
				m->state = MON_BACKOFF;
				m->backoff_until = now_ms() + BACKOFF_MS;
				return;
			}
			mon_backoff(a, true);
			return;
		} else {
			parse_reader_list(a, ret);
		}
		m->pnp_count = 0;
		for (struct reader *r = a->readers; r; r = r->next)
			m->pnp_count += r->listed;
		mon_gsc(a);
		return;
	case SCARD_IOCTL_GETSTATUSCHANGEW:
		if (failed) {
			m->gsc_pending = false;
			mon_backoff(a, true);
			return;
		}
		mon_gsc_done(a, ret);
		return;
	default:
		log_debug("scard: monitor %s done", esc_ioctl_name(e->ioctl));
		return;
	}
}

void scard_completion(struct agent *a, const struct ct_entry *e,
		      uint32_t io_status, const uint8_t *out, size_t out_len)
{
	size_t arena_len = RDP_ARENA_FOR(out_len);
	void *arena = malloc(arena_len);
	struct esc_return ret;
	int dec_err = 0;
	struct reader *r;

	memset(&ret, 0, sizeof(ret));
	if (!arena) {
		log_err("scard: out of memory");
		io_status = RDP_STATUS_NO_MEMORY;
	}
	if (io_status == 0) {
		dec_err = esc_dec_return(e->ioctl, out, out_len, &ret, arena, arena_len);
		if (dec_err) {
			log_warn("scard: malformed %s return (%zu bytes)",
				 esc_ioctl_name(e->ioctl), out_len);
			a->stats.frames_bad++;
		}
	} else {
		log_info("scard: %s failed with IoStatus 0x%08x",
			 esc_ioctl_name(e->ioctl), io_status);
	}
	log_debug("scard: <- %s CompletionId %u rc 0x%08x", esc_ioctl_name(e->ioctl),
		  e->cid, ret.rc);
	if (e->owner == MONITOR_OWNER) {
		mon_completion(a, e, io_status, &ret, dec_err);
	} else if ((r = rm_find_uid(a, e->owner))) {
		rm_completion(a, r, e, io_status, &ret, dec_err);
	} else {
		log_debug("scard: %s completion with no owner (fire and forget)",
			  esc_ioctl_name(e->ioctl));
	}
	free(arena);
}

void scard_timeout(struct agent *a, const struct ct_entry *e)
{
	struct reader *r;

	log_warn("scard: %s CompletionId %u timed out; id kept reserved",
		 esc_ioctl_name(e->ioctl), e->cid);
	if (e->owner == MONITOR_OWNER) {
		if (e->ioctl == SCARD_IOCTL_ESTABLISHCONTEXT ||
		    e->ioctl == SCARD_IOCTL_LISTREADERSW)
			mon_backoff(a, true);
		return;
	}
	r = rm_find_uid(a, e->owner);
	if (r)
		rm_job_timeout(a, r, e);
}

/*
 * Leaving while the client is still there: cancel the monitor's pending
 * GetStatusChange and release every context we own.  Releasing an I/O
 * context also disconnects its handle and ends its transaction, so the
 * remote user is never left with a card locked by a dead agent.  Nobody
 * waits for the replies.
 */
void scard_teardown(struct agent *a)
{
	struct reader *r;
	struct bytebuf b;

	if (!a->rdpdr.have_scard)
		return;
	bb_init(&b);
	if (a->mon.have_ctx) {
		if (a->mon.gsc_pending)
			scard_cancel_context(a, 0, &a->mon.ctx);
		esc_enc_context(&b, &a->mon.ctx);
		scard_send(a, 0, SCARD_IOCTL_RELEASECONTEXT, &b, 0, 0, NULL);
		bb_reset(&b);
		a->mon.have_ctx = false;
	}
	for (r = a->readers; r; r = r->next) {
		if (!r->have_ctx)
			continue;
		if (r->busy)
			scard_cancel_context(a, 0, &r->ctx);
		esc_enc_context(&b, &r->ctx);
		scard_send(a, 0, SCARD_IOCTL_RELEASECONTEXT, &b, 0, 0, NULL);
		bb_reset(&b);
		r->have_ctx = r->have_handle = r->in_txn = false;
	}
	bb_free(&b);
	log_info("scard: remote contexts released");
}

uint64_t scard_next_deadline(const struct agent *a)
{
	return a->mon.state == MON_BACKOFF ? a->mon.backoff_until : 0;
}

void scard_tick(struct agent *a, uint64_t now)
{
	struct monitor *m = &a->mon;

	if (m->state != MON_BACKOFF || now < m->backoff_until)
		return;
	if (!a->rdpdr.have_scard) {
		m->state = MON_IDLE;
		return;
	}
	if (!m->have_ctx)
		mon_establish(a);
	else if (m->relist)
		mon_list(a);
	else
		mon_gsc(a);
}
