/* SPDX-License-Identifier: MIT */
/*
 * libifdvscard: internal interfaces of the pcscd IFD handler for vscard
 * slots.  One pcscd reader (a reader.conf.d entry) maps to one vscard pool;
 * each of its slots (Lun & 0xffff) maps to one /dev/vscardN of that pool.
 */
#ifndef IFD_VSCARD_H
#define IFD_VSCARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vscard.h>

#define IFD_MAX_READERS		16	/* PCSCLITE_MAX_READERS_CONTEXTS */
#define IFD_MAX_SLOTS		VSCARD_POOL_SLOTS_MAX
#define IFD_DEFAULT_SLOTS	4
/* While a slot's node cannot be opened, waits end after this long so that
 * the next presence check retries the open. */
#define IFD_REOPEN_INTERVAL_MS	500

/* ---- DEVICENAME syntax (devname.c) ----------------------------------- */

/*
 * DEVICENAME "/dev/vscard:pool=P:slots=N" (each key optional, any order,
 * P default 0, N default 4, 1..16).  The colon keeps pcscd from stat()ing
 * the name at startup.  "/dev/vscard:" alone means pool 0 with 4 slots.
 */
struct ifd_devname {
	uint32_t pool;
	unsigned int slots;
};

int ifd_devname_parse(const char *s, struct ifd_devname *out);

/*
 * Path of the node of slot @slot in pool @pool: found through
 * @sysfs/vscardN/{pool,slot}; if @sysfs cannot be read, pool 0 falls back
 * to @devdir/vscard<slot>.  Returns 0, or -ENOENT when no node is known.
 */
int ifd_node_path(const char *sysfs, const char *devdir, uint32_t pool,
		  uint32_t slot, char *path, size_t size);

/* ---- generation rule (presence.c) ------------------------------------ */

/* What pcscd was last told about a slot. */
struct ifd_seen {
	bool present;
	uint64_t insert_count;
	uint64_t epoch;
	uint32_t atr_len;
	uint8_t atr[VSCARD_ATR_MAX];
};

/* Is the card of @st usable (bound, present, not lingering)? */
bool ifd_status_card(const struct vscard_status *st);

/*
 * Decide the next IFDHICCPresence answer from a fresh status (@st, or
 * NULL when the node is not open) and update @seen.  A card reported
 * present that was replaced since (new insertion, new binding or a new
 * ATR) is reported absent once first.  Returns true for "present".
 */
bool ifd_presence_next(struct ifd_seen *seen, const struct vscard_status *st);

/* ---- error mapping (errmap.c) ---------------------------------------- */

enum ifd_op {
	IFD_OP_POWER_UP,
	IFD_OP_POWER_DOWN,
	IFD_OP_TRANSMIT,
	IFD_OP_CONTROL,
	IFD_OP_GET_ATTRIB,
	IFD_OP_SET_ATTRIB,
};

/* Map an ioctl result (0 or -errno) and the remote @result word of
 * operation @op to an IFD response code. */
long ifd_errmap(enum ifd_op op, int err, uint32_t result);

/* ---- per-slot state (slot.c) ----------------------------------------- */

struct ifd_slot {
	pthread_mutex_t lock;	/* the fields below; never held in ioctls
				 * that wait for the remote side */
	uint32_t pool;
	uint32_t index;
	const char *sysfs;	/* lookup roots (tests override them) */
	const char *devdir;
	int reopen_ms;		/* wait bound while the node is not open */
	int fd;			/* -1: node not open */
	unsigned int users;	/* threads using fd outside the lock */
	bool stale;		/* fd refers to a destroyed slot */
	int stop_fd;		/* eventfd kicked by the stop function */
	/*
	 * The event wait polls its own open file: poll() follows the last
	 * GET_STATUS on the same file, and other threads read the status on
	 * fd, which would hide a change from a wait already asleep.
	 */
	int wait_fd;
	bool waiting;		/* the event wait is running */
	bool wait_close;	/* close wait_fd when the wait ends */
	pthread_t waiter;	/* pcscd's event thread for this slot */
	bool have_waiter;
	bool owed_absent;	/* a replaced card: answer "absent" until the
				 * event loop has been told, see presence */
	bool owed_told;		/* the event loop's own check got that answer */
	bool event_present;	/* the event thread was answered "present"
				 * since its last wait */
	struct ifd_seen seen;
	uint64_t wait_seq;	/* status seq the event wait last saw */
	bool rewake;		/* next event wait returns at once */
	struct vscard_status st;	/* last status read */
	bool have_st;
	uint8_t atr[VSCARD_ATR_MAX];	/* ATR of the last power up/reset */
	uint32_t atr_len;
	uint32_t protocol;		/* VSCARD_PROTO_* selected */
};

int ifd_slot_init(struct ifd_slot *s, uint32_t pool, uint32_t index,
		  const char *sysfs, const char *devdir);
void ifd_slot_destroy(struct ifd_slot *s);

/* Refresh the status (opening the node if needed); answer presence. */
bool ifd_slot_presence(struct ifd_slot *s);
/* Copy of the last status read; false if none. */
bool ifd_slot_status(struct ifd_slot *s, struct vscard_status *st);
/* Read a fresh status; false if the node is not open. */
bool ifd_slot_status_fresh(struct ifd_slot *s, struct vscard_status *st);

/* Block until the slot changes, @timeout_ms passes or a stop. */
void ifd_slot_wait(struct ifd_slot *s, int timeout_ms);
/* End the current (or the next) wait promptly. */
void ifd_slot_stop(struct ifd_slot *s);

/*
 * One request to the remote side: VSCARD_IOC_POWER/TRANSMIT/...  The
 * request carries the insertion pcscd was told about, so a swapped card
 * fails with -ENOMEDIUM.  Returns 0 or -errno; x->rx_len, x->result out.
 */
int ifd_slot_xfer(struct ifd_slot *s, unsigned long cmd,
		  struct vscard_xfer *x);

/* ---- logging (log.c) ------------------------------------------------- */

enum { IFD_LOG_DEBUG, IFD_LOG_INFO, IFD_LOG_ERROR, IFD_LOG_CRITICAL };
void ifd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* IFD_VSCARD_H */
