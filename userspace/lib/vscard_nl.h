/* SPDX-License-Identifier: MIT */
/*
 * libvscard: a small client library for the "vscard" generic netlink family
 * (uapi/linux/vscard.h).  Used by vscardctl, the test card agent, the ABI
 * tests, the IFD tests and the agent.
 *
 * Conventions:
 *  - every function returning int returns 0 (or a count) on success and a
 *    negative errno on failure; the kernel's errno is passed through as is;
 *  - after a failed command, vscard_nl_errmsg() gives the kernel's extack
 *    message ("" if it sent none);
 *  - one struct vscard_nl per netlink socket, no global state; a context is
 *    not thread-safe (use one per thread);
 *  - unsolicited messages (REQ_NOTIFY, REQ_CANCEL, EVENT) that arrive while
 *    a command waits for its reply are queued inside the context.  An epoll
 *    user must therefore call vscard_nl_next() until it returns -EAGAIN both
 *    when the fd is readable and after issuing commands
 *    (vscard_nl_queued() tells whether anything is queued).
 *
 * Link with build/lib/libvscard.a (or libvscard-san.a for sanitizer
 * builds) and `pkg-config --libs libnl-genl-3.0`; add -Iuserspace/lib.
 */
#ifndef VSCARD_NL_H
#define VSCARD_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vscard.h>

struct nl_msg;
struct nlattr;
struct vscard_nl;

/* ------------------------------------------------------------------ */
/* Parsed attributes                                                   */
/* ------------------------------------------------------------------ */

/*
 * Every message of the family is parsed into this one flat view.  Bit n of
 * @present is set when attribute n (enum vscard_attr) was present; unknown
 * attributes are ignored.  @data is the concatenation of every VSCARD_A_DATA
 * attribute, malloc()ed (NULL when there was none); release it with
 * vscard_attrs_release().
 */
struct vscard_stats {
	uint64_t present;		/* bit n: VSCARD_STAT_n present */
	uint64_t requests;
	uint64_t completed;
	uint64_t timeouts;
	uint64_t aborted;
	uint64_t stale_completions;
	uint64_t binds;
};

struct vscard_attrs {
	uint8_t cmd;			/* genetlink command of the message */
	uint64_t present;
	uint32_t abi_version;
	uint32_t pool;
	uint32_t slot;
	uint32_t slots;
	uint32_t uid;
	uint32_t gid;
	uint32_t minor;
	uint8_t key[VSCARD_KEY_MAX];
	uint32_t key_len;
	uint64_t key_hash;
	char reader_name[VSCARD_NAME_MAX];
	uint32_t linger_ms;
	uint32_t timeout_ms;
	uint64_t epoch;
	uint32_t flags;
	uint64_t seq;
	uint64_t insert_count;
	uint32_t card_state;
	uint8_t atr[VSCARD_ATR_MAX];
	uint32_t atr_len;
	uint32_t protocols;
	uint64_t req_id;
	uint32_t req_type;
	uint32_t req_code;
	uint32_t req_rx_max;
	int32_t status;
	uint32_t result;
	uint32_t event;
	uint32_t owner_portid;
	uint32_t pending;
	struct vscard_stats stats;
	uint32_t data_chunks;		/* number of VSCARD_A_DATA attributes */
	size_t data_len;
	uint8_t *data;
};

static inline bool vscard_attrs_has(const struct vscard_attrs *a, int attr)
{
	return attr > 0 && attr < 64 && (a->present >> attr) & 1;
}

/*
 * Parse a stream of attributes (the payload after the genetlink header).
 * Returns 0, -EPROTO if an attribute has the wrong size, -ENOMEM.
 * On failure nothing needs releasing.
 */
int vscard_attrs_parse(const struct nlattr *head, int len,
		       struct vscard_attrs *out);
/* Parse a whole netlink message (nlmsghdr + genlmsghdr + attributes). */
int vscard_attrs_parse_msg(const void *nlh, size_t len,
			   struct vscard_attrs *out);
void vscard_attrs_release(struct vscard_attrs *a);

/* ------------------------------------------------------------------ */
/* Data chunking                                                       */
/* ------------------------------------------------------------------ */

/*
 * Append @len bytes as VSCARD_A_DATA attributes of at most @chunk bytes
 * (0 = VSCARD_DATA_CHUNK).  Nothing is added when @len is 0.
 * Returns the number of attributes added or -EMSGSIZE.
 */
