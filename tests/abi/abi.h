/* SPDX-License-Identifier: MIT */
/*
 * ABI tests of vscard.ko (ABI 2): shared helpers.  Run as root inside the
 * VM; the control plane goes through libvscard (netlink), the data plane
 * through the binding file with plain read()/write()/poll() so that the
 * tests see exactly what the kernel returns.
 */
#ifndef VSCARD_ABI_H
#define VSCARD_ABI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <linux/vscard.h>
#include "vscard_nl.h"
#include "tap.h"

#define ABI_POOL	0	/* tests use pool 0 (module loaded slots=8) */
#define ABI_READER	"ABI Test Reader"

extern struct tap abi_tap;

#define OK(cond, ...) tap_ok(&abi_tap, !!(cond), __VA_ARGS__)
#define DIAG(...) tap_diag(&abi_tap, __VA_ARGS__)
#define SKIP(...) tap_skip(&abi_tap, __VA_ARGS__)

/* The ATR the helpers insert (15 bytes, T=0 and T=1). */
extern const uint8_t abi_atr[15];

uint64_t abi_now_ns(void);
void abi_sleep_ms(unsigned int ms);
/* vscard tracepoint @event, stamped on the abi_now_ns() clock. */
int abi_trace_start(const char *event);
int abi_trace_stop(const char *event, uint64_t *last_ns, unsigned int *count,
		   unsigned long *sum_field, const char *field);

/* ------------------------------------------------------------------ */
/* Control plane (netlink)                                             */
/* ------------------------------------------------------------------ */

/* Open a socket; aborts the test run on failure. */
struct vscard_nl *abi_nl(void);
/* Same, but returns -errno instead of aborting (unprivileged children). */
int abi_nl_try(struct vscard_nl **out);

/* A binding: BIND's answer. */
struct abi_bound {
	uint32_t pool;
	uint32_t slot;
	uint64_t epoch;
	int fd;			/* the binding file, -1 when none */
};

/*
 * BIND @slot (-1: any) of @pool with @key and ABI_READER; @linger_ms and
 * @timeout_ms -1: not sent.  Returns the slot or -errno; *out (may be
 * NULL: the file is closed at once) gets the binding.
 */
int abi_bind_pool(struct vscard_nl *nl, uint32_t pool, int slot,
		  const char *key, int64_t linger_ms, int64_t timeout_ms,
		  struct abi_bound *out);
static inline int abi_bind(struct vscard_nl *nl, int slot, const char *key,
			   int64_t linger_ms, int64_t timeout_ms,
			   struct abi_bound *out)
{
	return abi_bind_pool(nl, ABI_POOL, slot, key, linger_ms, timeout_ms,
			     out);
}
/* Close a binding's file (ends the binding); idempotent. */
void abi_unbound(struct abi_bound *b);

/* SLOT_GET (0 or -errno; release @a). */
int abi_slot_get_pool(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		      struct vscard_attrs *a);
static inline int abi_slot_get(struct vscard_nl *nl, uint32_t slot,
			       struct vscard_attrs *a)
{
	return abi_slot_get_pool(nl, ABI_POOL, slot, a);
}
/* SLOT_GET fields; (uint32_t)-1 / (uint64_t)-1 when SLOT_GET fails. */
uint32_t abi_slot_pending(struct vscard_nl *nl, uint32_t pool, uint32_t slot);
uint32_t abi_slot_flags(struct vscard_nl *nl, uint32_t pool, uint32_t slot);
uint64_t abi_slot_stale(struct vscard_nl *nl, uint32_t pool, uint32_t slot);
/*
 * Wait until @slot has @n requests outstanding.  Nothing in the ABI can
 * be waited on for that count (the binding file tells "at least one
 * queued" only), so this polls SLOT_GET; tests use it only to order
 * requests that no reader may take yet.  False after 10 s.
 */
bool abi_wait_pending(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		      uint32_t n);
/* /dev/vscardN of (pool, slot), opened O_RDWR | O_CLOEXEC; -errno. */
int abi_open_slot_pool(struct vscard_nl *nl, uint32_t pool, uint32_t slot);
static inline int abi_open_slot(struct vscard_nl *nl, uint32_t slot)
{
	return abi_open_slot_pool(nl, ABI_POOL, slot);
}
/* Minor of (pool, slot), or -errno. */
int abi_slot_minor(struct vscard_nl *nl, uint32_t pool, uint32_t slot);

/* ------------------------------------------------------------------ */
/* Data plane (binding file), raw system calls                        */
/* ------------------------------------------------------------------ */

/* A message as read from a binding file (same layout as the library's). */
typedef struct vscard_req_buf abi_msg_t;

/*
 * Wait up to @timeout_ms (-1: forever) for the binding file to be
 * readable, then read one message into @m.  Returns the bytes read, 0 at
 * end of file, -ETIMEDOUT, or -errno of read().
 */
ssize_t abi_read(int bfd, abi_msg_t *m, int timeout_ms);
/*
 * Write one command of @len bytes; returns the bytes written or -errno.
 */
ssize_t abi_write(int bfd, const void *buf, size_t len);
/* Complete request @id: status, result, protocols, data.  0 or -errno. */
int abi_done_ex(int bfd, uint64_t id, int32_t status, uint32_t result,
		uint32_t protocols, const void *data, size_t len);
static inline int abi_done(int bfd, uint64_t id, int32_t status,
			   const void *data, size_t len)
{
	return abi_done_ex(bfd, id, status, 0, 0, data, len);
}
/* Card state by the binding file: abi_atr, T=0|T=1; 0 or -errno. */
int abi_card(int bfd, bool present);
int abi_card_atr(int bfd, const uint8_t *atr, size_t atr_len,
		 uint32_t protocols);
