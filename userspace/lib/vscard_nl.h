/* SPDX-License-Identifier: MIT */
/*
 * libvscard: a small client library for the vscard ABI (uapi/linux/vscard.h):
 * the "vscard" generic netlink family (the control plane: pools, slots,
 * BIND, UNBIND, events) and the binding file that BIND returns (the data
 * plane: requests in, completions and card states out).  Used by
 * vscardctl, the agent, the test card agent, the ABI and IFD tests.
 *
 * Conventions:
 *  - every function returning int returns 0 (or a count) on success and a
 *    negative errno on failure; the kernel's errno is passed through as is;
 *  - after a failed command, vscard_nl_errmsg() gives the kernel's extack
 *    message ("" if it sent none);
 *  - one struct vscard_nl per netlink socket, no global state; a context is
 *    not thread-safe (use one per thread);
 *  - events (EVENT, admin only) that arrive while a command waits for its
 *    reply are queued inside the context.  An epoll user must therefore
 *    call vscard_nl_next() until it returns -EAGAIN both when the fd is
 *    readable and after issuing commands (vscard_nl_queued() tells whether
 *    anything is queued);
 *  - the vscard_binding_*() helpers only read and write a binding file:
 *    they need no context and may be used from any thread.
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
 * attributes are ignored.  Nothing in it is allocated, but callers pair
 * every parse with vscard_attrs_release() so that one can be added later.
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
	uint32_t event;
	uint32_t fd;			/* BIND reply: the binding file */
	uint32_t binder_uid;
	uint32_t binder_pid;
	uint32_t pending;
	struct vscard_stats stats;
};

static inline bool vscard_attrs_has(const struct vscard_attrs *a, int attr)
{
	return attr > 0 && attr < 64 && (a->present >> attr) & 1;
}

/*
 * Parse a stream of attributes (the payload after the genetlink header).
 * Returns 0, or -EPROTO if an attribute has the wrong size.
 */
int vscard_attrs_parse(const struct nlattr *head, int len,
		       struct vscard_attrs *out);
/* Parse a whole netlink message (nlmsghdr + genlmsghdr + attributes). */
int vscard_attrs_parse_msg(const void *nlh, size_t len,
			   struct vscard_attrs *out);
void vscard_attrs_release(struct vscard_attrs *a);

/* ------------------------------------------------------------------ */
/* Socket                                                              */
/* ------------------------------------------------------------------ */

#define VSCARD_NL_EVENTS	(1U << 0)	/* join the "events" group */
#define VSCARD_NL_NONBLOCK	(1U << 1)	/* vscard_nl_next() never blocks */

/*
 * Open a generic netlink socket, resolve the family (and the events group
 * with VSCARD_NL_EVENTS), check its version, enable extended acks.
 * @local_port: 0 for automatic, else the netlink portid to bind to.
 * Returns 0 or -errno: -ENOENT the family is not registered (module not
 * loaded); -EPROTONOSUPPORT the module's ABI major version is not
 * VSCARD_ABI_MAJOR; -EPERM joining the events group needs CAP_NET_ADMIN.
 * vscard_nl_open_strerror() words these for a user.
 */
int vscard_nl_open(struct vscard_nl **out, unsigned int flags,
		   uint32_t local_port);
/* A user-facing explanation of a vscard_nl_open() error. */
const char *vscard_nl_open_strerror(int err);
void vscard_nl_close(struct vscard_nl *nl);
int vscard_nl_fd(const struct vscard_nl *nl);
uint32_t vscard_nl_portid(const struct vscard_nl *nl);
int vscard_nl_family(const struct vscard_nl *nl);
/* The family version: VSCARD_ABI_VERSION of the module (same major). */
uint32_t vscard_nl_version(const struct vscard_nl *nl);
/* extack message of the last failed command, "" if none. */
const char *vscard_nl_errmsg(const struct vscard_nl *nl);
/* extack: missing attribute type of the last failure, 0 if none. */
uint32_t vscard_nl_err_missing(const struct vscard_nl *nl);

/* ------------------------------------------------------------------ */
/* Raw transactions (used by the commands below and by ABI tests)      */
/* ------------------------------------------------------------------ */

/* Called for each reply message.  A non-zero return stops delivery and
 * becomes the result unless the kernel reported an error. */
typedef int (*vscard_nl_reply_fn)(struct vscard_attrs *a, void *arg);

/* New request message for @cmd; @nlm_flags e.g. NLM_F_DUMP; @room bytes
 * of attribute payload are preallocated. NULL on ENOMEM. */
struct nl_msg *vscard_nl_msg(struct vscard_nl *nl, uint8_t cmd, int nlm_flags,
			     size_t room);
