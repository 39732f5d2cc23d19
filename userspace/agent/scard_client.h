/* SPDX-License-Identifier: MIT */
/*
 * The smart-card client: RDPESC calls on the client's PC/SC stack through
 * rdpdr_io.c (deadlines, completions dispatched to their owner), the
 * ledger of what the client holds for us, and the monitor, which follows
 * remote readers and cards with GetStatusChangeW.  The same code serves
 * channel and device mode.
 *
 * It reports upward (the reader model) through the struct scard_events it
 * is given at init; rdpdr_io.c reports to it through scard_rdpdr_events.
 */
#ifndef AGENT_SCARD_CLIENT_H
#define AGENT_SCARD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vscard.h>

#include "bytebuf.h"
#include "completion_table.h"
#include "esc_codec.h"
#include "rdpdr_io.h"

/* Monitor retries: 1 s doubling to 60 s, 8 attempts (scard_client.c). */
#define RETRY_BASE_MS		1000
#define RETRY_CAP_MS		60000
#define RETRY_MAX		8

/* Request owners: 0 nobody (fire and forget), 1 the monitor. */
#define SCARD_OWNER_NONE	0
#define SCARD_OWNER_MONITOR	1
#define SCARD_OWNER_FIRST	2	/* the first owner id the layer above uses */
#define READERS_MAX		(ESC_STATES_MAX - 1)

/*
 * What the agent may hold on the client, at most (Documentation/agent.rst,
 * "Resource bounds"): one monitor context and one I/O context per remote
 * reader (READERS_MAX) in use, plus contexts whose release the client has
 * not confirmed yet; one handle per I/O context in use, plus the same slack.
 */
#define CLIENT_CTX_MAX		16
#define CLIENT_HANDLES_MAX	16

/*
 * Leaving (scard_leave()): how long the agent waits for the client to
 * answer its outstanding calls before it releases what the client holds,
 * and how often it repeats the monitor's Cancel meanwhile.
 */
#define LEAVE_WAIT_MS		2000
#define LEAVE_CANCEL_EVERY_MS	250

struct scard_config {
	uint32_t call_timeout_ms;	/* deadline of the monitor's calls */
	uint32_t retry_base_ms;		/* --retry BASE_MS,CAP_MS,MAX; */
	uint32_t retry_cap_ms;		/*   retry_max 0: the defaults above */
	uint32_t retry_max;
};

/* Upward: the reader model.  @ctx is the pointer given with them. */
struct scard_events {
	/*
	 * The client's reader list (names checked: short enough, no control
	 * characters).  Returns how many readers are now listed.
	 */
	size_t (*readers_listed)(void *ctx, char names[][VSCARD_NAME_MAX], size_t n);
	/*
	 * The listed readers the monitor should watch: fills st[] (name,
	 * dwCurrentState) and owner[] (who gets card_event), at most @max.
	 */
	size_t (*watch)(void *ctx, struct esc_call_state *st, uint64_t *owner,
			size_t max);
	/*
	 * A reader's state from GetStatusChange.  Returns true when it
	 * differs from the dwCurrentState last given by watch().
	 */
	bool (*card_event)(void *ctx, uint64_t owner, uint32_t ev,
			   const uint8_t *atr, uint32_t atr_len);
	/*
	 * A completion for @owner (>= SCARD_OWNER_FIRST); @ret is valid when
	 * !io_status && !dec_err.  @created: the context an EstablishContext
	 * reply created, else NULL.  Returns true if the owner keeps
	 * @created (it releases it itself from then on).
	 */
	bool (*completion)(void *ctx, uint64_t owner, const struct ct_entry *e,
			   uint32_t io_status, const struct esc_return *ret,
			   int dec_err, const struct esc_blob *created);
	/* A request of @owner passed its deadline (its id stays reserved). */
	void (*timeout)(void *ctx, uint64_t owner, const struct ct_entry *e);
	/* Everything remote is gone: readers lose their cards (linger). */
	void (*remote_lost)(void *ctx);
	/*
	 * The agent leaves while the client is still there: cancel the busy
	 * calls on the owners' contexts, then forget them (the ledger then
	 * releases every context and handle).
	 */
	void (*leaving)(void *ctx);
};

enum monitor_state {
	MON_IDLE = 0,			/* no device */
	MON_ESTABLISH,
	MON_LIST,
	MON_GSC,
	MON_BACKOFF,			/* timer, then relist / re-arm */
	MON_GAVE_UP,			/* too many failures: idle until re-announce */
};

struct monitor {
	enum monitor_state state;
	bool have_ctx;
	struct esc_blob ctx;
	bool relist;			/* reader list must be fetched again */
	uint64_t backoff_until;
	uint32_t failures;		/* consecutive failed calls (scard_client.c) */
	uint64_t gsc_since;		/* when the pending GSC was sent */
	uint32_t gsc_cid;
	bool gsc_pending;
	uint32_t pnp_count;		/* readers the client reported */
	uint32_t quiet_returns;		/* GSC returns without any change */
	uint32_t gsc_n;			/* states in the pending GSC */
	uint64_t gsc_owner[ESC_STATES_MAX]; /* reader of each state (0: PnP) */
};

