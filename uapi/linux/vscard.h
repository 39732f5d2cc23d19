/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vscard: remote (RDP-redirected) smart-card readers as local reader slots.
 *
 * This header is the only definition of the vscard ABI:
 *
 *  - the character device /dev/vscardN (one per reader slot), used by the
 *    pcscd IFD handler through the VSCARD_IOC_* ioctls and poll();
 *  - the generic netlink family "vscard", the control plane: pools, BIND,
 *    dumps and events, used by the per-session agent (vscard-agent) and by
 *    vscardctl;
 *  - the binding file, the data plane: BIND installs it in the caller as a
 *    file descriptor; the agent read()s requests from it, write()s
 *    completions and card states to it, and close()s it when it is gone.
 *
 * Documentation/vscard.rst describes the object model, ownership, the
 * request life cycle and the locking rules.  Documentation/netlink/vscard.yaml
 * describes the netlink family in the kernel's YAML spec format.
 *
 * VSCARD_ABI_VERSION is returned by VSCARD_IOC_VERSION and is the genetlink
 * family version.  Additions keep binaries working (new attributes, new
 * commands, new message types); an incompatible change bumps the major
 * version (upper 16 bits).
 */
#ifndef _UAPI_LINUX_VSCARD_H
#define _UAPI_LINUX_VSCARD_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VSCARD_ABI_MAJOR	2
#define VSCARD_ABI_MINOR	0
#define VSCARD_ABI_VERSION	((VSCARD_ABI_MAJOR << 16) | VSCARD_ABI_MINOR)

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

/* ISO 7816-3 answer-to-reset: at most 33 bytes. */
#define VSCARD_ATR_MAX		33
/* Remote reader name, including the terminating NUL. */
#define VSCARD_NAME_MAX		128
/* Session key: opaque bytes chosen by the agent. */
#define VSCARD_KEY_MIN		1
#define VSCARD_KEY_MAX		64
/*
 * Largest command or response carried by one request.  65548 is pcsc-lite's
 * MAX_BUFFER_SIZE_EXTENDED (4 header + 3 Lc + 65536 data + 3 Le + 2 SW),
 * enough for every extended APDU in both directions.
 */
#define VSCARD_DATA_MAX		65548
/* Slots per pool: pcscd 1.9.9 serves at most 16 readers per instance. */
#define VSCARD_POOL_SLOTS_MAX	16
/* Requests queued or in flight per slot; one more fails with -EBUSY. */
#define VSCARD_SLOT_REQS_MAX	32

/* ------------------------------------------------------------------------ */
/* Character device /dev/vscardN                                             */
/* ------------------------------------------------------------------------ */

/* struct vscard_status.flags */
#define VSCARD_STATUS_BOUND	0x1U	/* a remote reader is bound */
#define VSCARD_STATUS_PRESENT	0x2U	/* a card is in the remote reader */
#define VSCARD_STATUS_POWERED	0x4U	/* last power request succeeded */
#define VSCARD_STATUS_LINGERING	0x8U	/* agent gone, slot reserved for its session */

/* Protocol bits (struct vscard_status.protocols / active_protocol). */
#define VSCARD_PROTO_T0		0x1U
#define VSCARD_PROTO_T1		0x2U
#define VSCARD_PROTO_RAW	0x4U

/**
 * struct vscard_status - snapshot of a slot, read by VSCARD_IOC_GET_STATUS
 * @seq:	event sequence; changes on every state change of the slot
 *		(bind, unbind, linger, card in/out, ATR, power).  Compare with
 *		!=, never <.
 * @insert_count: number of card insertions seen by this slot.  A removal
 *		followed by an insertion between two reads shows up as a new
 *		value even when both reads say "present".
 * @epoch:	binding epoch: incremented on every bind; 0 if never bound.
 * @flags:	VSCARD_STATUS_*.
 * @pool:	pool id.
 * @slot:	slot index within the pool.
 * @protocols:	VSCARD_PROTO_* the remote card supports (0 if no card).
 * @active_protocol: VSCARD_PROTO_* negotiated by the last power request.
 * @atr_len:	valid bytes in @atr (0 if no card).
 * @atr:	answer-to-reset of the remote card.
 * @reader_name: NUL-terminated name of the bound remote reader ("" if none).
 *
 * Reading the status also marks it "seen" for this open file: poll()
 * reports EPOLLIN | EPOLLPRI while the slot's @seq differs from the @seq
 * this file last read.
 */
