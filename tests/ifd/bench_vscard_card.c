// SPDX-License-Identifier: MIT
/*
 * bench-ifd: the vscard back-end.  Binds a slot over libvscard like
 * vscard-testcard; insert = CARD_SET present with a T=1 ATR, remove =
 * CARD_SET absent; requests are answered with tc_apdu_respond().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apdu.h"
#include "bench_ifd.h"
#include "vscard_nl.h"

#define SCARD_E_UNSUPPORTED_FEATURE_	0x80100022U

struct vscard_card_be {
	struct vscard_nl *nl;
	uint32_t pool, slot;
	bool present;
	uint8_t atr[VSCARD_ATR_MAX];
	size_t atr_len;
	uint8_t buf[VSCARD_DATA_MAX];
};

/* The completion of @req (response bytes in v->buf). */
static void answer(struct vscard_card_be *v, const struct vscard_attrs *req,
		   struct vscard_done *dp)
{
	struct vscard_done d = {
		.pool = req->pool, .slot = req->slot, .req_id = req->req_id,
		.result = -1, .protocols = -1,
	};
	unsigned int delay;
	long n;

	if (!v->present) {
		d.status = -ENOMEDIUM;
	} else if (req->req_type == VSCARD_REQ_POWER) {
		if (req->req_code != VSCARD_POWER_DOWN) {
			d.data = v->atr;
			d.len = v->atr_len;
			d.protocols = VSCARD_PROTO_T1;
		}
	} else if (req->req_type == VSCARD_REQ_TRANSMIT) {
		n = tc_apdu_respond(req->data, req->data_len, v->buf,
				    sizeof(v->buf), &delay);
		if (n < 0 || (size_t)n > req->req_rx_max) {
			d.status = -ENOBUFS;
		} else {
			d.data = v->buf;
			d.len = (size_t)n;
		}
	} else if (req->req_type == VSCARD_REQ_CONTROL) {
		d.data = req->data;	/* echo, like vscard-testcard */
		d.len = req->data_len;
	} else if (req->req_type == VSCARD_REQ_GET_ATTRIB) {
		d.status = -EIO;
		d.result = SCARD_E_UNSUPPORTED_FEATURE_;
	}
	*dp = d;
}

/* Read every unsolicited message, answer every request, until idle. */
static int drain(struct vscard_card_be *v)
{
	do {
		struct vscard_attrs m;
		int err;

		while ((err = vscard_nl_next(v->nl, &m)) != -EAGAIN) {
			if (!err)
				vscard_attrs_release(&m);
			else if (err != -ENOBUFS)
				return err;
		}
		/* Each completion fetches the next request (REQ_NEXT). */
		err = vscard_nl_req_get(v->nl, &m);
		while (!err && m.req_id) {
			struct vscard_attrs next;
			struct vscard_done d;

			answer(v, &m, &d);
			err = vscard_nl_req_done_fetch(v->nl, &d, &next);
			vscard_attrs_release(&m);
			m = next;
		}
		vscard_attrs_release(&m);
		if (err && err != -ENOENT)
			return err;
	} while (vscard_nl_queued(v->nl));
	return 0;
}

static int card_set(struct vscard_card_be *v, bool present)
{
	struct vscard_card c = {
		.present = present,
		.atr = present ? v->atr : NULL,
		.atr_len = present ? v->atr_len : 0,
		.protocols = present ? (int64_t)VSCARD_PROTO_T1 : -1,
	};
	int err;

	v->present = present;
	err = vscard_nl_card_set(v->nl, v->pool, v->slot, &c);
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
	return vscard_nl_fd(((struct vscard_card_be *)priv)->nl);
}

static int vscard_serve(void *priv)
{
	return drain(priv);
}

static void vscard_destroy(void *priv)
{
	struct vscard_card_be *v = priv;

	vscard_nl_close(v->nl);	/* unbinds the slot */
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
	int err;

	if (!v)
		return NULL;
	v->pool = pool;
	v->atr_len = tc_atr_default(VSCARD_PROTO_T1, v->atr, sizeof(v->atr));
	err = vscard_nl_open(&v->nl, VSCARD_NL_NONBLOCK, 0);
	if (!err)
		err = vscard_nl_bind(v->nl, &b, &v->slot, NULL);
	if (err) {
		fprintf(stderr, "bench-ifd: vscard bind pool %u slot %d: %s %s\n",
			pool, slot, strerror(-err),
			v->nl ? vscard_nl_errmsg(v->nl) : "");
		if (v->nl)
			vscard_nl_close(v->nl);
		free(v);
		return NULL;
	}
	return v;
}
