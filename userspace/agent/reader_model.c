// SPDX-License-Identifier: MIT
/*
 * Remote readers <-> kernel slots, and kernel requests -> RDPESC call
 * sequences on a per-reader I/O context.  Requests of one reader run one
 * at a time, in order; each is a short chain of IOCTLs (job steps).
 * What the smart-card client and the kernel report arrives through the
 * event tables at the end of the file (reader_model.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "log.h"
#include "reader_model.h"

/* A failed BIND, or a binding the kernel ended, is retried after this. */
#define BIND_RETRY_MS	5000

enum job_step {
	STEP_NONE = 0,
	STEP_ESTABLISH,
	STEP_CONNECT,
	STEP_RECONNECT,
	STEP_BEGIN,
	STEP_STATUS,
	STEP_OP,			/* Transmit / Control / Get/SetAttrib */
	STEP_END,
	STEP_DISCONNECT,
};

struct reader {
	struct reader *next;
	uint64_t uid;			/* request owner id, never reused */
	char name[VSCARD_NAME_MAX];
	bool bound;
	uint32_t slot;
	bool listed;			/* in the latest ListReaders answer */
	uint64_t bind_retry_at;		/* BIND failed: try again then (0: no) */
	/* card state as last reported to the kernel */
	bool present;
	uint32_t atr_len;
	uint8_t atr[ESC_ATR_MAX];
	uint32_t gsc_state;		/* dwCurrentState for the next GSC */
	/* I/O context and card handle */
	bool have_ctx;
	struct esc_blob ctx;
	bool have_handle;
	struct esc_handle h;
	uint32_t protocol;		/* SCARD_PROTOCOL_T0/T1 */
	bool in_txn;
	uint32_t card_gen;		/* bumped at every card removal */
	uint32_t connect_gen;		/* card_gen when ConnectW was sent */
	uint32_t h_gen;			/* card_gen the handle belongs to */
	bool job_retried;		/* a stale handle was replaced once */
	uint64_t last_use;
	/* kernel requests, processed one at a time */
	struct kreq *queue;
	struct kreq *job;		/* NULL: an internal job (idle End) */
	bool busy;
	enum job_step step;
	uint32_t job_cid;
};

void rm_init(struct reader_model *rm, const struct rm_config *cfg,
	     struct scard_client *sc)
{
	memset(rm, 0, sizeof(*rm));
	rm->cfg = *cfg;
	rm->sc = sc;
	rm->next_uid = SCARD_OWNER_FIRST;
}

void rm_set_kernel(struct reader_model *rm, struct kernel_port *kp)
{
	rm->kp = kp;
}

void rm_set_key(struct reader_model *rm, const uint8_t *key, size_t len)
{
	if (len > sizeof(rm->key))
		len = 0;
	memcpy(rm->key, key, len);
	rm->key_len = len;
}

static struct reader *find_uid(struct reader_model *rm, uint64_t uid)
{
	struct reader *r;

	for (r = rm->readers; r; r = r->next)
		if (r->uid == uid)
			return r;
	return NULL;
}

static struct reader *find_name(struct reader_model *rm, const char *name)
{
	struct reader *r;

