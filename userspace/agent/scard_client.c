// SPDX-License-Identifier: MIT
/*
 * The smart-card client side of RDPESC: sending IOCTLs with deadlines,
 * dispatching completions to their owner, the ledger of what the client
 * holds for us, and the monitoring context that follows remote readers
 * and cards with GetStatusChangeW (scard_client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/text.h>

#include "evloop.h"
#include "log.h"
#include "scard_client.h"

#define PNP_NAME		"\\\\?PnP?\\Notification"
#define QUIET_RETURNS_MAX	3

/*
 * Retries of the monitor's calls (EstablishContext, ListReadersW and
 * GetStatusChangeW that fail, time out or return what cannot be decoded):
 * the first retry after RETRY_BASE_MS, each further consecutive failure
 * doubles the wait up to RETRY_CAP_MS, and after RETRY_MAX consecutive
 * failures the agent says so once and stops calling the client until its
 * smart-card device is announced again.  With the defaults that is 8
 * attempts in about 2 minutes (1+2+4+...+32+60 s), not one a second for
 * ever.  The count restarts only once the monitor is seen working (a
 * GetStatusChange answered, or one that stayed armed for RETRY_CAP_MS).
 * --retry BASE_MS,CAP_MS,MAX overrides the three (main.c, vscard-agent(8)).
 */
struct retry_policy {
	uint32_t base_ms, cap_ms, max;
};

static struct retry_policy retry_policy(const struct scard_client *sc)
{
	if (!sc->cfg.retry_max)		/* a harness without main.c */
		return (struct retry_policy){ RETRY_BASE_MS, RETRY_CAP_MS, RETRY_MAX };
	return (struct retry_policy){ sc->cfg.retry_base_ms, sc->cfg.retry_cap_ms,
				      sc->cfg.retry_max };
}

static bool blob_eq(const struct esc_blob *x, const struct esc_blob *y)
{
	return x->len == y->len && !memcmp(x->b, y->b, x->len);
}

/* ---- the ledger (scard_client.h) ------------------------------------ */

static uint32_t led_used(const struct led_entry *v, size_t n)
{
	uint32_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += v[i].used;
	return k;
}

void scard_ledger_counts(const struct scard_client *sc, uint32_t *ctx, uint32_t *handles)
{
	*ctx = led_used(sc->led.ctx, CLIENT_CTX_MAX);
	*handles = led_used(sc->led.h, CLIENT_HANDLES_MAX);
}

/* The client dropped everything (device removed, channel reset). */
static void ledger_clear(struct scard_client *sc)
{
	struct ledger *l = &sc->led;

	memset(l->ctx, 0, sizeof(l->ctx));
	memset(l->h, 0, sizeof(l->h));
	l->full_said = false;
}

static struct led_entry *led_free_slot(struct led_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!v[i].used)
			return &v[i];
	return NULL;
}

static struct led_entry *led_find_ctx(struct scard_client *sc, const struct esc_blob *ctx)
{
	size_t i;

	for (i = 0; i < CLIENT_CTX_MAX; i++)
		if (sc->led.ctx[i].used && sc->led.ctx[i].named &&
		    blob_eq(&sc->led.ctx[i].ctx, ctx))
			return &sc->led.ctx[i];
	return NULL;
}

static struct led_entry *led_find_handle(struct scard_client *sc, const struct esc_handle *h)
{
	size_t i;

	for (i = 0; i < CLIENT_HANDLES_MAX; i++)
		if (sc->led.h[i].used && sc->led.h[i].named &&
		    blob_eq(&sc->led.h[i].ctx, &h->ctx) &&
		    blob_eq(&sc->led.h[i].card, &h->card))
			return &sc->led.h[i];
	return NULL;
}

static struct led_entry *led_find_cid(struct led_entry *v, size_t n, uint32_t cid,
				      bool release)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i].used)
			continue;
		if (release ? v[i].releasing && v[i].rel_cid == cid
			    : v[i].pending && v[i].cid == cid)
			return &v[i];
	}
	return NULL;
}

static void led_drop(struct scard_client *sc, struct led_entry *e)
{
	memset(e, 0, sizeof(*e));
	sc->led.full_said = false;
}

/* A context went on the client: its handles went with it. */
static void led_ctx_gone(struct scard_client *sc, struct led_entry *e)
{
	struct esc_blob ctx = e->ctx;
	size_t i;

	led_drop(sc, e);
	for (i = 0; i < CLIENT_HANDLES_MAX; i++)
		if (sc->led.h[i].used && blob_eq(&sc->led.h[i].ctx, &ctx))
			led_drop(sc, &sc->led.h[i]);
}

static void led_refuse(struct scard_client *sc, const char *what, uint32_t max)
{
	sc->led.refused++;
	if (!sc->led.full_said)
		log_warn("scard: the client may hold %u %s of ours (the bound): "
			 "no new one until it confirms a release", max, what);
	sc->led.full_said = true;
}

