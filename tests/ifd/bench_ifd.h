/* SPDX-License-Identifier: MIT */
/*
 * bench-ifd: a card back-end runs in its own thread so that the bench
 * controls insertion and removal with exact timestamps.  Two back-ends:
 * a vscard slot bound over libvscard, and a vpcd card (TCP client of
 * vsmartcard's libifdvpcd); both answer APDUs with tc_apdu_respond().
 */
#ifndef BENCH_IFD_H
#define BENCH_IFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* What a back-end does; every function runs in the card thread. */
struct bench_backend_ops {
	int (*insert)(void *priv);	/* 0 or -errno */
	int (*remove)(void *priv);
	int (*fd)(void *priv);		/* fd to watch for work, -1: none */
	int (*serve)(void *priv);	/* the fd is readable */
	void (*destroy)(void *priv);
};

struct bench_card {
	const char *name;
	const struct bench_backend_ops *ops;
	void *priv;
	pthread_t th;
	int cmd[2];		/* main -> card thread: struct bench_cmd */
	int ack[2];		/* card thread -> main: struct bench_ack */
};

/* Start the card thread (the card is absent); 0 or -errno. */
int bench_card_start(struct bench_card *c, const char *name,
		     const struct bench_backend_ops *ops, void *priv);
/* Ask for an insertion @delay_ms from now; returns at once. */
int bench_card_insert_after(struct bench_card *c, unsigned int delay_ms);
/* Wait for the insertion: 0 or -errno, *t0 = CLOCK_MONOTONIC ns stamped
 * just before the back-end inserted the card. */
int bench_card_insert_wait(struct bench_card *c, uint64_t *t0);
/* Remove the card now (synchronous); 0 or -errno. */
int bench_card_remove(struct bench_card *c);
void bench_card_stop(struct bench_card *c);

uint64_t bench_now_ns(void);

/* Back-ends: priv for bench_card_start, NULL on failure (message printed). */
extern const struct bench_backend_ops bench_vscard_ops;
void *bench_vscard_new(uint32_t pool, int32_t slot);
extern const struct bench_backend_ops bench_vpcd_ops;
/* @quickack: ACK at once (no Nagle stall; see bench_vpcd_card.c). */
void *bench_vpcd_new(unsigned int port, bool quickack);

#endif /* BENCH_IFD_H */