	for (r = rm->readers; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static struct reader *find_slot(struct reader_model *rm, uint32_t slot)
{
	struct reader *r;

	for (r = rm->readers; r; r = r->next)
		if (r->bound && r->slot == slot)
			return r;
	return NULL;
}

uint32_t atr_protocols(const uint8_t *atr, size_t len)
{
	uint32_t protos = 0;
	size_t i = 1;
	uint8_t y;

	if (len < 2)
		return 0;
	y = atr[1] >> 4;
	i = 2;
	for (;;) {
		uint8_t td;

		i += !!(y & 1) + !!(y & 2) + !!(y & 4);
		if (!(y & 8) || i >= len)
			break;
		td = atr[i++];
		if ((td & 0x0f) == 0)
			protos |= VSCARD_PROTO_T0;
		else if ((td & 0x0f) == 1)
			protos |= VSCARD_PROTO_T1;
		y = td >> 4;
	}
	return protos ? protos : VSCARD_PROTO_T0;
}

static void kernel_done(struct reader_model *rm, struct reader *r, struct kreq *q,
			int32_t status, uint32_t result, int64_t protos,
			const void *data, size_t len)
{
	int ret;

	if (!q)
		return;
	log_debug("rm: slot %u req %llu done: status %d result 0x%08x len %zu",
		  q->slot, (unsigned long long)q->req_id, status, result, len);
	ret = rm->kp->ops->req_done(rm->kp, q->slot, q->req_id, status, result,
				   protos, data, len);
	if (ret)
		log_info("rm: REQ_DONE slot %u req %llu: %s", q->slot,
			 (unsigned long long)q->req_id, strerror(-ret));
	(void)r;
}

/* ---- binding --------------------------------------------------------- */

static void card_report(struct reader_model *rm, struct reader *r);

static void reader_bind(struct reader_model *rm, struct reader *r)
{
	uint32_t slot;
	int ret;

	if (r->bound || !rm->key_len)
		return;
	ret = rm->kp->ops->bind(rm->kp, rm->key, rm->key_len, r->name,
			       rm->cfg.linger_ms, rm->cfg.request_timeout_ms, &slot);
	if (ret) {
		log_err("rm: BIND \"%s\" failed: %s; retrying in %u ms", r->name,
			strerror(-ret), BIND_RETRY_MS);
		r->bind_retry_at = now_ms() + BIND_RETRY_MS;
		return;
	}
	r->bind_retry_at = 0;
	r->bound = true;
	r->slot = slot;
	log_info("rm: remote reader \"%s\" bound to slot %u", r->name, slot);
	if (r->present)		/* the card was seen while BIND kept failing */
		card_report(rm, r);
}

static void card_report(struct reader_model *rm, struct reader *r)
{
	int ret;

	if (!r->bound)
		return;
	ret = rm->kp->ops->card_set(rm->kp, r->slot, r->present, r->atr,
				   r->present ? r->atr_len : 0,
				   r->present ? atr_protocols(r->atr, r->atr_len) : 0);
	if (ret)
		log_warn("rm: CARD_SET slot %u: %s", r->slot, strerror(-ret));
}

/* Forget the remote handle, releasing it on the client if still valid. */
static void drop_handle(struct reader_model *rm, struct reader *r, bool tell_client)
{
	if (r->have_handle && tell_client)
		scard_disconnect(rm->sc, &r->h);
	r->have_handle = false;
	r->in_txn = false;
}

static void drop_context(struct reader_model *rm, struct reader *r, bool tell_client)
{
	r->have_handle = false;
	r->in_txn = false;
	if (r->have_ctx && tell_client)
		scard_release_context(rm->sc, &r->ctx);
	r->have_ctx = false;
}

static void fail_queue(struct reader_model *rm, struct reader *r, int32_t status,
		       uint32_t result)
{
	struct kreq *q;

	if (r->busy) {
		scard_abandon_owner(rm->sc, r->uid);
		kernel_done(rm, r, r->job, status, result, -1, NULL, 0);
		kreq_free(r->job);
		r->job = NULL;
		r->busy = false;
		r->step = STEP_NONE;
	}
	while ((q = r->queue)) {
		r->queue = q->next;
		kernel_done(rm, r, q, status, result, -1, NULL, 0);
		kreq_free(q);
	}
}

static void reader_free(struct reader_model *rm, struct reader *r, uint32_t linger_ms,
			bool tell_client)
{
	struct reader **pp;

	fail_queue(rm, r, -ENOMEDIUM, SCARD_E_READER_UNAVAILABLE);
	drop_context(rm, r, tell_client);
	if (r->bound) {
		int ret = rm->kp->ops->unbind(rm->kp, r->slot, linger_ms);

		log_info("rm: slot %u (\"%s\") unbound, linger %u ms%s%s", r->slot,
			 r->name, linger_ms, ret ? ": " : "",
			 ret ? strerror(-ret) : "");
	}
	for (pp = &rm->readers; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	free(r);
}

/* The client's reader list: returns how many readers are listed now. */
static size_t update_list(struct reader_model *rm, char names[][VSCARD_NAME_MAX],
			  size_t n)
{
	struct reader *r, *next, **tail;
	size_t i, listed = 0;

	for (r = rm->readers; r; r = r->next)
		r->listed = false;
	for (i = 0; i < n; i++) {
		r = find_name(rm, names[i]);
		if (!r) {
			r = calloc(1, sizeof(*r));
			if (!r) {
				log_err("rm: out of memory");
				continue;
			}
			r->uid = rm->next_uid++;
			snprintf(r->name, sizeof(r->name), "%s", names[i]);
			for (tail = &rm->readers; *tail; tail = &(*tail)->next)
				;
			*tail = r;
			log_info("rm: remote reader \"%s\" appeared", r->name);
		}
		r->listed = true;
		reader_bind(rm, r);
	}
	for (r = rm->readers; r; r = next) {
		next = r->next;
		if (!r->listed) {
			log_info("rm: remote reader \"%s\" disappeared", r->name);
			if (r->present) {
				r->present = false;
				card_report(rm, r);
			}
			reader_free(rm, r, 0, true);
		} else {
			listed++;
		}
	}
	return listed;
}

static void card_event(struct reader_model *rm, struct reader *r, uint32_t ev,
		       const uint8_t *atr, uint32_t atr_len)
{
	bool present = (ev & SCARD_STATE_PRESENT) && atr_len > 0;
	bool replaced = false;

	if (atr_len > ESC_ATR_MAX)
		atr_len = ESC_ATR_MAX;
	if (present && r->present &&
	    ((ev >> 16) != (r->gsc_state >> 16) || atr_len != r->atr_len ||
	     memcmp(atr, r->atr, atr_len)))
		replaced = true;
	r->gsc_state = ev & ~(uint32_t)SCARD_STATE_CHANGED;
	if (present == r->present && !replaced)
		return;
	if (r->present) {
		/* Never coalesce a removal away: report it before the insert. */
		log_info("rm: card removed from \"%s\"", r->name);
		r->present = false;
		/* A handle connected before now (even one a ConnectW in flight
		 * returns later) belongs to the old card. */
		r->card_gen++;
		drop_handle(rm, r, true);
		card_report(rm, r);
	}
	if (present) {
		memcpy(r->atr, atr, atr_len);
		r->atr_len = atr_len;
		r->present = true;
		log_info("rm: card inserted in \"%s\" (ATR %u bytes)", r->name, atr_len);
		card_report(rm, r);
	}
}

/* The remote side is gone: every reader loses its card and its binding. */
static void remote_lost(struct reader_model *rm, uint32_t linger_ms)
{
	while (rm->readers) {
		struct reader *r = rm->readers;

		if (r->present) {
			r->present = false;
			card_report(rm, r);
		}
		/* Contexts died with the channel: nothing to tell the client. */
		reader_free(rm, r, linger_ms, false);
	}
}

void rm_free_all(struct reader_model *rm)
{
	remote_lost(rm, rm->cfg.linger_ms);
}

/* ---- jobs ------------------------------------------------------------ */

static int32_t rc_to_errno(uint32_t rc)
{
	switch (rc) {
	case SCARD_S_SUCCESS:
		return 0;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_UNKNOWN_READER:
		return -ENOMEDIUM;
	case SCARD_E_TIMEOUT:
		return -ETIMEDOUT;
	case SCARD_E_INSUFFICIENT_BUFFER:
		return -ENOBUFS;
	default:
		return -EIO;
	}
}

static bool job_is_power(const struct kreq *q)
{
	return q && q->type == VSCARD_REQ_POWER;
}

static uint32_t job_timeout(struct reader_model *rm, enum job_step step)
{
	return step == STEP_OP || step == STEP_BEGIN ? rm->cfg.request_timeout_ms
						     : rm->cfg.call_timeout_ms;
}

static void job_finish(struct reader_model *rm, struct reader *r, int32_t status,
		       uint32_t result, int64_t protos, const void *data,
		       size_t len);

static void job_issue(struct reader_model *rm, struct reader *r, enum job_step step)
{
	struct kreq *q = r->job;
	uint32_t ioctl = 0, out_len = 0, n;
	const struct esc_handle *subj = NULL;
	struct esc_handle conn = { .ctx = r->ctx };
	struct bytebuf b;
	int ret;

	bb_init(&b);
	switch (step) {
	case STEP_ESTABLISH:
		ioctl = SCARD_IOCTL_ESTABLISHCONTEXT;
		esc_enc_establish(&b, SCARD_SCOPE_SYSTEM);
		break;
	case STEP_CONNECT:
		ioctl = SCARD_IOCTL_CONNECTW;
		esc_enc_connect_w(&b, &r->ctx, r->name, SCARD_SHARE_SHARED,
				  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
		subj = &conn;
		r->connect_gen = r->card_gen;
		break;
	case STEP_RECONNECT:
		ioctl = SCARD_IOCTL_RECONNECT;
		esc_enc_reconnect(&b, &r->h, SCARD_SHARE_SHARED,
				  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
				  SCARD_RESET_CARD);
		break;
	case STEP_BEGIN:
		ioctl = SCARD_IOCTL_BEGINTRANSACTION;
		esc_enc_hcard_disp(&b, &r->h, 0);
		break;
	case STEP_END:
		ioctl = SCARD_IOCTL_ENDTRANSACTION;
		esc_enc_hcard_disp(&b, &r->h, SCARD_LEAVE_CARD);
		break;
	case STEP_DISCONNECT:
		ioctl = SCARD_IOCTL_DISCONNECT;
		esc_enc_hcard_disp(&b, &r->h, SCARD_LEAVE_CARD);
		subj = &r->h;
		break;
	case STEP_STATUS:
		ioctl = SCARD_IOCTL_STATUSW;
		esc_enc_status_w(&b, &r->h);
		break;
	case STEP_OP:
		n = q->rx_max;
		switch (q->type) {
		case VSCARD_REQ_TRANSMIT:
			ioctl = SCARD_IOCTL_TRANSMIT;
			if (n > ESC_RECV_MAX)
				n = ESC_RECV_MAX;
			esc_enc_transmit(&b, &r->h,
					 q->code & (VSCARD_PROTO_T0 | VSCARD_PROTO_T1) ?
					 q->code & (VSCARD_PROTO_T0 | VSCARD_PROTO_T1) :
					 r->protocol, q->data, q->len, n);
			out_len = n + 128;
			break;
		case VSCARD_REQ_CONTROL: {
			/* pcsc-lite numbering -> Windows CTL_CODE on the wire */
			uint32_t code = scard_ctl_pcsc_to_win(q->code);

			ioctl = SCARD_IOCTL_CONTROL;
			if (n > ESC_RECV_MAX)
				n = ESC_RECV_MAX;
			esc_enc_control(&b, &r->h, code, q->data, q->len, n);
			out_len = n + 128;
			break;
		}
		case VSCARD_REQ_GET_ATTRIB:
			ioctl = SCARD_IOCTL_GETATTRIB;
			if (n > 65536)
				n = 65536;
			esc_enc_get_attrib(&b, &r->h, q->code, n);
			out_len = n + 128;
			break;
		case VSCARD_REQ_SET_ATTRIB:
			ioctl = SCARD_IOCTL_SETATTRIB;
			esc_enc_set_attrib(&b, &r->h, q->code, q->data, q->len);
			break;
		}
		break;
	case STEP_NONE:
		break;
	}
	if (!subj && step != STEP_ESTABLISH)
		subj = &r->h;	/* the call is on r->ctx (the ledger's busy mark) */
	r->step = step;
	ret = scard_send(rm->sc, r->uid, ioctl, &b, out_len, job_timeout(rm, step),
			 subj, &r->job_cid);
	bb_free(&b);
	if (ret == -EMFILE) {
		/*
		 * The bound of what the client holds for us (said once by
		 * scard_client.c).  A ConnectW refused: this context's handles
		 * are what fills it, so it goes, handles included.
		 */
		log_debug("rm: %s on \"%s\" not sent: client resource bound",
			  esc_ioctl_name(ioctl), r->name);
		if (step == STEP_CONNECT)
			drop_context(rm, r, true);
		job_finish(rm, r, -EIO, SCARD_E_NO_MEMORY, -1, NULL, 0);
	} else if (ret) {
		if (ret == -ESHUTDOWN)	/* the agent is leaving */
			log_debug("rm: %s not sent: leaving", esc_ioctl_name(ioctl));
		else
			log_warn("rm: cannot send %s: %s", esc_ioctl_name(ioctl),
				 strerror(-ret));
		job_finish(rm, r, -ENOMEDIUM, SCARD_E_NO_SERVICE, -1, NULL, 0);
	}
}

/* Chooses the next step of the current job after @done succeeded. */
static void job_advance(struct reader_model *rm, struct reader *r, enum job_step done)
{
	struct kreq *q = r->job;
	bool txn = rm->cfg.transactions;

	if (!q) {		/* internal: idle EndTransaction */
		job_finish(rm, r, 0, 0, -1, NULL, 0);
		return;
	}
	if (job_is_power(q) && q->code == VSCARD_POWER_DOWN) {
		if (done == STEP_DISCONNECT || !r->have_handle)
			job_finish(rm, r, 0, 0, -1, NULL, 0);
		else if (r->in_txn && done != STEP_END)
			job_issue(rm, r, STEP_END);
		else
			job_issue(rm, r, STEP_DISCONNECT);
		return;
	}
	switch (done) {
	case STEP_NONE:
		if (r->have_handle && r->h_gen != r->card_gen) {
			/* Connected to a card that has since been removed. */
			log_debug("rm: \"%s\": the handle predates a card change; "
				  "connecting afresh", r->name);
			drop_handle(rm, r, true);
		}
		if (!r->have_ctx)
			job_issue(rm, r, STEP_ESTABLISH);
		else if (!r->have_handle)
			job_issue(rm, r, STEP_CONNECT);
		else if (job_is_power(q))
			job_issue(rm, r, STEP_RECONNECT);
		else if (txn && !r->in_txn)
			job_issue(rm, r, STEP_BEGIN);
		else
			job_issue(rm, r, STEP_OP);
		return;
	case STEP_ESTABLISH:
		job_issue(rm, r, STEP_CONNECT);
		return;
	case STEP_CONNECT:
	case STEP_RECONNECT:
		if (txn && !r->in_txn)
			job_issue(rm, r, STEP_BEGIN);
		else
			job_issue(rm, r, job_is_power(q) ? STEP_STATUS : STEP_OP);
		return;
	case STEP_BEGIN:
		job_issue(rm, r, job_is_power(q) ? STEP_STATUS : STEP_OP);
		return;
	default:
		log_err("rm: job in unexpected step %d", done);
		job_finish(rm, r, -EIO, SCARD_F_INTERNAL_ERROR, -1, NULL, 0);
		return;
	}
}

static void job_start(struct reader_model *rm, struct reader *r)
{
	struct kreq *q;

	if (r->busy || !r->queue)
		return;
	q = r->queue;
	r->queue = q->next;
	q->next = NULL;
	r->job = q;
	r->busy = true;
	r->job_retried = false;
	r->last_use = now_ms();
	if (!r->present) {
		job_finish(rm, r, -ENOMEDIUM, SCARD_E_NO_SMARTCARD, -1, NULL, 0);
		return;
	}
	job_advance(rm, r, STEP_NONE);
}

static void job_finish(struct reader_model *rm, struct reader *r, int32_t status,
		       uint32_t result, int64_t protos, const void *data,
		       size_t len)
{
	struct kreq *q = r->job;

	kernel_done(rm, r, q, status, result, protos, data, len);
	kreq_free(q);
	r->job = NULL;
	r->busy = false;
	r->step = STEP_NONE;
	r->last_use = now_ms();
	job_start(rm, r);
}

static int64_t vscard_proto(uint32_t p)
{
	return (p & SCARD_PROTOCOL_T0 ? VSCARD_PROTO_T0 : 0) |
	       (p & SCARD_PROTOCOL_T1 ? VSCARD_PROTO_T1 : 0);
}

/*
 * What a handle of a card that was removed (and maybe put back) gets from
 * the client: pcsc-lite answers EndTransaction SCARD_E_NOT_TRANSACTED (the
 * removal dropped the lock), most calls SCARD_W_REMOVED_CARD, Windows
 * SCARD_E_INVALID_HANDLE once the handle is gone, RESET/UNPOWERED after
 * another program's reset.
 */
static bool stale_handle_rc(uint32_t rc)
{
	switch (rc) {
	case SCARD_E_NOT_TRANSACTED:
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_INVALID_HANDLE:
	case SCARD_W_RESET_CARD:
	case SCARD_W_UNPOWERED_CARD:
		return true;
	default:
		return false;
	}
}

static bool stale_handle_step(enum job_step step)
{
	return step == STEP_END || step == STEP_DISCONNECT || step == STEP_RECONNECT ||
	       step == STEP_BEGIN || step == STEP_STATUS;
}

/*
 * A power request (or the idle EndTransaction) met a stale handle: that is
 * the expected state after a card change on the client, not an error.
 * Power down: the old card session is over, which is what was asked; the
 * handle is disconnected (unless the client says it is gone) and the
 * request succeeds.  Power up / reset: the old handle goes and the new card
 * is connected afresh, once.  Logged at debug level only.  Returns false
 * when the ordinary error path applies (a fresh handle failed too).
 */
static bool power_stale_handle(struct reader_model *rm, struct reader *r,
			       enum job_step step, uint32_t rc)
{
	struct kreq *q = r->job;
	bool gone = rc == SCARD_E_INVALID_HANDLE;

	log_debug("rm: %s on \"%s\": rc 0x%08x, a handle from before a card change",
		  step == STEP_END ? "EndTransaction" : step == STEP_DISCONNECT ?
		  "Disconnect" : step == STEP_RECONNECT ? "Reconnect" :
		  step == STEP_BEGIN ? "BeginTransaction" : "StatusW", r->name, rc);
	r->in_txn = false;
	if (!q) {			/* the idle EndTransaction */
		drop_handle(rm, r, !gone);
		job_finish(rm, r, 0, 0, -1, NULL, 0);
		return true;
	}
	if (q->code == VSCARD_POWER_DOWN) {
		if (step == STEP_END && !gone) {
			job_issue(rm, r, STEP_DISCONNECT);
			return true;
		}
		/* Disconnect answered so: the client dropped the handle. */
		drop_handle(rm, r, false);
		job_finish(rm, r, 0, 0, -1, NULL, 0);
		return true;
	}
	if (r->job_retried || !r->have_ctx || !r->present)
		return false;
	r->job_retried = true;
	drop_handle(rm, r, !gone && step != STEP_DISCONNECT);
	job_issue(rm, r, STEP_CONNECT);
	return true;
}

static void job_completion(struct reader_model *rm, struct reader *r,
			   const struct ct_entry *e, uint32_t io_status,
			   const struct esc_return *ret, int dec_err)
{
	enum job_step step = r->step;
	struct kreq *q = r->job;
	uint32_t rc = ret->rc;

	if (!r->busy || e->cid != r->job_cid) {
		log_debug("rm: stray %s completion for \"%s\" ignored",
			  esc_ioctl_name(e->ioctl), r->name);
		return;
	}
	if (io_status || dec_err) {
		/* Transport-level failure: the context state is unknown. */
		drop_context(rm, r, true);
		job_finish(rm, r, -EIO, SCARD_F_COMM_ERROR, -1, NULL, 0);
		return;
	}
	if (rc != SCARD_S_SUCCESS && stale_handle_rc(rc) && stale_handle_step(step) &&
	    (!q || job_is_power(q)) && power_stale_handle(rm, r, step, rc))
		return;
	if (rc != SCARD_S_SUCCESS) {
		log_info("rm: %s on \"%s\" failed: rc 0x%08x", esc_ioctl_name(e->ioctl),
			 r->name, rc);
		if (step == STEP_ESTABLISH || rc == SCARD_E_NO_SERVICE ||
		    rc == SCARD_E_SERVICE_STOPPED ||
		    (rc == SCARD_E_INVALID_HANDLE && step == STEP_CONNECT))
			drop_context(rm, r, step != STEP_ESTABLISH);
		else if (rc == SCARD_E_INVALID_HANDLE || rc == SCARD_W_REMOVED_CARD ||
			 rc == SCARD_W_RESET_CARD || rc == SCARD_W_UNPOWERED_CARD ||
			 step == STEP_DISCONNECT)
			drop_handle(rm, r, step != STEP_DISCONNECT);
		if (step == STEP_END)
			r->in_txn = false;
		job_finish(rm, r, rc_to_errno(rc) ? rc_to_errno(rc) : -EIO, rc, -1,
			   NULL, 0);
		return;
	}
	switch (step) {
	case STEP_ESTABLISH:
		r->ctx = ret->ctx;
		r->have_ctx = ret->ctx.len > 0;
		break;
	case STEP_CONNECT:
		r->h.ctx = r->ctx;
		r->h.card = ret->card;
		r->h_gen = r->connect_gen;
		r->have_handle = true;
		r->in_txn = false;
		r->protocol = ret->protocol;
		break;
	case STEP_RECONNECT:
		r->protocol = ret->protocol;
		break;
	case STEP_BEGIN:
		r->in_txn = true;
		break;
	case STEP_END:
		r->in_txn = false;
		break;
	case STEP_DISCONNECT:
		r->have_handle = false;
		r->in_txn = false;
		break;
	case STEP_STATUS: {
		const uint8_t *atr = ret->atr_len ? ret->atr : r->atr;
		uint32_t len = ret->atr_len ? ret->atr_len : r->atr_len;

		if (ret->protocol)
			r->protocol = ret->protocol;
		if (len > q->rx_max) {
			job_finish(rm, r, -ENOBUFS, 0, -1, NULL, 0);
			return;
		}
		job_finish(rm, r, 0, 0, vscard_proto(r->protocol), atr, len);
		return;
	}
	case STEP_OP:
		if (ret->data_len > q->rx_max) {
			job_finish(rm, r, -ENOBUFS, 0, -1, NULL, 0);
			return;
		}
		job_finish(rm, r, 0, 0, -1, ret->data, ret->data_len);
		return;
	case STEP_NONE:
		break;
	}
	job_advance(rm, r, step);
}

/*
 * The remote side did not answer in time: fail the request, cancel on the
 * context and release it (that also drops its handle and any transaction
 * the late reply might still grant); the next request starts afresh.
 */
static void abort_job(struct reader_model *rm, struct reader *r, bool report)
{
	scard_abandon_owner(rm->sc, r->uid);
	if (r->have_ctx)
		scard_cancel_context(rm->sc, 0, &r->ctx);
	drop_context(rm, r, true);
	if (report) {
		rm->stats.kernel_timeouts++;
		job_finish(rm, r, -ETIMEDOUT, SCARD_E_TIMEOUT, -1, NULL, 0);
	} else {
		kreq_free(r->job);
		r->job = NULL;
		r->busy = false;
		r->step = STEP_NONE;
		job_start(rm, r);
	}
}

static void job_timeout_of(struct reader_model *rm, struct reader *r,
			   const struct ct_entry *e)
{
	if (!r->busy || e->cid != r->job_cid)
		return;
	log_warn("rm: %s on \"%s\" timed out; cancelling", esc_ioctl_name(e->ioctl),
		 r->name);
	abort_job(rm, r, true);
}

static void kernel_request(void *ctx, struct kreq *q)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_slot(rm, q->slot);
	struct kreq **tail;

	rm->stats.kernel_requests++;
	log_debug("rm: slot %u req %llu type %u code 0x%x rx_max %u len %u",
		  q->slot, (unsigned long long)q->req_id, q->type, q->code,
		  q->rx_max, q->len);
	if (!r) {
		kernel_done(rm, NULL, q, -ENOMEDIUM, SCARD_E_READER_UNAVAILABLE, -1,
			    NULL, 0);
		kreq_free(q);
		return;
	}
	if (q->type < VSCARD_REQ_POWER || q->type >= __VSCARD_REQ_MAX) {
		kernel_done(rm, r, q, -EINVAL, 0, -1, NULL, 0);
		kreq_free(q);
		return;
	}
	for (tail = &r->queue; *tail; tail = &(*tail)->next)
		;
	*tail = q;
	job_start(rm, r);
}

static void kernel_cancel(void *ctx, uint32_t slot, uint64_t req_id)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_slot(rm, slot);
	struct kreq **pp, *q;

	if (!r)
		return;
	for (pp = &r->queue; (q = *pp); pp = &q->next) {
		if (q->req_id == req_id) {
			*pp = q->next;
			kreq_free(q);
			log_info("rm: queued request %llu cancelled by the kernel",
				 (unsigned long long)req_id);
			return;
		}
	}
	if (r->busy && r->job && r->job->req_id == req_id) {
		log_info("rm: request %llu cancelled by the kernel; cancelling remotely",
			 (unsigned long long)req_id);
		abort_job(rm, r, false);
	}
}

/* ---- transaction idle release ---------------------------------------- */

uint64_t rm_next_deadline(const struct reader_model *rm)
{
	const struct reader *r;
	uint64_t d = 0;

	for (r = rm->readers; r; r = r->next) {
		uint64_t t = r->last_use + rm->cfg.txn_idle_ms;

		if (r->in_txn && !r->busy && !r->queue && (!d || t < d))
			d = t;
		if (r->bind_retry_at && (!d || r->bind_retry_at < d))
			d = r->bind_retry_at;
	}
	return d;
}

void rm_tick(struct reader_model *rm, uint64_t now)
{
	struct reader *r;

	for (r = rm->readers; r; r = r->next) {
		if (r->bind_retry_at && now >= r->bind_retry_at) {
			r->bind_retry_at = 0;
			reader_bind(rm, r);
		}
		if (!r->in_txn || r->busy || r->queue ||
		    now < r->last_use + rm->cfg.txn_idle_ms)
			continue;
		log_debug("rm: \"%s\" idle, ending the remote transaction", r->name);
		r->busy = true;
		r->job = NULL;
		job_issue(rm, r, STEP_END);
	}
}

/* ---- what the kernel reports ------------------------------------------ */

/*
 * The kernel ended a binding (an administrator's UNBIND, the pool deleted):
 * the reader is unbound as if its BIND had failed, so the usual retry binds
 * it again (to the same or another slot) and reports its card; while the
 * pool is gone that BIND fails and is retried.  Its requests in progress
 * complete into the void (-ENODEV).
 */
static void kernel_unbound(void *ctx, uint32_t slot)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_slot(rm, slot);

	if (!r)
		return;
	log_warn("rm: slot %u (\"%s\") unbound by the kernel; binding again in %u ms",
		 slot, r->name, BIND_RETRY_MS);
	r->bound = false;
	r->bind_retry_at = now_ms() + BIND_RETRY_MS;
}

const struct kernel_events rm_kernel_events = {
	.request = kernel_request,
	.cancel = kernel_cancel,
	.unbound = kernel_unbound,
};

/* ---- what the smart-card client reports ------------------------------- */

static size_t sc_readers_listed(void *ctx, char names[][VSCARD_NAME_MAX], size_t n)
{
	return update_list(ctx, names, n);
}

static size_t sc_watch(void *ctx, struct esc_call_state *st, uint64_t *owner,
		       size_t max)
{
	struct reader_model *rm = ctx;
	struct reader *r;
	size_t n = 0;

	for (r = rm->readers; r && n < max; r = r->next) {
		if (!r->listed)
			continue;
		st[n].name = r->name;
		st[n].cur = r->gsc_state;
		owner[n] = r->uid;
		n++;
	}
	return n;
}

static bool sc_card_event(void *ctx, uint64_t owner, uint32_t ev,
			  const uint8_t *atr, uint32_t atr_len)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_uid(rm, owner);
	bool changed;

