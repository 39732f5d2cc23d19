// SPDX-License-Identifier: MIT
/* vscard-testcard: binding, card state and answering requests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "apdu.h"
#include "testcard.h"

/* SCARD_E_UNSUPPORTED_FEATURE, reported for unknown attributes. */
#define TC_SCARD_E_UNSUPPORTED	0x80100022U
#define TC_ATTR_VENDOR_NAME	0x00010100U

uint64_t tc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_state(struct testcard *tc, const char *what)
{
	struct vscard_attrs s;
	uint32_t minor = 0;

	if (!vscard_nl_slot_get(tc->nl, tc->o.pool, tc->slot, &s)) {
		minor = s.minor;
		vscard_attrs_release(&s);
	}
	printf("%s pool=%u slot=%u minor=%u epoch=%llu dev=/dev/vscard%u\n",
	       what, tc->o.pool, tc->slot, minor,
	       (unsigned long long)tc->epoch, minor);
}

int tc_bind(struct testcard *tc)
{
	struct vscard_bind b = {
		.pool = tc->o.pool,
		.slot = tc->bound ? (int32_t)tc->slot : tc->o.slot,
		.key = tc->o.key,
		.key_len = tc->o.key_len,
		.reader_name = tc->o.reader_name,
		.linger_ms = tc->o.linger_ms,
		.timeout_ms = tc->o.timeout_ms,
	};
	int err;

	err = vscard_nl_bind(tc->nl, &b, &tc->slot, &tc->epoch);
	if (err) {
		fprintf(stderr, "vscard-testcard: bind: %s%s%s\n",
			strerror(-err), *vscard_nl_errmsg(tc->nl) ? ": " : "",
			vscard_nl_errmsg(tc->nl));
		return err;
	}
	tc->bound = true;
	tc->present = false;
	print_state(tc, "bound");
	if (tc->o.card)
		return tc_card(tc, true);
	return 0;
}

int tc_unbind(struct testcard *tc, int64_t linger_ms)
{
	int err = vscard_nl_unbind(tc->nl, tc->o.pool, tc->slot, linger_ms);

	if (err) {
		fprintf(stderr, "vscard-testcard: unbind: %s %s\n",
			strerror(-err), vscard_nl_errmsg(tc->nl));
		return err;
	}
	tc->bound = false;
	printf("unbound pool=%u slot=%u\n", tc->o.pool, tc->slot);
	return 0;
}

int tc_card(struct testcard *tc, bool present)
{
	struct vscard_card c = {
		.present = present,
		.atr = present ? tc->o.atr : NULL,
		.atr_len = present ? tc->o.atr_len : 0,
		.protocols = present ? (int64_t)tc->o.protocols : -1,
	};
	int err = vscard_nl_card_set(tc->nl, tc->o.pool, tc->slot, &c);

	if (err) {
		fprintf(stderr, "vscard-testcard: card-set: %s %s\n",
			strerror(-err), vscard_nl_errmsg(tc->nl));
		return err;
	}
	tc->present = present;
	printf("%s pool=%u slot=%u\n", present ? "inserted" : "removed",
	       tc->o.pool, tc->slot);
	return 0;
}

static uint32_t active_protocol(const struct testcard *tc)
{
	return tc->o.protocols & VSCARD_PROTO_T1 ? VSCARD_PROTO_T1 :
	       VSCARD_PROTO_T0;
}

/* Compute the answer to @req into @d (d->data malloc()ed into *buf). */
static void answer(struct testcard *tc, const struct vscard_attrs *req,
		   struct vscard_done *d, uint8_t **buf, unsigned int *delay)
{
	size_t cap = VSCARD_DATA_MAX;
	long n;

	*delay = tc->o.delay_ms;
	*buf = NULL;
	memset(d, 0, sizeof(*d));
	d->pool = req->pool;
	d->slot = req->slot;
	d->req_id = req->req_id;
	d->result = -1;
	d->protocols = -1;
	if (!tc->present) {
		d->status = -ENOMEDIUM;
		return;
	}
	switch (req->req_type) {
	case VSCARD_REQ_POWER:
		if (req->req_code == VSCARD_POWER_DOWN)
			return;
		d->data = tc->o.atr;
		d->len = tc->o.atr_len;
		d->protocols = active_protocol(tc);
		return;
	case VSCARD_REQ_TRANSMIT: {
		unsigned int slow;

		*buf = malloc(cap);
		if (!*buf) {
			d->status = -ENOMEM;
			return;
		}
		n = tc_apdu_respond(req->data, req->data_len, *buf, cap, &slow);
		if (n < 0) {
			d->status = -ENOBUFS;
			return;
		}
		*delay += slow;
		d->data = *buf;
		d->len = (size_t)n;
		break;
	}
	case VSCARD_REQ_CONTROL:
		/* every control code echoes its input */
		if (req->data_len) {
			*buf = malloc(req->data_len);
			if (!*buf) {
				d->status = -ENOMEM;
				return;
			}
			memcpy(*buf, req->data, req->data_len);
			d->data = *buf;
			d->len = req->data_len;
		}
		break;
	case VSCARD_REQ_GET_ATTRIB:
		if (req->req_code == TC_ATTR_VENDOR_NAME) {
			d->data = "vscard-testcard";
			d->len = sizeof("vscard-testcard");
		} else {
			d->status = -EIO;
			d->result = TC_SCARD_E_UNSUPPORTED;
		}
		return;
	case VSCARD_REQ_SET_ATTRIB:
		return;
	default:
		d->status = -EOPNOTSUPP;
		return;
	}
	if (!tc->o.ignore_rx_max && d->len > req->req_rx_max) {
		d->status = -ENOBUFS;
		d->len = 0;
		d->data = NULL;
	}
}