/* Before sending: room for what the call may create?  0 or -EMFILE. */
static int led_check(struct scard_client *sc, uint32_t ioctl)
{
	if (ioctl == SCARD_IOCTL_ESTABLISHCONTEXT &&
	    !led_free_slot(sc->led.ctx, CLIENT_CTX_MAX)) {
		led_refuse(sc, "contexts", CLIENT_CTX_MAX);
		return -EMFILE;
	}
	if (ioctl == SCARD_IOCTL_CONNECTW &&
	    !led_free_slot(sc->led.h, CLIENT_HANDLES_MAX)) {
		led_refuse(sc, "card handles", CLIENT_HANDLES_MAX);
		return -EMFILE;
	}
	return 0;
}

/* After sending. */
static void led_sent(struct scard_client *sc, uint32_t ioctl, const struct esc_handle *subj,
		     uint32_t cid)
{
	struct ledger *l = &sc->led;
	struct led_entry *e;
	uint32_t n, m;

	switch (ioctl) {
	case SCARD_IOCTL_ESTABLISHCONTEXT:
		e = led_free_slot(l->ctx, CLIENT_CTX_MAX);
		if (e)
			*e = (struct led_entry){ .used = true, .pending = true, .cid = cid };
		break;
	case SCARD_IOCTL_CONNECTW:
		e = led_free_slot(l->h, CLIENT_HANDLES_MAX);
		if (e) {
			*e = (struct led_entry){ .used = true, .pending = true, .cid = cid };
			if (subj)
				e->ctx = subj->ctx;
		}
		break;
	case SCARD_IOCTL_RELEASECONTEXT:
		if (subj && (e = led_find_ctx(sc, &subj->ctx))) {
			e->releasing = true;
			e->rel_cid = cid;
		}
		break;
	case SCARD_IOCTL_DISCONNECT:
		if (subj && (e = led_find_handle(sc, subj))) {
			e->releasing = true;
			e->rel_cid = cid;
		}
		break;
	default:
		break;
	}
	/* A call on a context: no ReleaseContext overtakes it (below). */
	if (subj && ioctl != SCARD_IOCTL_ESTABLISHCONTEXT && ioctl != SCARD_IOCTL_CANCEL &&
	    ioctl != SCARD_IOCTL_RELEASECONTEXT && (e = led_find_ctx(sc, &subj->ctx))) {
		e->busy = true;
		e->busy_cid = cid;
	}
	scard_ledger_counts(sc, &n, &m);
	if (n > l->ctx_peak)
		l->ctx_peak = n;
	if (m > l->h_peak)
		l->h_peak = m;
}

/* ReleaseContext on the client now; nobody waits for the reply. */
static void send_release(struct scard_client *sc, const struct esc_blob *ctx)
{
	struct esc_handle subj = { .ctx = *ctx };
	struct bytebuf b;

	bb_init(&b);
	esc_enc_context(&b, ctx);
	if (scard_send(sc, 0, SCARD_IOCTL_RELEASECONTEXT, &b, 0,
		       sc->cfg.call_timeout_ms, &subj, NULL) == 0)
		log_debug("scard: ReleaseContext sent (%u-byte context)", ctx->len);
	bb_free(&b);
}

/* Disconnect(LEAVE_CARD) on the client; nobody waits for the reply. */
void scard_disconnect(struct scard_client *sc, const struct esc_handle *h)
{
	struct bytebuf b;

	bb_init(&b);
	esc_enc_hcard_disp(&b, h, SCARD_LEAVE_CARD);
	if (scard_send(sc, 0, SCARD_IOCTL_DISCONNECT, &b, 0,
		       sc->cfg.call_timeout_ms, h, NULL) == 0)
		log_debug("scard: Disconnect sent (%u-byte handle)", h->card.len);
	bb_free(&b);
}

/*
 * ReleaseContext on a context with a call of ours still unanswered waits
 * for that call's reply, in time or late.  On the client, pcsc-lite's
 * SCardReleaseContext holds the library's global lock while it waits for
 * the context's lock, which the unanswered call keeps (a Transmit to a
 * card that does not answer, a BeginTransaction waiting for another
 * program's transaction, a GetStatusChange), and rdesktop runs every
 * EstablishContext and ReleaseContext on one queue thread: a release sent
 * at once could hang the client's smart-card service for this session.
 * A call that is never answered keeps its context, counted in the ledger,
 * until the device or the channel goes.  Leaving (scard_teardown())
 * releases everything after its own wait.
 */
void scard_release_context(struct scard_client *sc, const struct esc_blob *ctx)
{
	struct led_entry *e = led_find_ctx(sc, ctx);

	if (e && e->busy && !sc->leave.on) {
		e->release_after = true;
		log_debug("scard: ReleaseContext waits for CompletionId %u on its context",
			  e->busy_cid);
		return;
	}
	send_release(sc, ctx);
}