	if (!r)
		return false;
	changed = (ev & ~(uint32_t)SCARD_STATE_CHANGED) !=
		  (r->gsc_state & ~(uint32_t)SCARD_STATE_CHANGED);
	card_event(rm, r, ev, atr, atr_len);
	return changed;
}

static bool blob_eq(const struct esc_blob *x, const struct esc_blob *y)
{
	return x->len == y->len && !memcmp(x->b, y->b, x->len);
}

static bool sc_completion(void *ctx, uint64_t owner, const struct ct_entry *e,
			  uint32_t io_status, const struct esc_return *ret,
			  int dec_err, const struct esc_blob *created)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_uid(rm, owner);

	if (!r) {
		log_debug("scard: %s completion with no owner (fire and forget)",
			  esc_ioctl_name(e->ioctl));
		return false;
	}
	job_completion(rm, r, e, io_status, ret, dec_err);
	/* A reader that took the context holds it in r->ctx. */
	r = find_uid(rm, owner);
	return created && r && r->have_ctx && blob_eq(&r->ctx, created);
}

static void sc_timeout(void *ctx, uint64_t owner, const struct ct_entry *e)
{
	struct reader_model *rm = ctx;
	struct reader *r = find_uid(rm, owner);

	if (r)
		job_timeout_of(rm, r, e);
}

static void sc_remote_lost(void *ctx)
{
	struct reader_model *rm = ctx;

	remote_lost(rm, rm->cfg.linger_ms);
}

static void sc_leaving(void *ctx)
{
	struct reader_model *rm = ctx;
	struct reader *r;

	for (r = rm->readers; r; r = r->next) {
		if (r->have_ctx && r->busy)
			scard_cancel_context(rm->sc, 0, &r->ctx);
		r->have_ctx = r->have_handle = r->in_txn = false;
	}
}

const struct scard_events rm_scard_events = {
	.readers_listed = sc_readers_listed,
	.watch = sc_watch,
	.card_event = sc_card_event,
	.completion = sc_completion,
	.timeout = sc_timeout,
	.remote_lost = sc_remote_lost,
	.leaving = sc_leaving,
};