static int complete(struct testcard *tc, struct vscard_done *d)
{
	int err = vscard_nl_req_done(tc->nl, d);

	if (tc->o.verbose)
		printf("done id=%#llx status=%d len=%zu err=%d\n",
		       (unsigned long long)d->req_id, d->status, d->len, err);
	if (err && err != -ENOENT)
		fprintf(stderr, "vscard-testcard: req-done %#llx: %s %s\n",
			(unsigned long long)d->req_id, strerror(-err),
			vscard_nl_errmsg(tc->nl));
	tc->completed++;
	if (tc->o.exit_after && tc->completed >= tc->o.exit_after)
		tc->quit = true;
	return err == -ENOENT ? 0 : err;
}

static void delay_answer(struct testcard *tc, struct vscard_done *d,
			 uint8_t *buf, unsigned int delay)
{
	struct tc_delayed *e = calloc(1, sizeof(*e)), **pp;

	if (!e) {
		d->status = -ENOMEM;
		d->len = 0;
		complete(tc, d);
		free(buf);
		return;
	}
	e->due_ms = tc_now_ms() + delay;
	e->done = *d;
	e->buf = buf;
	/* keep the list sorted by due time */
	for (pp = &tc->delayed; *pp && (*pp)->due_ms <= e->due_ms;
	     pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
}

/* Fetch and answer every pending request until REQ_GET says -ENOENT. */
int tc_drain(struct testcard *tc)
{
	for (;;) {
		struct vscard_attrs req;
		struct vscard_done d;
		unsigned int delay;
		uint8_t *buf;
		int err;

		if (tc->hang || tc->quit)
			return 0;
		err = vscard_nl_req_get(tc->nl, &req);
		if (err == -ENOENT)
			return 0;
		if (err) {
			fprintf(stderr, "vscard-testcard: req-get: %s %s\n",
				strerror(-err), vscard_nl_errmsg(tc->nl));
			return err;
		}
		tc->fetched++;
		if (tc->o.verbose)
			printf("req id=%#llx slot=%u type=%s code=%#x len=%zu rx_max=%u\n",
			       (unsigned long long)req.req_id, req.slot,
			       vscard_req_type_name(req.req_type), req.req_code,
			       req.data_len, req.req_rx_max);
		answer(tc, &req, &d, &buf, &delay);
		vscard_attrs_release(&req);
		if (delay) {
			delay_answer(tc, &d, buf, delay);
			continue;
		}
		err = complete(tc, &d);
		free(buf);
		if (err)
			return err;
	}
}

/* Drop a delayed answer the kernel cancelled. */
static void cancel(struct testcard *tc, uint64_t id)
{
	struct tc_delayed **pp, *e;

	tc->cancels++;
	printf("cancel id=%#llx\n", (unsigned long long)id);
	for (pp = &tc->delayed; (e = *pp); pp = &e->next) {
		if (e->done.req_id == id) {
			*pp = e->next;
			free(e->buf);
			free(e);
			return;
		}
	}
}

int tc_flush_due(struct testcard *tc, uint64_t now_ms)
{
	struct tc_delayed *e;
	int err = 0;

	while ((e = tc->delayed) && e->due_ms <= now_ms) {
		tc->delayed = e->next;
		if (!err)
			err = complete(tc, &e->done);
		free(e->buf);
		free(e);
	}
	return err;
}

int tc_next_due_ms(const struct testcard *tc, uint64_t now_ms)
{
	if (!tc->delayed)
		return -1;
	if (tc->delayed->due_ms <= now_ms)
		return 0;
	return (int)(tc->delayed->due_ms - now_ms);
}

static void print_event(const struct vscard_attrs *ev)
{
	printf("event %s pool=%u", vscard_event_name(ev->event), ev->pool);
	if (vscard_attrs_has(ev, VSCARD_A_SLOT))
		printf(" slot=%u", ev->slot);
	printf("\n");
}

/* Handle every queued or readable unsolicited message. */
int tc_handle_async(struct testcard *tc)
{
	bool drain = false;
	int err;

	for (;;) {
		struct vscard_attrs m;

		err = vscard_nl_next(tc->nl, &m);
		if (err == -EAGAIN)
			break;
		if (err == -ENOBUFS) {
			drain = true;	/* lost notifications: fetch anyway */
			continue;
		}
		if (err)
			return err;
		switch (m.cmd) {
		case VSCARD_CMD_REQ_NOTIFY:
			drain = true;
			break;
		case VSCARD_CMD_REQ_CANCEL:
			cancel(tc, m.req_id);
			break;
		case VSCARD_CMD_EVENT:
			if (tc->o.verbose)
				print_event(&m);
			break;
		}
		vscard_attrs_release(&m);
		if (drain) {
			err = tc_drain(tc);
			if (err)
				return err;
			drain = false;
		}
	}
	return 0;
}
