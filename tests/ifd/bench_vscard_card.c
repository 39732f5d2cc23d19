// SPDX-License-Identifier: MIT
/*
 * bench-ifd: the vscard back-end.  Binds a slot over libvscard like
 * vscard-testcard; insert = a card-present command on the binding file
 * with a T=1 ATR, remove = card absent; requests read from the binding
 * file are answered with tc_apdu_respond().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apdu.h"
#include "bench_ifd.h"
#include "vscard_nl.h"

#define SCARD_E_UNSUPPORTED_FEATURE_	0x80100022U

struct vscard_card_be {
	int fd;				/* the binding file, non-blocking */
	bool present;
	uint8_t atr[VSCARD_ATR_MAX];
	size_t atr_len;
	struct vscard_req_buf req;
	uint8_t buf[VSCARD_DATA_MAX];
};

/* The completion of v->req (response bytes in v->buf or v->req). */
static void answer(struct vscard_card_be *v, struct vscard_done *dp)
{
	const struct vscard_msg *m = &v->req.msg;
	struct vscard_done d = { .req_id = m->id };
	unsigned int delay;
	long n;

	if (!v->present) {
		d.status = -ENOMEDIUM;
	} else if (m->type == VSCARD_REQ_POWER) {
		if (m->code != VSCARD_POWER_DOWN) {
			d.data = v->atr;
			d.len = v->atr_len;
			d.protocols = VSCARD_PROTO_T1;
		}
	} else if (m->type == VSCARD_REQ_TRANSMIT) {
		n = tc_apdu_respond(v->req.data, m->len, v->buf,
				    sizeof(v->buf), &delay);
		if (n < 0 || (size_t)n > m->rx_max) {
			d.status = -ENOBUFS;
		} else {
			d.data = v->buf;
			d.len = (size_t)n;
		}
	} else if (m->type == VSCARD_REQ_CONTROL) {
		d.data = v->req.data;	/* echo, like vscard-testcard */
		d.len = m->len;
	} else if (m->type == VSCARD_REQ_GET_ATTRIB) {
		d.status = -EIO;
		d.result = SCARD_E_UNSUPPORTED_FEATURE_;
	}
	*dp = d;
}

/* Answer every queued request, until the binding file has none. */
static int drain(struct vscard_card_be *v)
{
	for (;;) {
		struct vscard_done d;
		int err = vscard_binding_read(v->fd, &v->req);

		if (err == -EAGAIN)
			return 0;
		if (err)
			return err;
		if (v->req.msg.type == VSCARD_MSG_CANCEL)
			continue;
		answer(v, &d);
		err = vscard_binding_done(v->fd, &d);
		if (err && err != -ENOENT)
			return err;
	}
}

static int card_set(struct vscard_card_be *v, bool present)
{
	struct vscard_card c = {
		.present = present,
		.atr = v->atr,
		.atr_len = v->atr_len,
		.protocols = VSCARD_PROTO_T1,
	};
	int err;

	v->present = present;
	err = vscard_binding_card(v->fd, &c);
	return err ? err : drain(v);
}

static int vscard_insert(void *priv)
{
	return card_set(priv, true);
}

static int vscard_remove(void *priv)
{
	return card_set(priv, false);
}

static int vscard_fd(void *priv)
{
	return ((struct vscard_card_be *)priv)->fd;
}

static int vscard_serve(void *priv)
{
	return drain(priv);
}

static void vscard_destroy(void *priv)
{
	struct vscard_card_be *v = priv;

	close(v->fd);	/* ends the binding (no linger) */
	free(v);
}

const struct bench_backend_ops bench_vscard_ops = {
	.insert = vscard_insert,
	.remove = vscard_remove,
	.fd = vscard_fd,
	.serve = vscard_serve,
	.destroy = vscard_destroy,
};

void *bench_vscard_new(uint32_t pool, int32_t slot)
{
	static const char key[] = "bench-ifd";
	struct vscard_card_be *v = calloc(1, sizeof(*v));
	struct vscard_bind b = {
		.pool = pool, .slot = slot, .key = key,
		.key_len = sizeof(key) - 1, .reader_name = "bench-ifd card",
		.linger_ms = -1, .timeout_ms = -1,
	};
	struct vscard_nl *nl = NULL;
	struct vscard_bound r;
	int err, fl;

	if (!v)
		return NULL;
	v->atr_len = tc_atr_default(VSCARD_PROTO_T1, v->atr, sizeof(v->atr));
	err = vscard_nl_open(&nl, 0, 0);
	if (!err)
		err = vscard_nl_bind(nl, &b, &r);
	if (!err) {
		/* the socket is only needed for BIND */
		fl = fcntl(r.fd, F_GETFL);
		if (fl < 0 || fcntl(r.fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			err = -errno;
			close(r.fd);
		}
	}
	if (err) {
		fprintf(stderr, "bench-ifd: vscard bind pool %u slot %d: %s %s\n",
			pool, slot, strerror(-err),
			nl ? vscard_nl_errmsg(nl) : vscard_nl_open_strerror(err));
		vscard_nl_close(nl);
		free(v);
		return NULL;
	}
	vscard_nl_close(nl);
	v->fd = r.fd;
	return v;
}