int vscard_put_data(struct nl_msg *msg, const void *data, size_t len,
		    size_t chunk);
/* Bytes of message payload needed for @len data bytes in @chunk chunks. */
size_t vscard_data_room(size_t len, size_t chunk);

/* ------------------------------------------------------------------ */
/* Socket                                                              */
/* ------------------------------------------------------------------ */

#define VSCARD_NL_EVENTS	(1U << 0)	/* join the "events" group */
#define VSCARD_NL_NONBLOCK	(1U << 1)	/* vscard_nl_next() never blocks */

/*
 * Open a generic netlink socket, resolve the family (and the events group
 * with VSCARD_NL_EVENTS), enable extended acks, size the buffers for
 * 64 KiB+ messages.  @local_port: 0 for automatic, else the netlink portid
 * to bind to (tests use it to force portid reuse).
 * Returns 0 or -errno (-ENOENT: family not registered, module not loaded).
 */
int vscard_nl_open(struct vscard_nl **out, unsigned int flags,
		   uint32_t local_port);
void vscard_nl_close(struct vscard_nl *nl);
int vscard_nl_fd(const struct vscard_nl *nl);
uint32_t vscard_nl_portid(const struct vscard_nl *nl);
int vscard_nl_family(const struct vscard_nl *nl);
/* The family version: VSCARD_ABI_VERSION (a 1.0 module reports 1). */
uint32_t vscard_nl_version(const struct vscard_nl *nl);
/* extack message of the last failed command, "" if none. */
const char *vscard_nl_errmsg(const struct vscard_nl *nl);
/* extack: missing attribute type of the last failure, 0 if none. */
uint32_t vscard_nl_err_missing(const struct vscard_nl *nl);
/* Number of receive overruns (ENOBUFS) seen so far. */
uint64_t vscard_nl_overruns(const struct vscard_nl *nl);
/* Failed commands sent without an ack; *last (may be NULL): the newest. */
uint64_t vscard_nl_async_errors(const struct vscard_nl *nl, int *last);

/* ------------------------------------------------------------------ */
/* Raw transactions (used by the commands below and by ABI tests)      */
/* ------------------------------------------------------------------ */

/* Called for each reply message; may take ownership of a->data (set it to
 * NULL).  A non-zero return stops delivery and becomes the result unless
 * the kernel reported an error. */
typedef int (*vscard_nl_reply_fn)(struct vscard_attrs *a, void *arg);

/* New request message for @cmd; @nlm_flags e.g. NLM_F_DUMP; @room bytes
 * of attribute payload are preallocated. NULL on ENOMEM. */
struct nl_msg *vscard_nl_msg(struct vscard_nl *nl, uint8_t cmd, int nlm_flags,
			     size_t room);
/* Send @msg (always consumed), wait for its ack or dump end, call @fn for
 * each reply.  Returns 0 or the kernel's -errno; -ENOBUFS when the answer
 * was lost to a receive overrun (the socket's buffer was full). */
int vscard_nl_transact(struct vscard_nl *nl, struct nl_msg *msg,
		       vscard_nl_reply_fn fn, void *arg);
/* Same for a command answered by exactly one reply message (no
 * NLM_F_ACK requested, so no separate ack datagram). */
