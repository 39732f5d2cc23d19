/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vscard: remote (RDP-redirected) smart-card readers as local reader slots.
 *
 * This header is the only definition of the vscard ABI:
 *
 *  - the character device /dev/vscardN (one per reader slot), used by the
 *    pcscd IFD handler through the VSCARD_IOC_* ioctls and poll();
 *  - the generic netlink family "vscard", used by the per-session agent
 *    (vscard-agent) and by vscardctl.
 *
 * Documentation/vscard.rst describes the object model, the request life
 * cycle and the locking rules.  Documentation/netlink/vscard.yaml describes
 * the netlink family in the kernel's YAML spec format.
 *
 * ABI versioning: VSCARD_ABI_VERSION is returned by VSCARD_IOC_VERSION and
 * is the genetlink family version.  Additions keep old binaries working
 * (new attributes, new commands, structures only grow at the end behind a
 * size check); an incompatible change bumps the major version (upper 16 bits).
 */
#ifndef _UAPI_LINUX_VSCARD_H
#define _UAPI_LINUX_VSCARD_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VSCARD_ABI_MAJOR	1
#define VSCARD_ABI_MINOR	2
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
/*
 * Netlink attributes are limited to 64 KiB by their 16-bit length, so request
 * and response data travel as one or more VSCARD_A_DATA attributes, in order,
 * each at most VSCARD_DATA_CHUNK bytes.  Receivers concatenate them.
 */
#define VSCARD_DATA_CHUNK	32768
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
 * already does), -ETIMEDOUT when the timeout expires first, -EINTR on a
 * signal and -ENODEV if the slot is destroyed.
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
 * -ENOBUFS the response did not fit in @rx_len; -EBUSY
 * VSCARD_SLOT_REQS_MAX requests already outstanding; -EIO the remote side
 * failed the request (@result says why); -ENODEV the slot was destroyed;
 * -EINTR only for a fatal signal.  Ordinary signals do not abort a request
 * already handed to the agent.
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
/* Generic netlink family "vscard"                                           */
/* ------------------------------------------------------------------------ */

#define VSCARD_GENL_NAME	"vscard"
/*
 * genlmsghdr.version (8 bits).  The family version (CTRL_ATTR_VERSION) is
 * VSCARD_ABI_VERSION since ABI 1.1 (1.0 modules reported the major only).
 */
#define VSCARD_GENL_VERSION	VSCARD_ABI_MAJOR
#define VSCARD_MCGRP_EVENTS	"events"

/* Request types, VSCARD_A_REQ_TYPE (mirror the ioctl that created them). */
enum vscard_req_type {
	VSCARD_REQ_POWER = 1,
	VSCARD_REQ_TRANSMIT,
	VSCARD_REQ_CONTROL,
	VSCARD_REQ_GET_ATTRIB,
	VSCARD_REQ_SET_ATTRIB,
	__VSCARD_REQ_MAX,
};

/* VSCARD_A_CARD_STATE */
enum vscard_card_state {
	VSCARD_CARD_ABSENT = 0,
	VSCARD_CARD_PRESENT = 1,
};

/* VSCARD_A_EVENT, in VSCARD_CMD_EVENT multicasts on the "events" group. */
enum vscard_event {
	VSCARD_EVENT_POOL_NEW = 1,
	VSCARD_EVENT_POOL_DEL,
	VSCARD_EVENT_BIND,
	VSCARD_EVENT_UNBIND,
	VSCARD_EVENT_LINGER,		/* owner gone, slot reserved */
	VSCARD_EVENT_CARD_IN,
	VSCARD_EVENT_CARD_OUT,
	VSCARD_EVENT_REQ_TIMEOUT,
	__VSCARD_EVENT_MAX,
};

enum vscard_attr {
	VSCARD_A_UNSPEC,
	VSCARD_A_PAD,
	VSCARD_A_ABI_VERSION,	/* u32: VSCARD_ABI_VERSION (dumps, replies) */
	VSCARD_A_POOL,		/* u32: pool id */
	VSCARD_A_SLOT,		/* u32: slot index within the pool */
	VSCARD_A_SLOTS,		/* u32: number of slots (POOL_NEW, pool dumps) */
	VSCARD_A_UID,		/* u32: owner uid of the pool's device nodes */
	VSCARD_A_GID,		/* u32: owner gid of the pool's device nodes */
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
	VSCARD_A_CARD_STATE,	/* u32: enum vscard_card_state */
	VSCARD_A_ATR,		/* binary, 1..VSCARD_ATR_MAX bytes */
	VSCARD_A_PROTOCOLS,	/* u32: VSCARD_PROTO_* */
	VSCARD_A_REQ_ID,	/* u64: request id (epoch << 32 | serial) */
	VSCARD_A_REQ_TYPE,	/* u32: enum vscard_req_type */
	VSCARD_A_REQ_CODE,	/* u32: struct vscard_xfer.code */
	VSCARD_A_REQ_RX_MAX,	/* u32: largest response the caller accepts */
	VSCARD_A_DATA,		/* binary, repeated, each <= VSCARD_DATA_CHUNK */
	VSCARD_A_STATUS,	/* s32: 0 or a negative errno (> -4096) */
	VSCARD_A_RESULT,	/* u32: remote status word, passed to the caller */
	VSCARD_A_EVENT,		/* u32: enum vscard_event */
	VSCARD_A_STATS,		/* nest: enum vscard_stat_attr */
	VSCARD_A_OWNER_PORTID,	/* u32: netlink portid of the owner (dumps) */
	VSCARD_A_PENDING,	/* u32: requests outstanding (dumps) */
	VSCARD_A_REQ_NEXT,	/* flag: REQ_DONE also fetches (ABI 1.1) */
	VSCARD_A_PUSH,		/* flag: BIND: push requests (ABI 1.2) */
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
	VSCARD_STAT_ABORTED,		/* failed by unbind, linger or death */
	VSCARD_STAT_STALE_COMPLETIONS,	/* unknown, late or duplicate ids */
	VSCARD_STAT_BINDS,		/* successful binds */
	__VSCARD_STAT_MAX,
};

