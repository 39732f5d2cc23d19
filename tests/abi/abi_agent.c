// SPDX-License-Identifier: MIT
/* ABI tests: an in-process echo agent answering like vscard-testcard. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "abi.h"
#include "apdu.h"

static const uint8_t agent_atr[] = { 0x3B, 0x8A, 0x80, 0x01, 0x76, 0x73,
				     0x63, 0x61, 0x72, 0x64, 0x74, 0x65,
				     0x73, 0x74, 0x5B };

/* The completion of @req; @buf holds response bytes. */
static void answer(const struct vscard_attrs *req, uint8_t *buf,
		   struct vscard_done *d)
{
	unsigned int delay;
	long n;

	*d = (struct vscard_done){
		.pool = req->pool, .slot = req->slot, .req_id = req->req_id,
		.result = -1, .protocols = -1,
	};
	switch (req->req_type) {
	case VSCARD_REQ_POWER:
		if (req->req_code != VSCARD_POWER_DOWN) {
			d->data = agent_atr;
			d->len = sizeof(agent_atr);
			d->protocols = VSCARD_PROTO_T1;
		}
		break;
	case VSCARD_REQ_TRANSMIT:
		n = tc_apdu_respond(req->data, req->data_len, buf,
				    VSCARD_DATA_MAX, &delay);
		if (delay)
			abi_sleep_ms(delay);
		if (n < 0 || (size_t)n > req->req_rx_max) {
			d->status = -ENOBUFS;
		} else {
			d->data = buf;
			d->len = (size_t)n;
		}
		break;
	case VSCARD_REQ_CONTROL:
		d->data = req->data;
		d->len = req->data_len;
		break;
	default:
		break;
	}
}

/* Stress: take the card out and back in on every slot. */
static int toggle(struct abi_agent *ag)
{
	int i, err = 0;

	for (i = 0; i < ag->nslots && !err; i++) {
		err = abi_card(ag->nl, ag->slot[i], false);
		if (!err)
			err = abi_card(ag->nl, ag->slot[i], true);
	}
	atomic_fetch_add(&ag->toggles, 1);
	return err;
}

/*
 * Complete @d and fetch the next request (next->req_id 0: none queued):
 * the library's loop step, or the ABI 1.0 way (REQ_DONE, then REQ_GET).
 */
static int complete_fetch(struct abi_agent *ag, const struct vscard_done *d,
			  struct vscard_attrs *next)
{
	int err;

	if (ag->mode != ABI_AGENT_SEPARATE)
		return vscard_nl_req_done_fetch(ag->nl, d, next);
	err = vscard_nl_req_done(ag->nl, d);
	if (err && err != -ENOENT)	/* -ENOENT: aborted meanwhile */
		return err;
	err = vscard_nl_req_get(ag->nl, next);
	return err == -ENOENT ? 0 : err;
}

/* Count an answer; the stress toggles the cards every N of them. */
static int answered(struct abi_agent *ag)
{
	unsigned long n = atomic_fetch_add(&ag->answered, 1) + 1;

	return ag->toggle_every && n % ag->toggle_every == 0 ? toggle(ag) : 0;
}

/*
 * Answer requests until none is queued.  -ENOBUFS: a reply was lost to a
 * receive overrun (the kernel queued its request again): fetch again.
 */
static int drain(struct abi_agent *ag, uint8_t *buf)
{
	struct vscard_attrs req, next;
	int err;

again:
	err = vscard_nl_req_get(ag->nl, &req);
	if (err == -ENOBUFS)
		goto again;
	if (err)
		return err == -ENOENT ? 0 : err;
	for (;;) {
		struct vscard_done d;

		answer(&req, buf, &d);
		err = complete_fetch(ag, &d, &next);
		vscard_attrs_release(&req);
		if (err == -ENOBUFS)
			goto again;
		if (err)
			return err;
		req = next;
		err = answered(ag);
		if (err || !req.req_id) {
			vscard_attrs_release(&req);
			return err;
		}
	}
}