struct vscard_status {
	__u64 seq;
	__u64 insert_count;
	__u64 epoch;
	__u32 flags;
	__u32 pool;
	__u32 slot;
	__u32 protocols;
	__u32 active_protocol;
	__u32 atr_len;
	__u8  atr[40];
	char  reader_name[VSCARD_NAME_MAX];
};

/**
 * struct vscard_wait - argument of VSCARD_IOC_WAIT_STATUS
 * @seq:	in: the sequence the caller last saw; out: the current one.
 * @timeout_ms:	how long to wait; 0 = do not sleep.
 * @flags:	must be 0.
 *
 * Returns 0 as soon as the slot's sequence differs from @seq (at once if it
 * already does), -ETIMEDOUT when the timeout expires first, -ENODEV if the
 * slot is destroyed.  A signal interrupts the wait; the call is restarted
 * (SA_RESTART) or fails with -EINTR.
 */
struct vscard_wait {
	__u64 seq;
	__u32 timeout_ms;
	__u32 flags;
};

/* struct vscard_xfer.code for VSCARD_IOC_POWER */
#define VSCARD_POWER_UP		1	/* power up (cold); returns the ATR */
#define VSCARD_POWER_DOWN	2	/* power down */
#define VSCARD_POWER_RESET	3	/* warm reset; returns the ATR */

/**
 * struct vscard_xfer - one request to the remote reader
 * @tx_ptr:	user pointer to the command bytes (may be 0 if @tx_len is 0).
 * @rx_ptr:	user pointer to the response buffer.
 * @tx_len:	command length, at most VSCARD_DATA_MAX.
 * @rx_len:	in: size of the response buffer; out: response length.
 * @code:	POWER: VSCARD_POWER_*; TRANSMIT: VSCARD_PROTO_T0 or _T1;
 *		CONTROL: pcsc-lite control code (SCARD_CTL_CODE(n) =
 *		0x42000000 + n); GET_ATTRIB / SET_ATTRIB: SCARD_ATTR_* id.
 * @timeout_ms:	deadline for this request; 0 = the binding's default.  The
 *		kernel caps it at its request_timeout_max_ms parameter.
 * @insert_count: 0, or the insert_count the caller believes is current; if
 *		the card was removed or replaced since, the request fails with
 *		-ENOMEDIUM before it reaches the remote side.
 * @result:	out: the remote side's status word (for example a PC/SC
 *		SCARD_* code); informational, 0 on success.
 * @reserved:	must be 0.
 *
 * Errors: -ENOMEDIUM no card, slot unbound or lingering, or the card
 * changed; -ETIMEDOUT the deadline passed (the agent is told to cancel);
 * -ENOBUFS the response did not fit in @rx_len (@rx_len then holds the
 * length needed, when the agent reported it); -EBUSY VSCARD_SLOT_REQS_MAX
 * requests already outstanding; -EIO the remote side failed the request
 * (@result says why); -ENODEV the slot was destroyed; -ENOMEM the kernel
 * could not allocate the request; -EINTR only for a fatal signal.
 * Ordinary signals do not abort a request: once queued it may already be
 * on its way to the card, so the call cannot be restarted.
 */
struct vscard_xfer {
	__u64 tx_ptr;
	__u64 rx_ptr;
	__u32 tx_len;
	__u32 rx_len;
	__u32 code;
	__u32 timeout_ms;
	__u64 insert_count;
	__u32 result;
	__u32 reserved;
};

#define VSCARD_IOC_MAGIC	0xB8	/* unassigned in ioctl-number.rst */

