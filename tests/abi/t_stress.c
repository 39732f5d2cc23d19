// SPDX-License-Identifier: MIT
/*
 * ABI stress: STRESS_THREADS callers x ABI_STRESS_COUNT echo requests over
 * 4 slots of two agents, a pull agent (REQ_NOTIFY, REQ_GET, REQ_NEXT) and
 * a push agent (REQ_PUSH, REQ_DONE without an ack), each taking its cards
 * out and back in every 1000 answers.  Every successful answer is checked
 * byte for byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"

#define STRESS_THREADS	8
#define STRESS_AGENTS	2
#define STRESS_SLOTS	2	/* per agent */

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
			tx[hdr + j] = (uint8_t)(i + j);
		len = sizeof(rx);
		r = abi_transmit(c->fd, tx, hdr + n, rx, &len, 20000);
		if (!r) {
			c->ok++;
			if (len != n + 2 || memcmp(rx, tx + hdr, n) ||
			    rx[n] != 0x90)
				c->corrupt++;
		} else if (r == -ENOMEDIUM) {
			c->nomedium++;
			usleep(500);	/* the card is back in a moment */
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
	static const enum abi_agent_mode mode[STRESS_AGENTS] = {
		ABI_AGENT_FETCH, ABI_AGENT_PUSH,
	};
	struct abi_agent ag[STRESS_AGENTS];
	unsigned long toggles = 0, pushed;
	uint64_t t0, ns;
	int i, first_other = 0, agent_err = 0;

	if (!count)
		count = 2000;
	for (i = 0; i < STRESS_AGENTS; i++) {
		if (abi_agent_start_mode(&ag[i], STRESS_SLOTS, i ? "stress-push" :
					 "stress-pull", mode[i])) {
			OK(0, "stress: agent setup");
			while (i--)
				abi_agent_stop(&ag[i]);
			return;
		}
		ag[i].toggle_every = 1000;
	}
	memset(c, 0, sizeof(c));
	t0 = abi_now_ns();
	for (i = 0; i < STRESS_THREADS; i++) {
		c[i].fd = abi_agent_open_slot(&ag[i % STRESS_AGENTS],
					      i / STRESS_AGENTS % STRESS_SLOTS);
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
	for (i = 0; i < STRESS_AGENTS; i++) {
		abi_agent_stop(&ag[i]);
		toggles += atomic_load(&ag[i].toggles);
		if (!agent_err)
			agent_err = atomic_load(&ag[i].error);
	}
	pushed = atomic_load(&ag[1].pushed);
	DIAG("stress: %d threads x %lu requests in %.1f s (%.0f req/s): ok %lu, -ENOMEDIUM %lu (card toggles %lu), other %lu; push agent: %lu pushed of %lu answered",
	     STRESS_THREADS, count, (double)ns / 1e9,
	     (double)(STRESS_THREADS * count) / ((double)ns / 1e9), ok,
	     nomedium, toggles, other, pushed, atomic_load(&ag[1].answered));
	OK(!agent_err, "stress: the agents saw no error (%d)", agent_err);
	OK(pushed > 0, "stress: the push agent got pushed requests (%lu)",
	   pushed);
	OK(corrupt == 0, "stress: %lu answers, none corrupted or misrouted (%lu bad)",
	   ok, corrupt);
	OK(other == 0, "stress: no error other than -ENOMEDIUM during card toggles (%lu, first %d)",
	   other, first_other);
	OK(ok + nomedium == STRESS_THREADS * count && ok > nomedium,
	   "stress: every request accounted for, most succeeded");
}
