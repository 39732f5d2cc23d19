// SPDX-License-Identifier: MIT
/*
 * ABI stress: STRESS_THREADS callers x ABI_STRESS_COUNT echo requests
 * over STRESS_SLOTS bindings, one agent thread per binding file (poll,
 * read, write), the agents taking their card out and back in every 1000
 * answers.  Every successful answer is checked byte for byte; the only
 * error allowed is -ENOMEDIUM while a card is out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"

#define STRESS_THREADS	8
#define STRESS_SLOTS	4

struct caller {
	pthread_t th;
	int fd;
	unsigned long count;
	unsigned int seed;
	unsigned long ok, nomedium, other, corrupt;
	int first_other;
};

static void *caller_thread(void *arg)
{
	struct caller *c = arg;
	uint8_t tx[4 + 3 + 4096 + 2], rx[4096 + 2];
	unsigned long i;

	for (i = 0; i < c->count; i++) {
		size_t n = 1 + rand_r(&c->seed) % (i % 64 ? 200 : 4096), len;
		size_t j, hdr;
		int r;

		tx[0] = 0x80; tx[1] = 0xEE; tx[2] = 0; tx[3] = 0;
		if (n < 256) {
			tx[4] = (uint8_t)n;
			hdr = 5;
		} else {
			tx[4] = 0;
			tx[5] = (uint8_t)(n >> 8);
			tx[6] = (uint8_t)n;
			hdr = 7;
		}
		for (j = 0; j < n; j++)
			tx[hdr + j] = (uint8_t)(i + j + c->seed);
		len = sizeof(rx);
		r = abi_transmit(c->fd, tx, hdr + n, rx, &len, 20000);
		if (!r) {
			c->ok++;
			if (len != n + 2 || memcmp(rx, tx + hdr, n) ||
			    rx[n] != 0x90)
				c->corrupt++;
		} else if (r == -ENOMEDIUM) {
			struct vscard_status st;
			struct vscard_wait w;

			c->nomedium++;
			/* the card is back in a moment: wait for it */
			if (!abi_status(c->fd, &st) &&
			    !(st.flags & VSCARD_STATUS_PRESENT)) {
				w = (struct vscard_wait){ .seq = st.seq,
							  .timeout_ms = 5000 };
				ioctl(c->fd, VSCARD_IOC_WAIT_STATUS, &w);
			}
		} else {
			if (!c->other)
				c->first_other = r;
			c->other++;
		}
	}
	return NULL;
}

void t_stress(void)
{
	const char *env = getenv("ABI_STRESS_COUNT");
	unsigned long count = env && *env ? strtoul(env, NULL, 0) : 0;
	struct caller c[STRESS_THREADS];
	unsigned long ok = 0, nomedium = 0, other = 0, corrupt = 0;
	struct abi_agent ag;
	uint64_t t0, ns;
	int i, first_other = 0, agent_err;

	if (!count)
		count = 2000;
	if (abi_agent_bind(&ag, STRESS_SLOTS, "stress-key")) {
		OK(0, "stress: agent setup");
		return;
	}
	ag.toggle_every = 1000;
	if (abi_agent_run(&ag)) {
		OK(0, "stress: agent threads");
		abi_agent_stop(&ag);
		return;
	}
	memset(c, 0, sizeof(c));
	t0 = abi_now_ns();
	for (i = 0; i < STRESS_THREADS; i++) {
		c[i].fd = abi_agent_open_slot(&ag, i % STRESS_SLOTS);
		c[i].count = count;
		c[i].seed = (unsigned int)i * 7919u + 1;
		pthread_create(&c[i].th, NULL, caller_thread, &c[i]);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(c[i].th, NULL);
		close(c[i].fd);
		ok += c[i].ok;
		nomedium += c[i].nomedium;
		other += c[i].other;
		corrupt += c[i].corrupt;
		if (c[i].other && !first_other)
			first_other = c[i].first_other;
	}
	ns = abi_now_ns() - t0;
	abi_agent_stop(&ag);
	agent_err = atomic_load(&ag.st.error);
	DIAG("stress: %d threads x %lu requests over %d bindings in %.1f s (%.0f req/s): ok %lu, -ENOMEDIUM %lu (card toggles %lu), other %lu; agents: %lu answered, %lu stale completions, %lu cancels",
	     STRESS_THREADS, count, STRESS_SLOTS, (double)ns / 1e9,
	     (double)(STRESS_THREADS * count) / ((double)ns / 1e9), ok,
	     nomedium, atomic_load(&ag.st.toggles), other,
	     atomic_load(&ag.st.answered), atomic_load(&ag.st.stale),
	     atomic_load(&ag.st.cancels));
	OK(!agent_err, "stress: the agents saw no error (%d)", agent_err);
	OK(atomic_load(&ag.st.toggles) > 0 || count * STRESS_THREADS < 1000,
	   "stress: the cards were taken out and back in (%lu times)",
	   atomic_load(&ag.st.toggles));
	OK(corrupt == 0, "stress: %lu answers, none corrupted or misrouted (%lu bad)",
	   ok, corrupt);
	OK(other == 0, "stress: no error other than -ENOMEDIUM during card toggles (%lu, first %d)",
	   other, first_other);
	OK(ok + nomedium == STRESS_THREADS * count && ok > nomedium,
	   "stress: every request accounted for, most succeeded");
}