/* Send @msg (always consumed), wait for its ack or dump end, call @fn for
 * each reply.  Returns 0 or the kernel's -errno; -ENOBUFS when the answer
 * was lost to a receive overrun (the socket's buffer was full: events). */
int vscard_nl_transact(struct vscard_nl *nl, struct nl_msg *msg,
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
};

/* What BIND returns: the slot, its new epoch and the binding file. */
struct vscard_bound {
	uint32_t slot;
	uint64_t epoch;
	int fd;				/* O_CLOEXEC; the caller closes it */
};

/*
 * BIND: on success *out describes the binding (NULL: the binding file is
 * closed at once, which only tests want).  The binding file (see
 * vscard_binding_*() below) is the binding: closing it ends the binding,
 * with the linger time given here.  The file is blocking; set O_NONBLOCK
 * with fcntl() for an event loop.  If the reply is lost (-ENOBUFS, the
 * socket overran: only possible on a context that also takes events) the
 * kernel has still installed the file, with a number this call cannot
 * know: bind on a context without VSCARD_NL_EVENTS.
 */
int vscard_nl_bind(struct vscard_nl *nl, const struct vscard_bind *b,
		   struct vscard_bound *out);
/* End the binding (or linger) of a slot now, with no linger. */
int vscard_nl_unbind(struct vscard_nl *nl, uint32_t pool, uint32_t slot);

/* ------------------------------------------------------------------ */
/* Binding files (agent side, no netlink)                              */
/* ------------------------------------------------------------------ */

/* One message read from a binding file: header and command bytes. */
struct vscard_req_buf {
	struct vscard_msg msg;
	uint8_t data[VSCARD_DATA_MAX];
};

/*
 * Read the next message into @m: a request (m->msg.type an enum
 * vscard_req_type, m->msg.len command bytes in m->data) or a cancel notice
 * (VSCARD_MSG_CANCEL: request m->msg.id timed out).  Returns 0; -EAGAIN
 * nothing queued (O_NONBLOCK file); -ENODEV the binding has ended (end of
 * file); -EPROTO a message shorter than its header says; another -errno
 * of read() (-EINTR is retried).
 */
int vscard_binding_read(int fd, struct vscard_req_buf *m);

struct vscard_done {
	uint64_t req_id;
	int32_t status;			/* 0 or -errno */
	uint32_t result;
	uint32_t protocols;
	const void *data;		/* status 0: the response */
	size_t len;			/* status 0: its length; -ENOBUFS: the
					 * length needed (at most
					 * VSCARD_DATA_MAX is sent); else
					 * ignored */
};

/*
 * Complete a request: one writev() of struct vscard_cmd_done and the
 * response bytes (status 0), which the kernel copies straight from @d->data.
 * Returns 0; -ENOENT unknown, late or duplicate id (normal after a timeout
 * or a card change: ignore it); -ENODEV the binding has ended; -EINVAL
 * malformed (also refused here: status 0 with more than VSCARD_DATA_MAX
 * bytes or without data, a positive status); another -errno of writev().
 */
int vscard_binding_done(int fd, const struct vscard_done *d);

struct vscard_card {
	bool present;
	const uint8_t *atr;		/* present: 1..VSCARD_ATR_MAX bytes */
	size_t atr_len;
	uint32_t protocols;		/* VSCARD_PROTO_* */
};

/*
 * Report the card state (struct vscard_cmd_card).  Returns 0; -EINVAL a
 * present card without a 1..VSCARD_ATR_MAX byte ATR (refused here), or
 * refused by the kernel; -ENODEV the binding has ended.
 */
int vscard_binding_card(int fd, const struct vscard_card *c);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/*
 * Next EVENT message (contexts opened with VSCARD_NL_EVENTS, which needs
 * CAP_NET_ADMIN): from the internal queue first, then from the socket.
 * Returns 0 with *out filled (release with vscard_attrs_release()),
 * -EAGAIN when nothing is available (non-blocking contexts), -ENOBUFS once
 * after the socket overran (events were lost: dump to resynchronise).
 */
int vscard_nl_next(struct vscard_nl *nl, struct vscard_attrs *out);
/*
 * Number of queued events (plus one for an overrun not yet reported).
 * Non-zero after a command: call vscard_nl_next() before sleeping on the
 * fd, which will not wake up for them.
 */
size_t vscard_nl_queued(const struct vscard_nl *nl);

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *vscard_cmd_name(unsigned int cmd);
const char *vscard_event_name(unsigned int event);
/* enum vscard_req_type, and "cancel" for VSCARD_MSG_CANCEL. */
const char *vscard_req_type_name(unsigned int type);

#endif /* VSCARD_NL_H */