/* The reply to @cid came (in time or late): a release it held goes out. */
static void led_call_done(struct scard_client *sc, uint32_t cid)
{
	struct led_entry *e;
	size_t i;

	for (i = 0; i < CLIENT_CTX_MAX; i++) {
		e = &sc->led.ctx[i];
		if (!e->used || !e->busy || e->busy_cid != cid)
			continue;
		e->busy = false;
		if (e->release_after) {
			e->release_after = false;
			send_release(sc, &e->ctx);
		}
	}
}

/*
 * A reply (in time or late) to a call the ledger follows.  @ret is valid
 * when !io_status && !dec_err.
 */
static void led_reply(struct scard_client *sc, const struct ct_entry *ce, uint32_t io_status,
		      const struct esc_return *ret, int dec_err,
		      const uint8_t *out, size_t out_len)
{
	bool ok = !io_status && !dec_err;
	struct esc_handle h;
	struct led_entry *e;

	switch (ce->ioctl) {
	case SCARD_IOCTL_ESTABLISHCONTEXT:
		e = led_find_cid(sc->led.ctx, CLIENT_CTX_MAX, ce->cid, false);
		if (!e)
			return;
		e->pending = false;
		if (io_status || (ok && (ret->rc != 0 || !ret->ctx.len))) {
			led_drop(sc, e);		/* the client created none */
			return;
		}
		if (ok) {
			e->ctx = ret->ctx;
			e->named = true;
		} else if (out && !esc_salvage_context(out, out_len, &h.ctx)) {
			e->ctx = h.ctx;
			e->named = true;
		}
		/* else: unnamed, counted until the device or channel goes */
		if (e->named) {
			e->named = false;
			if (led_find_ctx(sc, &e->ctx))
				led_drop(sc, e);	/* the same context twice */
			else
				e->named = true;
		}
		return;
	case SCARD_IOCTL_CONNECTW:
		e = led_find_cid(sc->led.h, CLIENT_HANDLES_MAX, ce->cid, false);
		if (!e)
			return;
		e->pending = false;
		if (io_status || (ok && (ret->rc != 0 || !ret->card.len))) {
			led_drop(sc, e);
		} else if (ok) {
			e->card = ret->card;
			e->named = true;
		} else if (out && !esc_salvage_handle(out, out_len, &h)) {
			/* Rejected reply, real handle: disconnect it at once. */
			if (!h.ctx.len)
				h.ctx = e->ctx;	/* rdesktop: empty, ours */
			e->ctx = h.ctx;
			e->card = h.card;
			e->named = true;
			log_info("scard: the rejected ConnectW reply still names a handle: "
				 "disconnecting it");
			scard_disconnect(sc, &h);
		}
		return;
	case SCARD_IOCTL_RELEASECONTEXT:
		e = led_find_cid(sc->led.ctx, CLIENT_CTX_MAX, ce->cid, true);
		if (!e)
			return;
		if (ok && (ret->rc == 0 || ret->rc == SCARD_E_INVALID_HANDLE))
			led_ctx_gone(sc, e);
		else
			e->releasing = false;	/* still there: released again later */
		return;
	case SCARD_IOCTL_DISCONNECT:
		e = led_find_cid(sc->led.h, CLIENT_HANDLES_MAX, ce->cid, true);
		if (!e)
			return;
		if (ok && (ret->rc == 0 || ret->rc == SCARD_E_INVALID_HANDLE))
			led_drop(sc, e);
		else
			e->releasing = false;
		return;
	default:
		return;
	}
}

int scard_send(struct scard_client *sc, uint64_t owner, uint32_t ioctl,
	       struct bytebuf *in, uint32_t out_len, uint32_t timeout_ms,
	       const struct esc_handle *subj, uint32_t *cid)
{
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
	uint32_t dummy;
	int ret;

	if (!cid)
		cid = &dummy;
	if (sc->leave.on && ioctl != SCARD_IOCTL_CANCEL &&
	    ioctl != SCARD_IOCTL_RELEASECONTEXT && ioctl != SCARD_IOCTL_DISCONNECT)
		return -ESHUTDOWN;
	if (out_len < 2048)
		out_len = 2048;
	ret = led_check(sc, ioctl);
	if (ret)
		return ret;
	ret = rdpdr_io_ioctl(sc->io, ioctl, in, out_len, deadline, owner, cid);
	if (ret == 0)
		led_sent(sc, ioctl, subj, *cid);
	return ret;
}

/* Cancel on a context: its own CompletionId, nobody waits for the reply. */
void scard_cancel_context(struct scard_client *sc, uint64_t owner,
			  const struct esc_blob *ctx)
{
	struct bytebuf b;
	uint32_t cid;

	bb_init(&b);
	esc_enc_context(&b, ctx);
	if (scard_send(sc, owner, SCARD_IOCTL_CANCEL, &b, 0,
		       sc->cfg.call_timeout_ms, NULL, &cid) == 0) {
		sc->stats.cancels_sent++;
		log_info("scard: Cancel sent (CompletionId %u)", cid);
	}
	bb_free(&b);
}

