// SPDX-License-Identifier: MIT
/*
 * vscard-testcard: binding (netlink BIND/UNBIND), card state and answering
 * requests through the binding file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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
		.slot = tc->have_slot ? (int32_t)tc->slot : tc->o.slot,
		.key = tc->o.key,
		.key_len = tc->o.key_len,
		.reader_name = tc->o.reader_name,
		.linger_ms = tc->o.linger_ms,
		.timeout_ms = tc->o.timeout_ms,
	};
	struct vscard_bound r;
	int err, fl;

	if (tc->bfd >= 0)
		return -EALREADY;
	err = vscard_nl_bind(tc->nl, &b, &r);
	if (err) {
		fprintf(stderr, "vscard-testcard: bind: %s%s%s\n",
			strerror(-err), *vscard_nl_errmsg(tc->nl) ? ": " : "",
			vscard_nl_errmsg(tc->nl));
		return err;
	}
	fl = fcntl(r.fd, F_GETFL);
	if (fl < 0 || fcntl(r.fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err = -errno;
		close(r.fd);
		return err;
	}
	tc->bfd = r.fd;
	tc->slot = r.slot;
	tc->epoch = r.epoch;
	tc->have_slot = true;
	tc->present = false;
	print_state(tc, "bound");
	if (tc->o.card)
		return tc_card(tc, true);
	return 0;
}

/* Forget the binding file; answers still waiting go with it. */
static void drop_binding(struct testcard *tc, const char *how)
{
	struct tc_delayed *e;

	while ((e = tc->delayed)) {
		tc->delayed = e->next;
		free(e->buf);
		free(e);
	}
	close(tc->bfd);
	tc->bfd = -1;
	tc->present = false;
	printf("unbound pool=%u slot=%u%s\n", tc->o.pool, tc->slot, how);
}

void tc_ended(struct testcard *tc)
{
	drop_binding(tc, " by=kernel");
}

/* End the binding with no linger: UNBIND, then close the file. */
int tc_unbind(struct testcard *tc)
{
	int err = 0;

	if (tc->bfd < 0)
		return -ENOENT;
	/* without a linger time closing is enough */
	if (tc->o.linger_ms > 0) {
		err = vscard_nl_unbind(tc->nl, tc->o.pool, tc->slot);
		if (err)
			fprintf(stderr, "vscard-testcard: unbind: %s %s\n",
				strerror(-err), vscard_nl_errmsg(tc->nl));
	}
	drop_binding(tc, "");
	return err;
}

/* Close the binding file: the slot lingers for --linger-ms, if given. */
int tc_close(struct testcard *tc)
{
	if (tc->bfd < 0)
		return -ENOENT;
	drop_binding(tc, " closed");
	return 0;
}

int tc_card(struct testcard *tc, bool present)
{
	struct vscard_card c = {
		.present = present,
		.atr = tc->o.atr,
		.atr_len = tc->o.atr_len,
		.protocols = tc->o.protocols,
	};
	int err;

	if (tc->bfd < 0)
		return -ENOENT;
	err = vscard_binding_card(tc->bfd, &c);
	if (err) {
		fprintf(stderr, "vscard-testcard: card: %s\n", strerror(-err));
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

/* Compute the answer to @m into @d (d->data malloc()ed into *buf). */
static void answer(struct testcard *tc, const struct vscard_req_buf *m,
		   struct vscard_done *d, uint8_t **buf, unsigned int *delay)
{
	const struct vscard_msg *req = &m->msg;
	size_t cap = VSCARD_DATA_MAX;
	long n;

	*delay = tc->o.delay_ms;
	*buf = NULL;
	memset(d, 0, sizeof(*d));
	d->req_id = req->id;
	if (!tc->present) {
		d->status = -ENOMEDIUM;
		return;
	}
	switch (req->type) {
	case VSCARD_REQ_POWER:
		if (req->code == VSCARD_POWER_DOWN)
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
		n = tc_apdu_respond(m->data, req->len, *buf, cap, &slow);
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
		if (req->len) {
			*buf = malloc(req->len);
			if (!*buf) {
				d->status = -ENOMEM;
				return;
			}
			memcpy(*buf, m->data, req->len);
			d->data = *buf;
			d->len = req->len;
		}
		break;
	case VSCARD_REQ_GET_ATTRIB:
		if (req->code == TC_ATTR_VENDOR_NAME) {
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
	if (!tc->o.ignore_rx_max && d->len > req->rx_max) {
		d->status = -ENOBUFS;	/* d->len: the length needed */
		d->data = NULL;
	}
}

static int complete(struct testcard *tc, struct vscard_done *d)
{
	int err = vscard_binding_done(tc->bfd, d);

	if (tc->o.verbose)
		printf("done id=%#llx status=%d len=%zu err=%d\n",
		       (unsigned long long)d->req_id, d->status, d->len, err);
	if (err && err != -ENOENT)
		fprintf(stderr, "vscard-testcard: done %#llx: %s\n",
			(unsigned long long)d->req_id, strerror(-err));
	tc->completed++;
	if (tc->o.exit_after && tc->completed >= tc->o.exit_after)
		tc->quit = true;
	/* -ENOENT: timed out or aborted; -ENODEV: the binding ended */
	return err == -ENOENT || err == -ENODEV ? 0 : err;
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

static int handle_request(struct testcard *tc)
{
	const struct vscard_msg *req = &tc->msg->msg;
	struct vscard_done d;
	unsigned int delay;
	uint8_t *buf;
	int err;

	tc->fetched++;
	if (tc->o.verbose)
		printf("req id=%#llx slot=%u type=%s code=%#x len=%u rx_max=%u\n",
		       (unsigned long long)req->id, tc->slot,
		       vscard_req_type_name(req->type), req->code, req->len,
		       req->rx_max);
	answer(tc, tc->msg, &d, &buf, &delay);
	if (delay) {
		delay_answer(tc, &d, buf, delay);
		return 0;
	}
	err = complete(tc, &d);
	free(buf);
	return err;
}

/* Read and answer every queued message of the binding file. */
int tc_drain(struct testcard *tc)
{
	for (;;) {
		int err;

		if (tc->hang || tc->quit || tc->bfd < 0)
			return 0;
		err = vscard_binding_read(tc->bfd, tc->msg);
		if (err == -EAGAIN)
			return 0;
		if (err == -ENODEV) {
			tc_ended(tc);
			return 0;
		}
		if (err) {
			fprintf(stderr, "vscard-testcard: read: %s\n",
				strerror(-err));
			return err;
		}
		if (tc->msg->msg.type == VSCARD_MSG_CANCEL) {
			cancel(tc, tc->msg->msg.id);
			continue;
		}
		err = handle_request(tc);
		if (err)
			return err;
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
