// SPDX-License-Identifier: MIT
/*
 * ABI tests: an echo agent answering like vscard-testcard through the
 * binding file (poll, read, write), one thread per binding.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "abi.h"
#include "apdu.h"

int abi_answer(int bfd, const abi_msg_t *m, uint8_t *buf)
{
	const struct vscard_msg *h = &m->msg;
	unsigned int delay = 0;
	long n;

	switch (h->type) {
	case VSCARD_REQ_POWER:
		if (h->code == VSCARD_POWER_DOWN)
			return abi_done(bfd, h->id, 0, NULL, 0);
		return abi_done_ex(bfd, h->id, 0, 0, VSCARD_PROTO_T1, abi_atr,
				   sizeof(abi_atr));
	case VSCARD_REQ_TRANSMIT:
		n = tc_apdu_respond(m->data, h->len, buf, VSCARD_DATA_MAX,
				    &delay);
		if (delay)
			abi_sleep_ms(delay);
		if (n < 0)
			return abi_done(bfd, h->id, -EIO, NULL, 0);
		if ((size_t)n > h->rx_max)
			return abi_done(bfd, h->id, -ENOBUFS, NULL, (size_t)n);
		return abi_done(bfd, h->id, 0, buf, (size_t)n);
	case VSCARD_REQ_CONTROL:
		return abi_done(bfd, h->id, 0, m->data, h->len);
	case VSCARD_REQ_GET_ATTRIB:
		memcpy(buf, &h->code, sizeof(h->code));
		return abi_done(bfd, h->id, 0, buf, sizeof(h->code));
	default:
		return abi_done(bfd, h->id, 0, NULL, 0);
	}
}

/* Stress: take the card out and back in. */
static int toggle(int bfd, struct abi_agent_stats *st)
{
	int err = abi_card(bfd, false);

	if (!err)
		err = abi_card(bfd, true);
	atomic_fetch_add(&st->toggles, 1);
	return err;
}

int abi_serve(int bfd, int stop_fd, unsigned int toggle_every,
	      unsigned long max, struct abi_agent_stats *st)
{
	abi_msg_t *m = malloc(sizeof(*m));
	uint8_t *buf = malloc(VSCARD_DATA_MAX);
	struct pollfd p[2] = {
		{ .fd = bfd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	unsigned long mine = 0;
	int err = m && buf ? 0 : -ENOMEM;

	while (!err && (!max || mine < max)) {
		ssize_t n;

		if (poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		if (stop_fd >= 0 && p[1].revents)
			break;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(bfd, m, sizeof(*m));
		if (n == 0)
			break;		/* the binding ended */
		if (n < 0) {
			/* another reader of the same file took it */
			if (errno != EAGAIN && errno != EINTR)
				err = -errno;
			continue;
		}
		if ((size_t)n != sizeof(m->msg) + m->msg.len) {
			err = -EPROTO;
			break;
		}
		if (m->msg.type == VSCARD_MSG_CANCEL) {
			atomic_fetch_add(&st->cancels, 1);
			continue;
		}
		err = abi_answer(bfd, m, buf);
		if (err == -ENOENT) {	/* card toggled or timed out meanwhile */
			atomic_fetch_add(&st->stale, 1);
			err = 0;
			continue;
		}
		if (err == -ENODEV) {	/* ended while we answered */
			err = 0;
			break;
		}
		if (err)
			break;
		mine++;
		if (toggle_every &&
		    (atomic_fetch_add(&st->answered, 1) + 1) % toggle_every == 0)
			err = toggle(bfd, st);
		else if (!toggle_every)
			atomic_fetch_add(&st->answered, 1);
		if (err == -ENODEV) {	/* ended while we toggled */
			err = 0;
			break;
		}
	}
	if (err) {
		fprintf(stderr, "abi agent: stopped: %s\n", strerror(-err));
		atomic_store(&st->error, err);
	}
	free(m);
	free(buf);
	return err;
}

struct agent_thread {
	struct abi_agent *ag;
	int i;
};

static void *agent_thread(void *arg)
{
	struct agent_thread *t = arg;
	struct abi_agent *ag = t->ag;
	int i = t->i;

	free(t);
	abi_serve(ag->b[i].fd, ag->stop_fd, ag->toggle_every, 0, &ag->st);
	return NULL;
}

int abi_agent_bind(struct abi_agent *ag, int nslots, const char *key)
{
	struct vscard_nl *nl = abi_nl();
	int i, s, err = 0;

	memset(ag, 0, sizeof(*ag));
	ag->stop_fd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < nslots; i++) {
		s = abi_bind(nl, -1, key, -1, -1, &ag->b[i]);
		if (s < 0) {
			err = s;
			break;
		}
		ag->nslots++;
		err = abi_card(ag->b[i].fd, true);
		if (err)
			break;
	}
	/* The bindings outlive the socket that made them. */
	vscard_nl_close(nl);
	if (err) {
		for (i = 0; i < ag->nslots; i++)
			abi_unbound(&ag->b[i]);
		close(ag->stop_fd);
		ag->nslots = 0;
	}
	return err;
}

int abi_agent_run(struct abi_agent *ag)
{
	int i;

	for (i = 0; i < ag->nslots; i++) {
		struct agent_thread *t = malloc(sizeof(*t));

		t->ag = ag;
		t->i = i;
		if (pthread_create(&ag->th[i], NULL, agent_thread, t)) {
			free(t);
			return -EAGAIN;
		}
	}
	ag->running = true;
	return 0;
}

int abi_agent_start(struct abi_agent *ag, int nslots, const char *key)
{
	int err = abi_agent_bind(ag, nslots, key);

	if (!err)
		err = abi_agent_run(ag);
	return err;
}

int abi_agent_open_slot(struct abi_agent *ag, int i)
{
	struct vscard_nl *ctl = abi_nl();
	int fd = abi_open_slot(ctl, ag->b[i].slot);

	vscard_nl_close(ctl);
	return fd;
}

void abi_agent_stop(struct abi_agent *ag)
{
	uint64_t one = 1;
	int i;

	if (!ag->nslots)
		return;
	if (ag->running) {
		if (write(ag->stop_fd, &one, sizeof(one)) < 0)
			perror("eventfd");
		for (i = 0; i < ag->nslots; i++)
			pthread_join(ag->th[i], NULL);
	}
	for (i = 0; i < ag->nslots; i++)
		abi_unbound(&ag->b[i]);
	close(ag->stop_fd);
	ag->nslots = 0;
	ag->running = false;
}
