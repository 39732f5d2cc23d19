/* SPDX-License-Identifier: MIT */
/* ABI tests of vscard.ko: shared helpers (run as root inside the VM). */
#ifndef VSCARD_ABI_H
#define VSCARD_ABI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/vscard.h>
#include "vscard_nl.h"
#include "tap.h"

#define ABI_POOL	0	/* tests use pool 0 (module loaded slots=8) */

extern struct tap abi_tap;

#define OK(cond, ...) tap_ok(&abi_tap, !!(cond), __VA_ARGS__)
#define DIAG(...) tap_diag(&abi_tap, __VA_ARGS__)
#define SKIP(...) tap_skip(&abi_tap, __VA_ARGS__)

uint64_t abi_now_ns(void);
void abi_sleep_ms(unsigned int ms);
/* vscard tracepoint @event, stamped on the abi_now_ns() clock. */
int abi_trace_start(const char *event);
int abi_trace_stop(const char *event, uint64_t *last_ns, unsigned int *count,
		   unsigned long *sum_field, const char *field);

/* Open a socket; aborts the test run on failure. */
struct vscard_nl *abi_nl(void);
/* Bind @slot (-1: any) of ABI_POOL; returns the slot or -errno. */
int abi_bind(struct vscard_nl *nl, int slot, const char *key,
	     int64_t linger_ms, int64_t timeout_ms, uint64_t *epoch);
/* Same, asking for REQ_PUSH delivery. */
int abi_bind_push(struct vscard_nl *nl, int slot, const char *key,
		  uint64_t *epoch);
int abi_card(struct vscard_nl *nl, uint32_t slot, bool present);
/* A socket bound to netlink portid @port as soon as it is free (5 s). */
struct vscard_nl *abi_take_portid(uint32_t port, int *tries);
/* Open /dev/vscardN of (ABI_POOL, slot). */
int abi_open_slot(struct vscard_nl *nl, uint32_t slot);
int abi_status(int fd, struct vscard_status *st);
/* Slot attributes by SLOT_GET (0 or -errno). */
int abi_slot_get(struct vscard_nl *nl, uint32_t slot, struct vscard_attrs *a);

/* A blocking ioctl run in its own thread. */
struct abi_xfer {
	pthread_t th;
	int fd;
	unsigned long ioc;
	struct vscard_xfer x;
	uint8_t *tx, *rx;
	int ret;		/* 0 or -errno of the ioctl */
	uint64_t t_start, t_end;
	atomic_bool done;
};

/* tx copied; rx buffer of @rx_cap allocated. */
int abi_xfer_start(struct abi_xfer *x, int fd, unsigned long ioc,
		   uint32_t code, const void *tx, size_t tx_len,
		   size_t rx_cap, uint32_t timeout_ms);
void abi_xfer_join(struct abi_xfer *x);
void abi_xfer_free(struct abi_xfer *x);
/* Synchronous transmit; returns 0/-errno, *rx_len updated. */
int abi_transmit(int fd, const void *tx, size_t tx_len, void *rx,
		 size_t *rx_len, uint32_t timeout_ms);

/* Wait until a REQ_NOTIFY arrives and fetch one request (ms timeout). */
int abi_fetch(struct vscard_nl *nl, struct vscard_attrs *req,
	      unsigned int timeout_ms);
/* Wait for an unsolicited message of @cmd (ms timeout). */
int abi_wait_msg(struct vscard_nl *nl, uint8_t cmd, struct vscard_attrs *m,
		 unsigned int timeout_ms);
int abi_done(struct vscard_nl *nl, const struct vscard_attrs *req,
	     int32_t status, const void *data, size_t len);

/* How the test agent gets requests and completes them. */
enum abi_agent_mode {
	ABI_AGENT_FETCH,	/* hint, REQ_GET, vscard_nl_req_done_fetch() */
	ABI_AGENT_SEPARATE,	/* hint, REQ_GET, REQ_DONE (the ABI 1.0 way) */
	ABI_AGENT_PUSH,		/* bound with PUSH: REQ_PUSH, REQ_DONE, no ack */
};

/*
 * An agent running in its own thread: binds @nslots slots of ABI_POOL,
 * inserts a card, answers like vscard-testcard until stopped.
 */
struct abi_agent {
	struct vscard_nl *nl;
	pthread_t th;
	int stop_fd;
	int nslots;
	uint32_t slot[VSCARD_POOL_SLOTS_MAX];
	uint64_t epoch[VSCARD_POOL_SLOTS_MAX];
	unsigned int toggle_every;	/* stress: card out/in every N answers */
	enum abi_agent_mode mode;
	atomic_ulong pushed;		/* requests that came as REQ_PUSH */
	atomic_ulong answered;
	atomic_ulong toggles;
	atomic_int error;
};

int abi_agent_start(struct abi_agent *ag, int nslots, const char *key);
int abi_agent_start_mode(struct abi_agent *ag, int nslots, const char *key,
			 enum abi_agent_mode mode);
void abi_agent_stop(struct abi_agent *ag);
/* Open agent slot @i's device; never touches the agent thread's socket. */
int abi_agent_open_slot(struct abi_agent *ag, int i);
/* Run the agent loop in the calling thread until @stop_fd is readable. */
void *abi_agent_loop(void *arg);

/* The tests, one per file group. */
void t_status(void);
void t_xfer(void);
void t_push(void);
void t_priv(void);
void t_death(void);
void t_linger(void);
void t_stress(void);

#endif /* VSCARD_ABI_H */