#define VSCARD_IOC_VERSION	_IOR(VSCARD_IOC_MAGIC, 0x00, __u32)
#define VSCARD_IOC_GET_STATUS	_IOR(VSCARD_IOC_MAGIC, 0x01, struct vscard_status)
#define VSCARD_IOC_WAIT_STATUS	_IOWR(VSCARD_IOC_MAGIC, 0x02, struct vscard_wait)
#define VSCARD_IOC_POWER	_IOWR(VSCARD_IOC_MAGIC, 0x03, struct vscard_xfer)
#define VSCARD_IOC_TRANSMIT	_IOWR(VSCARD_IOC_MAGIC, 0x04, struct vscard_xfer)
#define VSCARD_IOC_CONTROL	_IOWR(VSCARD_IOC_MAGIC, 0x05, struct vscard_xfer)
#define VSCARD_IOC_GET_ATTRIB	_IOWR(VSCARD_IOC_MAGIC, 0x06, struct vscard_xfer)
#define VSCARD_IOC_SET_ATTRIB	_IOWR(VSCARD_IOC_MAGIC, 0x07, struct vscard_xfer)

/* ------------------------------------------------------------------------ */
/* The binding file                                                          */
/* ------------------------------------------------------------------------ */

/*
 * BIND (below) returns a binding as a file descriptor (O_CLOEXEC) installed
 * in the calling process.  The file is the binding: whoever holds it serves
 * the slot, wherever it was passed (fork, SCM_RIGHTS).  The last close()
 * ends the binding: the slot lingers for the binding's session key if the
 * BIND asked for a linger time, and every request still pending fails at
 * once with -ENOMEDIUM.
 *
 * read(): the next message, struct vscard_msg followed by @len bytes.  One
 * message per call; the buffer must hold the whole message (a buffer of
 * VSCARD_MSG_MAX bytes always does), otherwise read() fails with -EMSGSIZE
 * and the message stays first in line.  Blocks until a message is queued
 * unless O_NONBLOCK (-EAGAIN).  Returns 0 (end of file) once the binding
 * has ended (admin UNBIND, pool deleted, slot destroyed).
 *
 * write(): one command per call, struct vscard_cmd_done (+ data) or
 * struct vscard_cmd_card; returns the bytes written.  Errors: -EINVAL
 * malformed command; -ENOENT a completion for an unknown, late or duplicate
 * request id (normal after a timeout or a card change: ignore it);
 * -ENODEV the binding has ended.
 *
 * poll(): EPOLLIN | EPOLLRDNORM while a message is queued; EPOLLOUT |
 * EPOLLWRNORM always; EPOLLHUP | EPOLLIN once the binding has ended (read()
 * returns end of file).
 */

/* struct vscard_msg.type: the enum vscard_req_type values, and: */
#define VSCARD_MSG_CANCEL	0x100	/* request @id timed out: stop it */

/**
 * struct vscard_msg - a message read from a binding file
 * @id:		request id; a completion must quote it.  Never reused while
 *		the request is pending; ids of earlier bindings of the slot
 *		never match.
 * @type:	enum vscard_req_type, or VSCARD_MSG_CANCEL (the request @id,
 *		read earlier, passed its deadline: its caller has been failed
 *		with -ETIMEDOUT, a completion would get -ENOENT).
 * @code:	struct vscard_xfer.code of the request.
 * @rx_max:	the largest response the caller accepts.
 * @len:	command bytes following this header.
 */
struct vscard_msg {
	__u64 id;
	__u32 type;
	__u32 code;
	__u32 rx_max;
	__u32 len;
};

#define VSCARD_MSG_MAX		(sizeof(struct vscard_msg) + VSCARD_DATA_MAX)

/* Commands written to a binding file: the first __u32 of each. */
#define VSCARD_BCMD_DONE	1	/* struct vscard_cmd_done */
#define VSCARD_BCMD_CARD	2	/* struct vscard_cmd_card */

/**
 * struct vscard_cmd_done - complete a request
 * @cmd:	VSCARD_BCMD_DONE.
 * @status:	0, or a negative errno the caller's ioctl returns (> -4096;
 *		the kernel-internal -ERESTART* codes are refused).
 * @id:		struct vscard_msg.id of the request.
 * @result:	remote status word, passed to the caller (vscard_xfer.result).
 * @protocols:	power requests: the VSCARD_PROTO_* negotiated (0: none).
 * @len:	@status 0: the response bytes following this header (at most
 *		VSCARD_DATA_MAX; more than the request's rx_max fails the
 *		caller with -ENOBUFS).  @status -ENOBUFS: the response length
 *		the remote side needs, reported to the caller in rx_len; no
 *		bytes follow.  Other statuses: 0.
 * @reserved:	must be 0.
 */