/*
 * A pushed request: answer it with REQ_DONE without an ack (a failure, e.g.
 * -ENOENT for a request that timed out meanwhile, is only counted).
 */
static int answer_pushed(struct abi_agent *ag, const struct vscard_attrs *req,
			 uint8_t *buf)
{
	struct vscard_done d;
	int err;

	atomic_fetch_add(&ag->pushed, 1);
	answer(req, buf, &d);
	err = vscard_nl_req_done_async(ag->nl, &d);
	return err ? err : answered(ag);
}

void *abi_agent_loop(void *arg)
{
	struct abi_agent *ag = arg;
	uint8_t *buf = malloc(VSCARD_DATA_MAX);
	struct pollfd p[2] = {
		{ .fd = vscard_nl_fd(ag->nl), .events = POLLIN },
		{ .fd = ag->stop_fd, .events = POLLIN },
	};
	int err = buf ? drain(ag, buf) : -ENOMEM;

	while (!err) {
		struct vscard_attrs m;
		bool notify = false;

		/* Hints queued by the library during drain() count too. */
		if (poll(p, 2, vscard_nl_queued(ag->nl) ? 0 : -1) < 0 &&
		    errno != EINTR) {
			err = -errno;
			break;
		}
		if (p[1].revents)
			break;
		/* One message per wakeup: a hint is acted on at once. */
		err = vscard_nl_next(ag->nl, &m);
		if (!err) {
			notify = m.cmd == VSCARD_CMD_REQ_NOTIFY;
			if (m.cmd == VSCARD_CMD_REQ_PUSH)
				err = answer_pushed(ag, &m, buf);
			vscard_attrs_release(&m);
		} else if (err == -EAGAIN || err == -ENOBUFS) {
			err = 0;
			notify = true;	/* always drain: cheap and safe */
		}
		if (!err && notify)
			err = drain(ag, buf);
	}
	if (err) {
		fprintf(stderr, "abi agent: stopped: %s\n", strerror(-err));
		atomic_store(&ag->error, err);
	}
	free(buf);
	return NULL;
}

int abi_agent_start(struct abi_agent *ag, int nslots, const char *key)
{
	return abi_agent_start_mode(ag, nslots, key, ABI_AGENT_FETCH);
}

int abi_agent_start_mode(struct abi_agent *ag, int nslots, const char *key,
			 enum abi_agent_mode mode)
{
	int i, s;

	memset(ag, 0, sizeof(*ag));
	ag->mode = mode;
	ag->nl = abi_nl();
	ag->stop_fd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < nslots; i++) {
		s = mode == ABI_AGENT_PUSH ?
		    abi_bind_push(ag->nl, -1, key, &ag->epoch[i]) :
		    abi_bind(ag->nl, -1, key, -1, -1, &ag->epoch[i]);
		if (s < 0 || abi_card(ag->nl, (uint32_t)s, true))
			goto fail;
		ag->slot[i] = (uint32_t)s;
		ag->nslots++;
	}
	if (!pthread_create(&ag->th, NULL, abi_agent_loop, ag))
		return 0;
fail:
	vscard_nl_close(ag->nl);
	close(ag->stop_fd);
	ag->nl = NULL;
	return -EIO;
}

int abi_agent_open_slot(struct abi_agent *ag, int i)
{
	struct vscard_nl *ctl = abi_nl();
	int fd = abi_open_slot(ctl, ag->slot[i]);

	vscard_nl_close(ctl);
	return fd;
}

void abi_agent_stop(struct abi_agent *ag)
{
	uint64_t one = 1;

	if (!ag->nl)
		return;
	if (write(ag->stop_fd, &one, sizeof(one)) < 0)
		perror("eventfd");
	pthread_join(ag->th, NULL);
	vscard_nl_close(ag->nl);
	close(ag->stop_fd);
	ag->nl = NULL;
}