/*
 * The ledger of what the agent may have made the client create: every
 * EstablishContext / ConnectW sent takes an entry, which goes only once the
 * client says it created none (an error ReturnCode, an IoStatus error) or
 * confirms its release (ReleaseContext / Disconnect answered with success or
 * SCARD_E_INVALID_HANDLE; releasing a context also ends its handles), or
 * when the device or the channel goes.  An entry with no name (the reply
 * never came, or its bytes could not be read) cannot be released and stays
 * counted.  A new EstablishContext / ConnectW is refused while the ledger
 * is full: the client's resources stay bounded whatever it answers.
 */
struct led_entry {
	bool used;
	bool named;			/* value known (ctx, and card for handles) */
	bool pending;			/* the creating call is unanswered: cid */
	bool releasing;			/* Release/Disconnect sent: rel_cid */
	bool busy;			/* contexts: a call on it unanswered: busy_cid */
	bool release_after;		/* contexts: released once busy_cid returns */
	uint32_t cid, rel_cid, busy_cid;
	struct esc_blob ctx;
	struct esc_blob card;		/* handles only */
};

struct ledger {
	struct led_entry ctx[CLIENT_CTX_MAX];
	struct led_entry h[CLIENT_HANDLES_MAX];
	bool full_said;			/* the refusal was logged (once) */
	uint64_t refused;		/* creations refused at the bound */
	uint32_t ctx_peak, h_peak;
};

struct scard_stats {
	uint64_t cancels_sent;
	uint64_t monitor_gave_up;	/* times the monitor gave up */
	uint64_t frames_bad;		/* returns that could not be decoded */
};

/* The agent is leaving (scard_leave()); see scard_client.c. */
struct leave {
	bool on;
	uint64_t until;			/* the wait for answers ends */
	uint64_t next_cancel;		/* the monitor's Cancel again */
};

struct scard_client {
	struct scard_config cfg;
	struct rdpdr_io *io;
	const struct scard_events *ev;
	void *ev_ctx;
	struct monitor mon;
	struct ledger led;
	struct leave leave;
	struct scard_stats stats;
};

/* What rdpdr_io.c reports to (ctx: the struct scard_client). */
extern const struct rdpdr_io_events scard_rdpdr_events;

void scard_init(struct scard_client *sc, const struct scard_config *cfg,
		struct rdpdr_io *io, const struct scard_events *ev, void *ev_ctx);

/*
 * @subj: the context (ReleaseContext, ConnectW) or handle (Disconnect) the
 * call is about, for the ledger; NULL otherwise.  -EMFILE: the ledger is
 * full, the EstablishContext / ConnectW was not sent.  -ESHUTDOWN: the
 * agent is leaving; only Cancel, ReleaseContext and Disconnect go out.
 */
int scard_send(struct scard_client *sc, uint64_t owner, uint32_t ioctl,
	       struct bytebuf *in, uint32_t out_len, uint32_t timeout_ms,
	       const struct esc_handle *subj, uint32_t *cid);
void scard_cancel_context(struct scard_client *sc, uint64_t owner,
			  const struct esc_blob *ctx);
/*
 * Fire-and-forget ReleaseContext / Disconnect(LEAVE_CARD), in the ledger.
 * A ReleaseContext waits until no call of ours on that context is
 * unanswered (in time or late): see scard_client.c.
 */
void scard_release_context(struct scard_client *sc, const struct esc_blob *ctx);
void scard_disconnect(struct scard_client *sc, const struct esc_handle *h);
/* Forget every outstanding request of @owner (replies will be late). */
void scard_abandon_owner(struct scard_client *sc, uint64_t owner);

/* The agent's side: timers, leaving, figures. */
void scard_tick(struct scard_client *sc, uint64_t now);
uint64_t scard_next_deadline(const struct scard_client *sc);
/*
 * Leaving while the client is still there, in three steps:
 * scard_leave() cancels the calls that wait on the client and stops new
 * ones; scard_quiet() says when the client has answered them (or the wait
 * of LEAVE_WAIT_MS is over); scard_teardown() then disconnects every
 * handle and releases every context the client holds for us.  Returns
 * false when there is nothing to wait for (no device).
 */
bool scard_leave(struct scard_client *sc, uint64_t now);
bool scard_quiet(const struct scard_client *sc, uint64_t now);
void scard_teardown(struct scard_client *sc);
void scard_ledger_counts(const struct scard_client *sc, uint32_t *ctx,
			 uint32_t *handles);
const char *scard_monitor_state(const struct scard_client *sc);

#endif