/* ---- monitor --------------------------------------------------------- */

/* Wait @ms, then relist or re-arm (scard_tick()). */
static void mon_wait(struct scard_client *sc, bool relist, uint32_t ms)
{
	struct monitor *m = &sc->mon;

	m->state = MON_BACKOFF;
	m->relist = m->relist || relist;
	m->backoff_until = now_ms() + ms;
}

/* The monitor stops using its context: the client is told to release it. */
static void mon_drop_ctx(struct scard_client *sc)
{
	struct monitor *m = &sc->mon;

	if (m->have_ctx)
		scard_release_context(sc, &m->ctx);
	m->have_ctx = false;
	m->gsc_pending = false;
}

/*
 * Too many failures in a row: stop calling the client (one error line)
 * until the device is announced again.  The monitor's context is released;
 * without a monitor the remote readers' state cannot be followed, so they
 * go too (reader_free() releases their I/O contexts on the client).
 */
static void mon_give_up(struct scard_client *sc, const char *why)
{
	struct monitor *m = &sc->mon;

	log_warn("scard: the client's smart-card service failed %u times in a row "
		"(last: %s); giving up until the smart-card device is announced again",
		m->failures, why);
	mon_drop_ctx(sc);
	m->state = MON_GAVE_UP;
	sc->stats.monitor_gave_up++;
	m->relist = false;
	sc->ev->readers_listed(sc->ev_ctx, NULL, 0);
}

/*
 * A monitor call failed: retry after an exponential backoff, or give up
 * after the last allowed attempt.
 */
static void mon_retry(struct scard_client *sc, bool relist, const char *why)
{
	struct retry_policy p = retry_policy(sc);
	struct monitor *m = &sc->mon;
	uint32_t ms = p.base_ms;
	uint32_t i;

	if (m->failures < UINT32_MAX)
		m->failures++;
	if (m->failures >= p.max) {
		mon_give_up(sc, why);
		return;
	}
	for (i = 1; i < m->failures && ms < p.cap_ms; i++)
		ms = ms > p.cap_ms / 2 ? p.cap_ms : ms * 2;
	log_info("scard: %s; retry %u of %u in %u ms", why, m->failures, p.max - 1, ms);
	mon_wait(sc, relist, ms);
}

static void mon_establish(struct scard_client *sc)
{
	struct monitor *m = &sc->mon;
	struct bytebuf b;

	bb_init(&b);
	esc_enc_establish(&b, SCARD_SCOPE_SYSTEM);
	if (scard_send(sc, SCARD_OWNER_MONITOR, SCARD_IOCTL_ESTABLISHCONTEXT, &b, 0,
		       sc->cfg.call_timeout_ms, NULL, NULL) == 0)
		m->state = MON_ESTABLISH;
	else
		mon_retry(sc, true, "EstablishContext not sent");
	bb_free(&b);
}

static void mon_list(struct scard_client *sc)
{
	struct monitor *m = &sc->mon;
	struct esc_handle subj = { .ctx = m->ctx };
	struct bytebuf b;

	bb_init(&b);
	esc_enc_list_readers_w(&b, &m->ctx);
	m->relist = false;
	if (scard_send(sc, SCARD_OWNER_MONITOR, SCARD_IOCTL_LISTREADERSW, &b, 0,
		       sc->cfg.call_timeout_ms, &subj, NULL) == 0)
		m->state = MON_LIST;
	else
		mon_retry(sc, true, "ListReadersW not sent");
	bb_free(&b);
}

static void mon_gsc(struct scard_client *sc)
{
	struct monitor *m = &sc->mon;
	struct esc_call_state st[ESC_STATES_MAX];
	struct esc_handle subj = { .ctx = m->ctx };
	uint32_t n;
	struct bytebuf b;

	st[0].name = PNP_NAME;
	st[0].cur = m->pnp_count << 16;
	m->gsc_owner[0] = 0;
	n = 1 + (uint32_t)sc->ev->watch(sc->ev_ctx, st + 1, m->gsc_owner + 1,
					ESC_STATES_MAX - 1);
	m->gsc_n = n;
	bb_init(&b);
	esc_enc_gsc_w(&b, &m->ctx, SCARD_INFINITE, st, n);
	/* No deadline: the monitor is cancel-driven. */
	if (scard_send(sc, SCARD_OWNER_MONITOR, SCARD_IOCTL_GETSTATUSCHANGEW, &b,
		       16 + 16 + 48 * n, 0, &subj, &m->gsc_cid) == 0) {
		m->state = MON_GSC;
		m->gsc_pending = true;
		m->gsc_since = now_ms();
	} else {
		mon_retry(sc, false, "GetStatusChangeW not sent");
	}
	bb_free(&b);
}