#define VSCARD_STAT_MAX (__VSCARD_STAT_MAX - 1)

/*
 * Commands.  "admin" means CAP_NET_ADMIN (GENL_ADMIN_PERM); "owner" means the
 * command must come from the netlink socket that bound the slot, otherwise
 * it fails with -EPERM.
 */
enum vscard_cmd {
	VSCARD_CMD_UNSPEC,
	/* admin: {SLOTS, UID?, GID?} -> reply {POOL} */
	VSCARD_CMD_POOL_NEW,
	/* admin: {POOL}; bound slots are released, open files get -ENODEV */
	VSCARD_CMD_POOL_DEL,
	/* {POOL} or dump -> {POOL, SLOTS, UID, GID, ABI_VERSION} */
	VSCARD_CMD_POOL_GET,
	/* {POOL, SLOT} or dump [POOL?] -> slot state, see Documentation */
	VSCARD_CMD_SLOT_GET,
	/*
	 * admin: {POOL, SLOT?, SESSION_KEY, READER_NAME, LINGER_MS?,
	 * TIMEOUT_MS?, PUSH?} -> reply {POOL, SLOT, EPOCH}.  Without SLOT the
	 * kernel picks: a slot lingering for the same key and reader name,
	 * else one lingering for the same key, else the lowest free slot.  A
	 * slot that lingers for another key is never taken (-EBUSY).  With
	 * PUSH (ABI 1.2) requests of the binding are pushed, see REQ_PUSH.
	 */
	VSCARD_CMD_BIND,
	/* admin+owner: {POOL, SLOT, LINGER_MS?} */
	VSCARD_CMD_UNBIND,
	/* admin+owner: {POOL, SLOT, CARD_STATE, ATR?, PROTOCOLS?} */
	VSCARD_CMD_CARD_SET,
	/*
	 * admin: {} -> reply {POOL, SLOT, REQ_ID, REQ_TYPE, REQ_CODE,
	 * REQ_RX_MAX, DATA*}: the oldest request not yet fetched on any slot
	 * the calling socket owns; -ENOENT if there is none.  (Request bytes
	 * only ever travel in a reply to the owner's own socket, or in a
	 * REQ_PUSH queued on the owner's socket object.)
	 */
	VSCARD_CMD_REQ_GET,
	/*
	 * admin+owner: {POOL, SLOT, REQ_ID, STATUS, RESULT?, PROTOCOLS?,
	 * DATA*, REQ_NEXT?}.  With REQ_NEXT (ABI 1.1) a successful completion
	 * is followed by what REQ_GET would do, in one round trip: the reply
	 * is the next request (a REQ_GET message) or, when none is queued, an
	 * empty REQ_DONE message (the slots' hints are then re-armed exactly
	 * as by a REQ_GET that returns -ENOENT).  A failed completion returns
	 * its error and fetches nothing.
	 */
	VSCARD_CMD_REQ_DONE,
	/* kernel -> owner (unicast, a hint with no request data): {POOL, SLOT} */
	VSCARD_CMD_REQ_NOTIFY,
	/* kernel -> owner (unicast): {POOL, SLOT, REQ_ID}: deadline passed */
	VSCARD_CMD_REQ_CANCEL,
	/* kernel -> "events" group: {EVENT, POOL, SLOT?, ...} */
	VSCARD_CMD_EVENT,
	/*
	 * kernel -> owner (ABI 1.2, bindings made with PUSH): a request, the
	 * attributes of a REQ_GET reply, queued on the socket object that
	 * made the binding (never addressed by portid, so it cannot reach a
	 * socket that took over a recycled portid).  It counts as fetched:
	 * answer it with REQ_DONE.  Only a request with nothing older queued
	 * on its slot is pushed; one that cannot be (receive queue full)
	 * stays queued and the REQ_NOTIFY / REQ_GET contract applies.
	 */
	VSCARD_CMD_REQ_PUSH,
	__VSCARD_CMD_MAX,
};

#define VSCARD_CMD_MAX (__VSCARD_CMD_MAX - 1)

#endif /* _UAPI_LINUX_VSCARD_H */