struct vscard_cmd_done {
	__u32 cmd;
	__s32 status;
	__u64 id;
	__u32 result;
	__u32 protocols;
	__u32 len;
	__u32 reserved;
};

/* struct vscard_cmd_card.state */
enum vscard_card_state {
	VSCARD_CARD_ABSENT = 0,
	VSCARD_CARD_PRESENT = 1,
};

/**
 * struct vscard_cmd_card - report the remote card's state
 * @cmd:	VSCARD_BCMD_CARD.
 * @state:	enum vscard_card_state.
 * @protocols:	VSCARD_PROTO_* the card supports (present only).
 * @atr_len:	valid bytes in @atr, 1..VSCARD_ATR_MAX (present), 0 (absent).
 * @atr:	answer-to-reset.
 *
 * An insertion, or a new ATR while present, counts as an insertion; a
 * removal or a replacement fails the slot's pending requests with
 * -ENOMEDIUM.
 */
struct vscard_cmd_card {
	__u32 cmd;
	__u32 state;
	__u32 protocols;
	__u32 atr_len;
	__u8  atr[40];
};

/* ------------------------------------------------------------------------ */
/* Generic netlink family "vscard"                                           */
/* ------------------------------------------------------------------------ */

#define VSCARD_GENL_NAME	"vscard"
/* genlmsghdr.version (8 bits); the family version is VSCARD_ABI_VERSION. */
#define VSCARD_GENL_VERSION	VSCARD_ABI_MAJOR
/* Multicast group of VSCARD_CMD_EVENT; joining needs CAP_NET_ADMIN. */
#define VSCARD_MCGRP_EVENTS	"events"

/* Request types: struct vscard_msg.type (mirror the ioctl that made them). */
enum vscard_req_type {
	VSCARD_REQ_POWER = 1,
	VSCARD_REQ_TRANSMIT,
	VSCARD_REQ_CONTROL,
	VSCARD_REQ_GET_ATTRIB,
	VSCARD_REQ_SET_ATTRIB,
	__VSCARD_REQ_MAX,
};

/* VSCARD_A_EVENT, in VSCARD_CMD_EVENT multicasts on the "events" group. */
enum vscard_event {
	VSCARD_EVENT_POOL_NEW = 1,
	VSCARD_EVENT_POOL_DEL,
	VSCARD_EVENT_BIND,
	VSCARD_EVENT_UNBIND,
	VSCARD_EVENT_LINGER,		/* binding file closed, slot reserved */
	VSCARD_EVENT_CARD_IN,
	VSCARD_EVENT_CARD_OUT,
	VSCARD_EVENT_REQ_TIMEOUT,
	__VSCARD_EVENT_MAX,
};

enum vscard_attr {
	VSCARD_A_UNSPEC,
	VSCARD_A_PAD,
	VSCARD_A_ABI_VERSION,	/* u32: VSCARD_ABI_VERSION (pool dumps) */
	VSCARD_A_POOL,		/* u32: pool id */
	VSCARD_A_SLOT,		/* u32: slot index within the pool */
	VSCARD_A_SLOTS,		/* u32: number of slots (POOL_NEW, pool dumps) */
	VSCARD_A_UID,		/* u32: pool owner (and owner of its nodes) */
	VSCARD_A_GID,		/* u32: group of the pool's device nodes */
	VSCARD_A_MINOR,		/* u32: /dev/vscardN number of a slot (dumps) */
	VSCARD_A_SESSION_KEY,	/* binary, 1..VSCARD_KEY_MAX bytes */
	VSCARD_A_KEY_HASH,	/* u64: keyed hash of the session key (dumps) */
	VSCARD_A_READER_NAME,	/* NUL string, < VSCARD_NAME_MAX */
	VSCARD_A_LINGER_MS,	/* u32: keep the slot reserved this long */
	VSCARD_A_TIMEOUT_MS,	/* u32: default request deadline of a binding */
	VSCARD_A_EPOCH,		/* u64: binding epoch */
	VSCARD_A_FLAGS,		/* u32: VSCARD_STATUS_* (dumps, events) */
	VSCARD_A_SEQ,		/* u64: slot event sequence */
	VSCARD_A_INSERT_COUNT,	/* u64 */
	VSCARD_A_CARD_STATE,	/* u32: enum vscard_card_state (dumps) */
	VSCARD_A_ATR,		/* binary, 1..VSCARD_ATR_MAX bytes (dumps) */
	VSCARD_A_PROTOCOLS,	/* u32: VSCARD_PROTO_* (dumps) */
	VSCARD_A_REQ_ID,	/* u64: request id (REQ_TIMEOUT events) */
	VSCARD_A_EVENT,		/* u32: enum vscard_event */
	VSCARD_A_STATS,		/* nest: enum vscard_stat_attr */
	VSCARD_A_PENDING,	/* u32: requests outstanding (dumps) */
	VSCARD_A_FD,		/* u32: BIND reply: the binding file's fd */
	VSCARD_A_BINDER_UID,	/* u32: uid that made the binding (dumps) */
	VSCARD_A_BINDER_PID,	/* u32: pid (caller's pid ns) that made it */
	__VSCARD_A_MAX,
};