/* poll() the file once with @timeout_ms; returns revents or -errno. */
int abi_poll(int fd, short events, int timeout_ms);

/* ------------------------------------------------------------------ */
/* The caller side (/dev/vscardN)                                      */
/* ------------------------------------------------------------------ */

int abi_status(int fd, struct vscard_status *st);

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
	int done_fd;		/* eventfd written when the ioctl returned */
};

/* tx copied; rx buffer of @rx_cap allocated. */
int abi_xfer_start(struct abi_xfer *x, int fd, unsigned long ioc,
		   uint32_t code, const void *tx, size_t tx_len,
		   size_t rx_cap, uint32_t timeout_ms);
/* Wait for the ioctl to return (@timeout_ms, -1 forever): true if it did. */
bool abi_xfer_wait(struct abi_xfer *x, int timeout_ms);
void abi_xfer_join(struct abi_xfer *x);
void abi_xfer_free(struct abi_xfer *x);
/* Synchronous transmit; returns 0/-errno, *rx_len updated. */
int abi_transmit(int fd, const void *tx, size_t tx_len, void *rx,
		 size_t *rx_len, uint32_t timeout_ms);

/* ------------------------------------------------------------------ */
/* The echo agent                                                      */
/* ------------------------------------------------------------------ */

/* What an agent loop saw. */
struct abi_agent_stats {
	atomic_ulong answered;	/* completions accepted */
	atomic_ulong stale;	/* completions refused with -ENOENT */
	atomic_ulong cancels;	/* VSCARD_MSG_CANCEL read */
	atomic_ulong toggles;	/* card out/in cycles */
	atomic_int error;	/* first unexpected error (-errno) */
};

/*
 * Answer like vscard-testcard: POWER UP/RESET -> abi_atr with T=1;
 * TRANSMIT -> tc_apdu_respond() (-ENOBUFS with the needed length when it
 * does not fit rx_max); CONTROL -> echo; GET_ATTRIB -> the 4 bytes of
 * the attribute id; SET_ATTRIB -> nothing.  Returns abi_done*()'s result.
 */
int abi_answer(int bfd, const abi_msg_t *m, uint8_t *buf);

/*
 * Serve binding @bfd until it ends (returns 0), @stop_fd (-1: none) is
 * readable (returns 0) or an unexpected error (returns it).  With
 * @toggle_every, the card goes out and back in every so many answers.
 * @max: stop after that many answers (0: no limit).
 */
int abi_serve(int bfd, int stop_fd, unsigned int toggle_every,
	      unsigned long max, struct abi_agent_stats *st);

/*
 * Agent threads in this process: @nslots bindings of ABI_POOL made with
 * @key, a card in each, one thread per binding running abi_serve().
 */
struct abi_agent {
	int nslots;
	struct abi_bound b[VSCARD_POOL_SLOTS_MAX];
	pthread_t th[VSCARD_POOL_SLOTS_MAX];
	int stop_fd;
	unsigned int toggle_every;	/* set before abi_agent_run() */
	struct abi_agent_stats st;
	bool running;
};

/* Bind and insert the cards (no thread yet); 0 or -errno. */
int abi_agent_bind(struct abi_agent *ag, int nslots, const char *key);
/* Start the threads. */
int abi_agent_run(struct abi_agent *ag);
/* Both. */
int abi_agent_start(struct abi_agent *ag, int nslots, const char *key);
/* Stop the threads and close the binding files (the bindings end). */
void abi_agent_stop(struct abi_agent *ag);
/* Open agent slot @i's device. */
int abi_agent_open_slot(struct abi_agent *ag, int i);

/* ------------------------------------------------------------------ */
/* Child processes (other uids, fd holders)                            */
/* ------------------------------------------------------------------ */

/*
 * A forked child running @fn(sock, arg) where @sock is its end of a
 * SOCK_SEQPACKET socket pair; c->sock is the parent's.  With uid != 0
 * the child drops every privilege first (setgroups, setresgid,
 * setresuid: no capability left) and checks CapEff.  Its PASS/FAIL lines
 * are printed by the child and its counts added to the parent's in
 * abi_child_wait().  @fn's return value is the child's exit status.
 */
struct abi_child {
	pid_t pid;
	int sock;
	int tap_fd;
};

int abi_child_start(struct abi_child *c, uid_t uid, gid_t gid,
		    int (*fn)(int sock, void *arg), void *arg);
/* In a child: hand the counts so far to the parent (before a risky step). */
void abi_child_report(void);
/* Reap the child; returns its wait status (-1 if it was never started). */
int abi_child_wait(struct abi_child *c);
/* Send / receive one datagram (-errno; receive waits up to 60 s). */
int abi_send(int sock, const void *buf, size_t len);
int abi_recv(int sock, void *buf, size_t len);
int abi_send_u64(int sock, uint64_t v);
/* (uint64_t)-1 on failure. */
uint64_t abi_recv_u64(int sock);
/* SCM_RIGHTS: pass @fd along with a u64 @tag. */
int abi_send_fd(int sock, int fd, uint64_t tag);
/* The fd received (or -errno); *tag may be NULL. */
int abi_recv_fd(int sock, uint64_t *tag);
/* CapEff line of /proc/self/status, "" if not found. */
void abi_capeff(char *buf, size_t len);
/* Read a whole small file; -errno of open/read. */
int abi_read_file(const char *path, char *buf, size_t len);

/* The tests, one per file group. */
void t_status(void);
void t_xfer(void);
void t_bfile(void);
void t_priv(void);
void t_death(void);
void t_linger(void);
void t_stress(void);

#endif /* VSCARD_ABI_H */
