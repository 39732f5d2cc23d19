/* SPDX-License-Identifier: MIT */
/* vscard-testcard: shared context of the test card agent. */
#ifndef TESTCARD_H
#define TESTCARD_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vscard.h>
#include "vscard_nl.h"

struct tc_opts {
	uint32_t pool;
	int32_t slot;			/* -1: kernel picks */
	uint8_t key[VSCARD_KEY_MAX];
	size_t key_len;
	char reader_name[VSCARD_NAME_MAX];
	int64_t linger_ms;		/* -1: not sent */
	int64_t timeout_ms;		/* -1: not sent */
	bool card;			/* insert a card after binding */
	uint8_t atr[VSCARD_ATR_MAX];
	size_t atr_len;			/* 0: default for protocols */
	uint32_t protocols;
	const char *commands;		/* command file/FIFO; NULL: stdin */
	bool no_commands;		/* ignore stdin */
	bool eof_quit;
	unsigned long exit_after;	/* 0: never */
	unsigned int delay_ms;		/* added to every answer */
	bool hang;			/* start without answering */
	bool ignore_rx_max;
	int verbose;
};

/* A response waiting for its time (SLOW APDU, --delay-ms). */
struct tc_delayed {
	struct tc_delayed *next;
	uint64_t due_ms;
	struct vscard_done done;
	uint8_t *buf;
};

struct testcard {
	struct vscard_nl *nl;
	struct tc_opts o;
	int bfd;			/* binding file, -1: not bound */
	bool have_slot;		/* bound once: rebind asks for that slot */
	uint32_t slot;
	uint64_t epoch;
	bool present;
	bool hang;
	bool quit;
	struct tc_delayed *delayed;	/* answers for the current binding */
	struct vscard_req_buf *msg;	/* one message read from the file */
	unsigned long completed;
	unsigned long fetched;
	unsigned long cancels;
};

/* agent.c */
int tc_bind(struct testcard *tc);
int tc_unbind(struct testcard *tc);
int tc_close(struct testcard *tc);
/* The binding file read end of file (administrative UNBIND, pool gone). */
void tc_ended(struct testcard *tc);
int tc_card(struct testcard *tc, bool present);
int tc_drain(struct testcard *tc);
int tc_flush_due(struct testcard *tc, uint64_t now_ms);
int tc_next_due_ms(const struct testcard *tc, uint64_t now_ms);
uint64_t tc_now_ms(void);

/* commands.c */
int tc_command(struct testcard *tc, char *line);

/* util */
int tc_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len);

#endif /* TESTCARD_H */