#define VSCARD_A_MAX (__VSCARD_A_MAX - 1)

/* Per-slot counters, nested in VSCARD_A_STATS; all u64. */
enum vscard_stat_attr {
	VSCARD_STAT_UNSPEC,
	VSCARD_STAT_PAD,
	VSCARD_STAT_REQUESTS,		/* requests submitted */
	VSCARD_STAT_COMPLETED,		/* completed by the agent */
	VSCARD_STAT_TIMEOUTS,		/* failed with -ETIMEDOUT */
	VSCARD_STAT_ABORTED,		/* failed by unbind, linger or close */
	VSCARD_STAT_STALE_COMPLETIONS,	/* unknown, late or duplicate ids */
	VSCARD_STAT_BINDS,		/* successful binds */
	__VSCARD_STAT_MAX,
};

#define VSCARD_STAT_MAX (__VSCARD_STAT_MAX - 1)

/*
 * Commands.  "admin" means CAP_NET_ADMIN in the initial user namespace
 * (GENL_ADMIN_PERM).  A pool's owner is the uid POOL_NEW gave it; a caller
 * "may use" a pool when its effective uid, and that of the socket's
 * opener, are the owner's, or when it is an admin.  Dumps and GETs show a
 * caller only the pools it may use (others: -ENOENT); BIND and UNBIND on
 * a pool the caller may not use fail with -EPERM.
 */
enum vscard_cmd {
	VSCARD_CMD_UNSPEC,
	/*
	 * admin: {SLOTS, UID?, GID?} -> reply {POOL}.  The pool belongs to
	 * UID (default root); its device nodes are UID:GID mode 0660.  SLOTS
	 * is the pool's quota of readers.
	 */
	VSCARD_CMD_POOL_NEW,
	/* admin: {POOL}; bindings end, open files get -ENODEV / EOF */
	VSCARD_CMD_POOL_DEL,
	/* {POOL} or dump -> {POOL, SLOTS, UID, GID, ABI_VERSION} */
	VSCARD_CMD_POOL_GET,
	/* {POOL, SLOT} or dump [POOL?] -> slot state, see Documentation */
	VSCARD_CMD_SLOT_GET,
	/*
	 * may use the pool: {POOL, SLOT?, SESSION_KEY, READER_NAME,
	 * LINGER_MS?, TIMEOUT_MS?} -> reply {POOL, SLOT, EPOCH, FD}, and the
	 * binding file installed as FD in the caller.  Without SLOT the
	 * kernel picks: a slot lingering for the same uid, key and reader
	 * name, else one lingering for the same uid and key, else the lowest
	 * free slot.  A slot that lingers for another uid or key is never
	 * taken (-EBUSY).  The key is compared in constant time.
	 */
	VSCARD_CMD_BIND,
	/*
	 * may use the pool: {POOL, SLOT}: end the slot's binding, or its
	 * linger, now, with no linger (the binding file reads EOF).
	 */
	VSCARD_CMD_UNBIND,
	/* kernel -> "events" group: {EVENT, POOL, SLOT?, ...} */
	VSCARD_CMD_EVENT,
	__VSCARD_CMD_MAX,
};

#define VSCARD_CMD_MAX (__VSCARD_CMD_MAX - 1)

#endif /* _UAPI_LINUX_VSCARD_H */