int vscard_nl_transact_noack(struct vscard_nl *nl, struct nl_msg *msg,
			     vscard_nl_reply_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* uid/gid: NULL to let the kernel choose. */
int vscard_nl_pool_new(struct vscard_nl *nl, uint32_t slots,
		       const uint32_t *uid, const uint32_t *gid,
		       uint32_t *pool_out);
int vscard_nl_pool_del(struct vscard_nl *nl, uint32_t pool);
int vscard_nl_pool_get(struct vscard_nl *nl, uint32_t pool,
		       struct vscard_attrs *out);
int vscard_nl_pool_dump(struct vscard_nl *nl, vscard_nl_reply_fn fn,
			void *arg);
int vscard_nl_slot_get(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		       struct vscard_attrs *out);
/* @pool: NULL for every pool. */
int vscard_nl_slot_dump(struct vscard_nl *nl, const uint32_t *pool,
			vscard_nl_reply_fn fn, void *arg);

struct vscard_bind {
	uint32_t pool;
	int32_t slot;			/* -1: let the kernel pick */
	const void *key;
	size_t key_len;
	const char *reader_name;
	int64_t linger_ms;		/* -1: not sent */
	int64_t timeout_ms;		/* -1: not sent */
	/*
	 * Ask for REQ_PUSH (ABI 1.2; not sent to an older module).  An agent
	 * must still honour REQ_NOTIFY: a request that cannot be pushed
	 * takes the REQ_GET path.
	 */
	bool push;
};

/* On success *slot_out / *epoch_out (may be NULL) get the kernel's reply. */
int vscard_nl_bind(struct vscard_nl *nl, const struct vscard_bind *b,
		   uint32_t *slot_out, uint64_t *epoch_out);
/* @linger_ms: -1 not sent. */
int vscard_nl_unbind(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		     int64_t linger_ms);

struct vscard_card {
	bool present;
	const uint8_t *atr;		/* NULL/0: not sent */
	size_t atr_len;
	int64_t protocols;		/* -1: not sent */
};

int vscard_nl_card_set(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		       const struct vscard_card *c);

/* ------------------------------------------------------------------ */
/* Requests (agent side)                                               */
/* ------------------------------------------------------------------ */

/*
 * Fetch the oldest unfetched request of any slot this socket owns.
 * Returns 0 with *req filled (release with vscard_attrs_release()),
 * -ENOENT when there is none.
 */
int vscard_nl_req_get(struct vscard_nl *nl, struct vscard_attrs *req);

struct vscard_done {
	uint32_t pool;
	uint32_t slot;
	uint64_t req_id;
	int32_t status;			/* 0 or -errno */
	int64_t result;			/* -1: not sent */
	int64_t protocols;		/* -1: not sent */
	const void *data;
	size_t len;
};

int vscard_nl_req_done(struct vscard_nl *nl, const struct vscard_done *d);
/*
 * The same without waiting for the kernel's answer (no ack requested):
 * returns only local errors.  A failed completion comes back later as an
 * error message, which the library counts (vscard_nl_async_errors()).
 * -ENOENT there is normal: the request timed out or was aborted.
 */
int vscard_nl_req_done_async(struct vscard_nl *nl, const struct vscard_done *d);

/*
 * Complete @d and fetch the next request in one round trip (REQ_NEXT,
 * ABI 1.1; emulated with REQ_DONE + REQ_GET on an older module).
 * Returns 0 with *next filled, next->req_id == 0 when nothing is queued
 * (the slots' hints are re-armed); a negative error when the completion
 * failed or nothing could be fetched: continue with vscard_nl_req_get().
 */
int vscard_nl_req_done_next(struct vscard_nl *nl, const struct vscard_done *d,
			    struct vscard_attrs *next);

/*
 * An agent's loop step: vscard_nl_req_done_next(), then, when that found
 * nothing queued or the completion was stale (-ENOENT: the request timed
 * out or was aborted meanwhile), one more look with REQ_GET, which
 * catches a caller just sending its next request more cheaply than a
 * hint does.  Returns 0 with *next filled (next->req_id == 0: nothing
 * queued, the hints are re-armed) or a negative error.
 */
int vscard_nl_req_done_fetch(struct vscard_nl *nl, const struct vscard_done *d,
			     struct vscard_attrs *next);

/* ------------------------------------------------------------------ */
/* Unsolicited messages                                                */
/* ------------------------------------------------------------------ */

/*
 * Next REQ_PUSH / REQ_NOTIFY / REQ_CANCEL / EVENT message: from the internal queue
 * first, then from the socket.  Returns 0 with *out filled (check
 * out->cmd; release with vscard_attrs_release()), -EAGAIN when nothing is
 * available (non-blocking contexts), -ENOBUFS once after the socket
 * overran (messages were lost: an agent should drain REQ_GET anyway).
 */
int vscard_nl_next(struct vscard_nl *nl, struct vscard_attrs *out);
/*
 * Number of queued unsolicited messages (plus one for an overrun not yet
 * reported).  Non-zero after a command: call vscard_nl_next() before
 * sleeping on the fd, which will not wake up for them.
 */
size_t vscard_nl_queued(const struct vscard_nl *nl);

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *vscard_cmd_name(unsigned int cmd);
const char *vscard_event_name(unsigned int event);
const char *vscard_req_type_name(unsigned int type);

#endif /* VSCARD_NL_H */