static void device_ready(void *arg)
{
	struct scard_client *sc = arg;
	struct bytebuf b;

	memset(&sc->mon, 0, sizeof(sc->mon));
	if (sc->leave.on)
		return;		/* a device announced while we leave: unused */
	/* Service probe: asynchronous, the answer is only logged. */
	bb_init(&b);
	esc_enc_access_started(&b);
	scard_send(sc, SCARD_OWNER_MONITOR, SCARD_IOCTL_ACCESSSTARTEDEVENT, &b, 0,
		   sc->cfg.call_timeout_ms, NULL, NULL);
	bb_free(&b);
	mon_establish(sc);
}

static void device_gone(void *arg, const char *why)
{
	struct scard_client *sc = arg;

	/*
	 * The client drops every context of a removed device (or of a reset
	 * channel) itself; we only forget ours: local requests already
	 * failed (rdpdr_io.c), late replies are dropped.
	 */
	log_info("scard: device gone (%s)", why);
	ledger_clear(sc);
	memset(&sc->mon, 0, sizeof(sc->mon));
	sc->ev->remote_lost(sc->ev_ctx);
}

static bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Returns how many readers are listed now. */
static uint32_t parse_reader_list(struct scard_client *sc, const struct esc_return *ret)
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
	return (uint32_t)sc->ev->readers_listed(sc->ev_ctx, names, n);
}

static void mon_gsc_done(struct scard_client *sc, const struct esc_return *ret)
{
	struct monitor *m = &sc->mon;
	bool changed = false;
	char why[80];
	uint32_t i;

	m->gsc_pending = false;
	if (ret->rc == SCARD_E_CANCELLED) {
		mon_retry(sc, true, "monitor GetStatusChange cancelled by the client");
		return;
	}
	if (ret->rc != SCARD_S_SUCCESS && ret->rc != SCARD_E_TIMEOUT) {
		snprintf(why, sizeof(why), "monitor GetStatusChange rc 0x%08x", ret->rc);
		mon_retry(sc, true, why);
		return;
	}
	m->failures = 0;	/* an answer: the monitor works */
	if (ret->rc == SCARD_S_SUCCESS && ret->n_states >= 1) {
		const struct esc_state *pnp = &ret->states[0];

		if ((pnp->ev >> 16) != m->pnp_count || (pnp->ev & SCARD_STATE_CHANGED)) {
			m->pnp_count = pnp->ev >> 16;
			m->relist = true;
			changed = true;
		}
		for (i = 1; i < ret->n_states && i < m->gsc_n; i++) {
			const struct esc_state *s = &ret->states[i];

			if (sc->ev->card_event(sc->ev_ctx, m->gsc_owner[i], s->ev,
					       s->atr, s->atr_len))
				changed = true;
		}
	}
	if (m->relist) {
		mon_list(sc);
		return;
	}
	if (!changed && ++m->quiet_returns >= QUIET_RETURNS_MAX) {
		/* A client that returns at once without a change: slow down. */
		m->quiet_returns = 0;
		mon_wait(sc, false, retry_policy(sc).base_ms);
		return;
	}
	if (changed)
		m->quiet_returns = 0;
	mon_gsc(sc);
}

/*
 * A completion of the monitor.  Returns true if the monitor took the
 * context of an EstablishContext reply (it releases it itself from then
 * on); any other context the client created is released by the caller.
 */
static bool mon_completion(struct scard_client *sc, const struct ct_entry *e,
			   uint32_t io_status, const struct esc_return *ret,
			   int dec_err)
{
	struct monitor *m = &sc->mon;
	bool failed = io_status != 0 || dec_err;
	char why[96];

	switch (e->ioctl) {
	case SCARD_IOCTL_ACCESSSTARTEDEVENT:
		log_info("scard: AccessStartedEvent io 0x%08x rc 0x%08x",
			 io_status, failed ? 0 : ret->rc);
		return false;
	case SCARD_IOCTL_CANCEL:
		log_debug("scard: monitor Cancel done rc 0x%08x", ret->rc);
		return false;
	case SCARD_IOCTL_ESTABLISHCONTEXT:
		if (m->state != MON_ESTABLISH || m->have_ctx) {
			/* Not the attempt in progress: never overwrite a context. */
			log_debug("scard: stray monitor EstablishContext reply");
			return false;
		}
		if (failed || ret->rc != 0 || ret->ctx.len == 0) {
			snprintf(why, sizeof(why),
				 "monitor EstablishContext failed (io 0x%08x rc 0x%08x%s)",
				 io_status, failed ? 0 : ret->rc,
				 dec_err ? ", reply not decodable" : "");
			mon_retry(sc, true, why);
			return false;
		}
		m->ctx = ret->ctx;
		m->have_ctx = true;
		log_info("scard: monitor context established (%u bytes)", m->ctx.len);
		mon_list(sc);
		return true;
	case SCARD_IOCTL_LISTREADERSW:
		if (failed) {
			snprintf(why, sizeof(why), "ListReadersW failed (io 0x%08x%s)",
				 io_status, dec_err ? ", reply not decodable" : "");
			mon_retry(sc, true, why);
			return false;
		}
		if (ret->rc == SCARD_E_NO_READERS_AVAILABLE) {
			m->pnp_count = (uint32_t)sc->ev->readers_listed(sc->ev_ctx,
									NULL, 0);
		} else if (ret->rc != 0) {
			snprintf(why, sizeof(why), "ListReadersW rc 0x%08x", ret->rc);
			if (ret->rc == SCARD_E_INVALID_HANDLE ||
			    ret->rc == SCARD_E_NO_SERVICE ||
			    ret->rc == SCARD_E_SERVICE_STOPPED) {
				/*
				 * The context is dead or its service gone:
				 * start over with a new one.  It is released
				 * all the same (an error reply at worst).
				 */
				mon_drop_ctx(sc);
			}
			mon_retry(sc, true, why);
			return false;
		} else {
			m->pnp_count = parse_reader_list(sc, ret);
		}
		mon_gsc(sc);
		return false;
	case SCARD_IOCTL_GETSTATUSCHANGEW:
		/* Armed that long: the monitor was working, whatever this says. */
		if (now_ms() - m->gsc_since >= retry_policy(sc).cap_ms)
			m->failures = 0;
		if (failed) {
			m->gsc_pending = false;
			snprintf(why, sizeof(why), "monitor GetStatusChange failed (io 0x%08x%s)",
				 io_status, dec_err ? ", reply not decodable" : "");
			mon_retry(sc, true, why);
			return false;
		}
		mon_gsc_done(sc, ret);
		return false;
	default:
		log_debug("scard: monitor %s done", esc_ioctl_name(e->ioctl));
		return false;
	}
}

