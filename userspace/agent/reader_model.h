/* SPDX-License-Identifier: MIT */
/*
 * The reader model: remote readers <-> vscard slots, and kernel requests
 * -> RDPESC call sequences on a per-reader I/O context.  It sits on top:
 * the smart-card client (scard_client.h) and the kernel port
 * (kernel_port.h) report to it through rm_scard_events and
 * rm_kernel_events; it calls down into both.
 */
#ifndef AGENT_READER_MODEL_H
#define AGENT_READER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vscard.h>

#include "kernel_port.h"
#include "scard_client.h"

struct rm_config {
	uint32_t linger_ms;		/* slots kept after the remote side goes */
	uint32_t request_timeout_ms;	/* Transmit/Control/BeginTransaction */
	uint32_t call_timeout_ms;	/* every other call of a job */
	uint32_t txn_idle_ms;		/* release the remote transaction after */
	bool transactions;		/* hold a remote transaction */
};

struct rm_stats {
	uint64_t kernel_requests;
	uint64_t kernel_timeouts;
};

struct reader;

struct reader_model {
	struct rm_config cfg;
	struct scard_client *sc;
	struct kernel_port *kp;
	struct reader *readers;
	uint64_t next_uid;		/* owner ids of readers, never reused */
	uint8_t key[VSCARD_KEY_MAX];	/* the session key slots are bound with */
	size_t key_len;			/* 0: no key, nothing is bound */
	struct rm_stats stats;
};

/* What scard_client.c and the kernel port report to (ctx: the model). */
extern const struct scard_events rm_scard_events;
extern const struct kernel_events rm_kernel_events;

void rm_init(struct reader_model *rm, const struct rm_config *cfg,
	     struct scard_client *sc);
void rm_set_kernel(struct reader_model *rm, struct kernel_port *kp);
void rm_set_key(struct reader_model *rm, const uint8_t *key, size_t len);
void rm_tick(struct reader_model *rm, uint64_t now);
uint64_t rm_next_deadline(const struct reader_model *rm);
/* Leaving: every reader unbound with the linger time, freed. */
void rm_free_all(struct reader_model *rm);

/* T=0 / T=1 offered by an ATR (ISO 7816-3 TDi bytes); T=0 if none. */
uint32_t atr_protocols(const uint8_t *atr, size_t len);

#endif