/*
 * The context an EstablishContext reply gives us, decoded (@ret, when
 * @dec_err is 0) or else salvaged from the raw bytes: a reply we reject may
 * still have created a context on the client, and a server must never make
 * its client leak.  When even the context bytes cannot be decoded
 * (cbContext out of range, the bytes cut off or inconsistent), there is
 * nothing we could name in a ReleaseContext: that context stays with the
 * client until its device or the channel goes.  A non-zero ReturnCode
 * means the client created none.
 */
static bool reply_context(const uint8_t *out, size_t out_len,
			  const struct esc_return *ret, int dec_err,
			  struct esc_blob *ctx)
{
	if (!dec_err) {
		*ctx = ret->ctx;
		return ret->rc == SCARD_S_SUCCESS && ret->ctx.len > 0;
	}
	if (!out || esc_salvage_context(out, out_len, ctx))
		return false;
	log_info("scard: the rejected EstablishContext reply still names a %u-byte context",
		 ctx->len);
	return true;
}

static void completion(void *arg, const struct ct_entry *e, uint32_t io_status,
		       const uint8_t *out, size_t out_len)
{
	struct scard_client *sc = arg;
	size_t arena_len = RDP_ARENA_FOR(out_len);
	void *arena = malloc(arena_len);
	struct esc_return ret;
	struct esc_blob ctx;
	bool created = false, taken = false;
	int dec_err = 0;

	memset(&ret, 0, sizeof(ret));
	if (!arena) {
		log_err("scard: out of memory");
		dec_err = -ENOMEM;	/* undecoded: a context is still salvaged */
	} else if (io_status == 0) {
		dec_err = esc_dec_return(e->ioctl, out, out_len, &ret, arena, arena_len);
		if (dec_err) {
			log_warn("scard: malformed %s return (%zu bytes)",
				 esc_ioctl_name(e->ioctl), out_len);
			sc->stats.frames_bad++;
		}
	} else {
		log_info("scard: %s failed with IoStatus 0x%08x",
			 esc_ioctl_name(e->ioctl), io_status);
	}
	/* With an IoStatus error there is no OutputBuffer, hence no context. */
	if (e->ioctl == SCARD_IOCTL_ESTABLISHCONTEXT && io_status == 0)
		created = reply_context(out, out_len, &ret, dec_err, &ctx);
	led_reply(sc, e, io_status, &ret, dec_err, out, out_len);
	led_call_done(sc, e->cid);
	if (!arena)
		io_status = RDP_STATUS_NO_MEMORY;
	log_debug("scard: <- %s CompletionId %u rc 0x%08x", esc_ioctl_name(e->ioctl),
		  e->cid, ret.rc);
	if (sc->leave.on) {
		/* The owners were told we leave: only the ledger learns. */
		if (e->owner == SCARD_OWNER_MONITOR && e->cid == sc->mon.gsc_cid)
			sc->mon.gsc_pending = false;
	} else if (e->owner == SCARD_OWNER_MONITOR) {
		taken = mon_completion(sc, e, io_status, &ret, dec_err);
	} else if (e->owner >= SCARD_OWNER_FIRST) {
		taken = sc->ev->completion(sc->ev_ctx, e->owner, e, io_status, &ret,
					   dec_err, created ? &ctx : NULL);
		taken = taken && created;
	} else {
		log_debug("scard: %s completion with no owner (fire and forget)",
			  esc_ioctl_name(e->ioctl));
	}
	if (created && !taken) {
		/* Abandoned at once (failed reply, stray, owner gone): released. */
		log_info("scard: releasing a remote context nobody uses");
		scard_release_context(sc, &ctx);
	}
	free(arena);
}

static void late_completion(void *arg, const struct ct_entry *e,
			    const uint8_t *out, size_t out_len)
{
	struct scard_client *sc = arg;
	size_t arena_len = RDP_ARENA_FOR(out_len);
	struct esc_return ret;
	struct esc_blob ctx;
	void *arena;
	int dec_err = -ENOMEM;

	/*
	 * We gave up waiting (timeout, cancelled job) and went on without it;
	 * whatever context or handle the client created meanwhile is
	 * released, and the ledger learns what the client did.
	 */
	memset(&ret, 0, sizeof(ret));
	arena = out ? malloc(arena_len) : NULL;
	if (arena)
		dec_err = esc_dec_return(e->ioctl, out, out_len, &ret, arena, arena_len);
	led_reply(sc, e, out ? 0 : RDP_STATUS_NO_MEMORY, &ret, dec_err, out, out_len);
	led_call_done(sc, e->cid);
	if (e->ioctl == SCARD_IOCTL_CONNECTW && !dec_err && ret.rc == 0 && ret.card.len) {
		struct esc_handle h = { .ctx = ret.ctx, .card = ret.card };

		log_info("scard: late ConnectW reply: disconnecting its handle");
		scard_disconnect(sc, &h);
	}
	if (e->ioctl == SCARD_IOCTL_ESTABLISHCONTEXT && out &&
	    reply_context(out, out_len, &ret, dec_err, &ctx)) {
		log_info("scard: late EstablishContext reply: releasing its context");
		scard_release_context(sc, &ctx);
	}
	free(arena);
}

static void device_again(void *arg)
{
	struct scard_client *sc = arg;
	size_t i;

	if (sc->mon.state != MON_GAVE_UP || sc->leave.on)
		return;
	log_info("scard: smart-card device announced again: trying its service again");
	/* Nothing is in use now: release again what the client did not confirm. */
	for (i = 0; i < CLIENT_CTX_MAX; i++)
		if (sc->led.ctx[i].used && sc->led.ctx[i].named && !sc->led.ctx[i].releasing)
			scard_release_context(sc, &sc->led.ctx[i].ctx);
	device_ready(sc);
}

static void request_timeout(struct scard_client *sc, const struct ct_entry *e)
{
	char why[64];

	log_warn("scard: %s CompletionId %u timed out; id kept reserved",
		 esc_ioctl_name(e->ioctl), e->cid);
	if (e->owner == SCARD_OWNER_MONITOR) {
		if (e->ioctl == SCARD_IOCTL_ESTABLISHCONTEXT ||
		    e->ioctl == SCARD_IOCTL_LISTREADERSW) {
			snprintf(why, sizeof(why), "monitor %s timed out",
				 esc_ioctl_name(e->ioctl));
			mon_retry(sc, true, why);
		}
		return;
	}
	if (e->owner >= SCARD_OWNER_FIRST)
		sc->ev->timeout(sc->ev_ctx, e->owner, e);
}

/*
 * Leaving while the client is still there.  A context is released only
 * once no call of ours waits on it: rdesktop runs EstablishContext and
 * ReleaseContext on one queue thread, and pcsc-lite's SCardReleaseContext
 * holds the library's global lock while it waits for the context's own
 * lock, which a blocked SCardGetStatusChange keeps; SCardCancel needs the
 * global lock too.  A ReleaseContext sent right behind the Cancel of the
 * monitor's INFINITE GetStatusChange can therefore overtake the Cancel on
 * the client and hang that queue for good, so that no context of ours is
 * ever released there.  Hence: Cancel first (repeated every
 * LEAVE_CANCEL_EVERY_MS: pcsc-lite ignores a Cancel that arrives before
 * the GetStatusChange starts to wait), wait until the client answered
 * every call but the Cancels, at most LEAVE_WAIT_MS, then disconnect the
 * handles and release the contexts.
 */
bool scard_leave(struct scard_client *sc, uint64_t now)
{
	struct monitor *m = &sc->mon;

	if (!sc->io->have_device || sc->leave.on)
		return sc->leave.on;
	sc->leave = (struct leave){ .on = true, .until = now + LEAVE_WAIT_MS,
				    .next_cancel = now + LEAVE_CANCEL_EVERY_MS };
	if (m->have_ctx && m->gsc_pending)
		scard_cancel_context(sc, 0, &m->ctx);
	sc->ev->leaving(sc->ev_ctx);
	return true;
}

/* Quiet: the client answered every call of ours but the Cancels. */
bool scard_quiet(const struct scard_client *sc, uint64_t now)
{
	return !sc->io->have_device || now >= sc->leave.until ||
	       !ct_count_except(&sc->io->ct, CT_OUTSTANDING, SCARD_IOCTL_CANCEL);
}

/* Leaving: the monitor's GetStatusChange did not return yet: Cancel again. */
static void leave_tick(struct scard_client *sc, uint64_t now)
{
	struct monitor *m = &sc->mon;
	struct ct_entry e;

	while (rdpdr_io_expire_one(sc->io, now, &e))
		log_info("scard: %s CompletionId %u unanswered while leaving",
			 esc_ioctl_name(e.ioctl), e.cid);
	if (m->have_ctx && m->gsc_pending && now >= sc->leave.next_cancel &&
	    now < sc->leave.until) {
		scard_cancel_context(sc, 0, &m->ctx);
		sc->leave.next_cancel = now + LEAVE_CANCEL_EVERY_MS;
	}
}

/*
 * Disconnects every card handle and releases every context the client may
 * still hold for us (in use, or whose release it never confirmed).
 * Releasing a context also ends its handles and transaction, so the remote
 * user is never left with a card locked by a dead agent.  The monitor's
 * context goes last: if its GetStatusChange is still unanswered after
 * every Cancel of the wait (see scard_leave()), the client lost the call
 * or ignores Cancel, and the release is all we can still do.  Nobody
 * waits for the replies.
 */
void scard_teardown(struct scard_client *sc)
{
	struct ledger *l = &sc->led;
	struct monitor *m = &sc->mon;
	bool mon_last;
	uint32_t nc, nh;
	size_t i;

	if (!sc->io->have_device)
		return;
	scard_leave(sc, now_ms());
	mon_last = m->have_ctx;
	if (m->have_ctx && m->gsc_pending)
		log_warn("scard: the monitor's GetStatusChange was not answered after "
			 "Cancel: its context is released all the same");
	for (i = 0; i < CLIENT_HANDLES_MAX; i++) {
		if (l->h[i].used && l->h[i].named) {
			struct esc_handle h = { .ctx = l->h[i].ctx, .card = l->h[i].card };

			scard_disconnect(sc, &h);
		}
	}
	for (i = 0; i < CLIENT_CTX_MAX; i++) {
		if (!l->ctx[i].used || !l->ctx[i].named)
			continue;
		if (mon_last && blob_eq(&l->ctx[i].ctx, &m->ctx))
			continue;
		scard_release_context(sc, &l->ctx[i].ctx);
	}
	if (mon_last)
		scard_release_context(sc, &m->ctx);
	m->have_ctx = false;
	scard_ledger_counts(sc, &nc, &nh);
	log_info("scard: remote handles disconnected and contexts released "
		 "(%u contexts, %u handles asked)", nc, nh);
}

const char *scard_monitor_state(const struct scard_client *sc)
{
	static const char *const names[] = {
		[MON_IDLE] = "idle", [MON_ESTABLISH] = "establish", [MON_LIST] = "list",
		[MON_GSC] = "watching", [MON_BACKOFF] = "backoff", [MON_GAVE_UP] = "gave-up",
	};

	return sc->mon.state <= MON_GAVE_UP ? names[sc->mon.state] : "?";
}

static uint64_t earlier(uint64_t d, uint64_t t)
{
	return t && (!d || t < d) ? t : d;
}

uint64_t scard_next_deadline(const struct scard_client *sc)
{
	uint64_t d = rdpdr_io_next_deadline(sc->io);

	if (sc->leave.on) {
		d = earlier(d, sc->leave.until);
		if (sc->mon.have_ctx && sc->mon.gsc_pending)
			d = earlier(d, sc->leave.next_cancel);
		return d;
	}
	return earlier(d, sc->mon.state == MON_BACKOFF ? sc->mon.backoff_until : 0);
}

void scard_abandon_owner(struct scard_client *sc, uint64_t owner)
{
	rdpdr_io_abandon_owner(sc->io, owner);
}

const struct rdpdr_io_events scard_rdpdr_events = {
	.device_ready = device_ready,
	.device_again = device_again,
	.device_gone = device_gone,
	.completion = completion,
	.late_completion = late_completion,
};

void scard_init(struct scard_client *sc, const struct scard_config *cfg,
		struct rdpdr_io *io, const struct scard_events *ev, void *ev_ctx)
{
	memset(sc, 0, sizeof(*sc));
	sc->cfg = *cfg;
	sc->io = io;
	sc->ev = ev;
	sc->ev_ctx = ev_ctx;
}

void scard_tick(struct scard_client *sc, uint64_t now)
{
	struct monitor *m = &sc->mon;
	struct ct_entry e;

	if (sc->leave.on) {
		leave_tick(sc, now);
		return;
	}
	while (rdpdr_io_expire_one(sc->io, now, &e))
		request_timeout(sc, &e);
	if (m->state != MON_BACKOFF || now < m->backoff_until)
		return;
	if (!sc->io->have_device) {
		m->state = MON_IDLE;
		return;
	}
	if (!m->have_ctx)
		mon_establish(sc);
	else if (m->relist)
		mon_list(sc);
	else
		mon_gsc(sc);
}
