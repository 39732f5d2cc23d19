/* SPDX-License-Identifier: MIT */
/*
 * vscard-agent: one process per RDP session.  It terminates the RDPDR
 * channel in the server role (rdpdr_server.c), drives the remote PC/SC
 * stack with RDPESC IOCTLs (scard_client.c), and maps remote readers to
 * vscard slots (reader_model.c).  Everything runs in one epoll loop.
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vscard.h>

#include "bytebuf.h"
#include "completion_table.h"
#include "esc_codec.h"
#include "evloop.h"
#include "kernel_port.h"
#include "svcport_io.h"

/* Exit codes (Documentation/agent.rst, vscard-agent.8). */
enum agent_exit {
	AGENT_EXIT_OK = 0,		/* signal, or the adapter closed the channel */
	AGENT_EXIT_FAILURE = 1,		/* unexpected runtime error */
	AGENT_EXIT_USAGE = 2,		/* bad command line */
	AGENT_EXIT_KERNEL = 3,		/* vscard module unavailable or refused us */
	AGENT_EXIT_CHANNEL = 4,		/* channel transport or framing error */
	AGENT_EXIT_PRIVILEGED = 5,	/* root or CAP_NET_ADMIN, no --allow-privileged */
};

/* Monitor retries: 1 s doubling to 60 s, 8 attempts (scard_client.c). */
#define RETRY_BASE_MS		1000
#define RETRY_CAP_MS		60000
#define RETRY_MAX		8

struct agent_config {
	int channel_fd;			/* --fd */
	const char *listen_path;	/* --listen */
	const char *connect_path;	/* --connect */
	uint32_t pool;
	uint32_t linger_ms;
	uint32_t request_timeout_ms;	/* Transmit/Control/BeginTransaction */
	uint32_t call_timeout_ms;	/* every other IOCTL */
	uint32_t txn_idle_ms;		/* release the remote transaction after */
	bool transactions;		/* hold a remote transaction (default) */
	uint32_t retry_base_ms;		/* --retry BASE_MS,CAP_MS,MAX: the */
	uint32_t retry_cap_ms;		/*   monitor's retries (scard_client.c) */
	uint32_t retry_max;		/*   0: the defaults below */
	int fake_kernel_fd;		/* --fake-kernel-fd, -1 for vscard.ko */
	uint8_t key[VSCARD_KEY_MAX];	/* --session-key-fd, VSCARD_SESSION_KEY */
	size_t key_len;
};

/* ---- RDPDR server role --------------------------------------------- */

enum rdpdr_state {
	RDPDR_CLOSED = 0,		/* no channel */
	RDPDR_WAIT_ANNOUNCE_REPLY,
	RDPDR_WAIT_NAME,
	RDPDR_WAIT_CAPS,
	RDPDR_RUNNING,
};

struct rdpdr {
	enum rdpdr_state state;
	uint32_t client_id;
	uint16_t client_minor;
	uint32_t client_extended;	/* extendedPDU from the client caps */
	bool logged_on_sent;
	bool have_scard;
	uint32_t scard_device;
	char client_name[256];		/* = librdpcodec RDPDR_NAME_MAX */
	uint64_t resets;
};

/* ---- remote readers and the smart-card client ---------------------- */

#define MONITOR_OWNER	1		/* completion owner id of the monitor */
#define READERS_MAX	(ESC_STATES_MAX - 1)

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
	uint64_t gsc_uid[ESC_STATES_MAX]; /* reader of each state (0: PnP) */
};

/*
 * What the agent may hold on the client, at most (Documentation/agent.rst,
 * "Resource bounds"): one monitor context and one I/O context per remote
 * reader (READERS_MAX) in use, plus contexts whose release the client has
 * not confirmed yet; one handle per I/O context in use, plus the same slack.
 */
#define CLIENT_CTX_MAX		16
#define CLIENT_HANDLES_MAX	16

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
	uint32_t cid, rel_cid;
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

enum job_step {
	STEP_NONE = 0,
	STEP_ESTABLISH,
	STEP_CONNECT,
	STEP_RECONNECT,
	STEP_BEGIN,
	STEP_STATUS,
	STEP_OP,			/* Transmit / Control / Get/SetAttrib */
	STEP_END,
	STEP_DISCONNECT,
};

struct reader {
	struct reader *next;
	uint64_t uid;			/* completion owner id, never reused */
	char name[VSCARD_NAME_MAX];
	bool bound;
	uint32_t slot;
	bool listed;			/* in the latest ListReaders answer */
	uint64_t bind_retry_at;		/* BIND failed: try again then (0: no) */
	/* card state as last reported to the kernel */
	bool present;
	uint32_t atr_len;
	uint8_t atr[ESC_ATR_MAX];
	uint32_t gsc_state;		/* dwCurrentState for the next GSC */
	/* I/O context and card handle */
	bool have_ctx;
	struct esc_blob ctx;
	bool have_handle;
	struct esc_handle h;
	uint32_t protocol;		/* SCARD_PROTOCOL_T0/T1 */
	bool in_txn;
	uint32_t card_gen;		/* bumped at every card removal */
	uint32_t connect_gen;		/* card_gen when ConnectW was sent */
	uint32_t h_gen;			/* card_gen the handle belongs to */
	bool job_retried;		/* a stale handle was replaced once */
	uint64_t last_use;
	/* kernel requests, processed one at a time */
	struct kreq *queue;
	struct kreq *job;		/* NULL: an internal job (idle End) */
	bool busy;
	enum job_step step;
	uint32_t job_cid;
};

struct agent_stats {
	uint64_t frames_in;
	uint64_t frames_bad;
	uint64_t cancels_sent;
	uint64_t kernel_requests;
	uint64_t kernel_timeouts;
	uint64_t monitor_gave_up;	/* times the monitor gave up */
};

struct agent {
	struct agent_config cfg;
	struct evloop loop;
	struct ev_handler chan_h;
	struct ev_handler listen_h;
	struct ev_handler timer_h;
	struct ev_handler signal_h;
	struct ev_handler kern_h;
	struct svc_io chan;
	bool chan_up;			/* an adapter is connected */
	bool chan_open;			/* CHANNEL_OPEN seen, not closed */
	uint8_t key[VSCARD_KEY_MAX];
	size_t key_len;
	struct rdpdr rdpdr;
	struct completion_table ct;
	struct monitor mon;
	struct ledger led;
	struct reader *readers;
	uint64_t next_uid;
	struct kernel_port *kp;
	bool stop;
	int exit_code;
	struct agent_stats stats;
	struct bytebuf scratch;
};

/* agent.c */
void agent_stop(struct agent *a, int code);
void agent_send_data(struct agent *a, const struct bytebuf *pdu);
/* Full reset of everything remote: pending requests fail locally. */
void agent_remote_reset(struct agent *a, const char *why);

/* rdpdr_server.c */
void rdpdr_start(struct agent *a);
void rdpdr_close(struct agent *a);
void rdpdr_receive(struct agent *a, const uint8_t *p, size_t len);
/*
 * Sends one DR_CONTROL_REQ on the smart-card device.  @deadline_ms 0: none.
 * Returns 0 and *cid, or -errno (no device, out of memory).
 */
int rdpdr_ioctl(struct agent *a, uint32_t ioctl, const struct bytebuf *in,
		uint32_t out_len, uint64_t deadline_ms, uint64_t owner,
		uint32_t *cid);
const char *rdpdr_state_name(enum rdpdr_state s);

/* scard_client.c */
void scard_device_ready(struct agent *a);
void scard_device_gone(struct agent *a, const char *why);
void scard_completion(struct agent *a, const struct ct_entry *e,
		      uint32_t io_status, const uint8_t *out, size_t out_len);
/* A completion for a request given up on (timed out, cancelled) earlier. */
void scard_late_completion(struct agent *a, const struct ct_entry *e,
			   const uint8_t *out, size_t out_len);
/* The smart-card device was announced again (same DeviceId). */
void scard_device_reannounced(struct agent *a);
void scard_timeout(struct agent *a, const struct ct_entry *e);
void scard_tick(struct agent *a, uint64_t now);
void scard_teardown(struct agent *a);
uint64_t scard_next_deadline(const struct agent *a);
/*
 * @subj: the context (ReleaseContext, ConnectW) or handle (Disconnect) the
 * call is about, for the ledger; NULL otherwise.  -EMFILE: the ledger is
 * full, the EstablishContext / ConnectW was not sent.
 */
int scard_send(struct agent *a, uint64_t owner, uint32_t ioctl,
	       struct bytebuf *in, uint32_t out_len, uint32_t timeout_ms,
	       const struct esc_handle *subj, uint32_t *cid);
void scard_cancel_context(struct agent *a, uint64_t owner,
			  const struct esc_blob *ctx);
/* Fire-and-forget ReleaseContext / Disconnect(LEAVE_CARD), in the ledger. */
void scard_release_context(struct agent *a, const struct esc_blob *ctx);
void scard_disconnect(struct agent *a, const struct esc_handle *h);
/* The client dropped everything (device removed, channel reset). */
void scard_ledger_clear(struct agent *a);
void scard_ledger_counts(const struct agent *a, uint32_t *ctx, uint32_t *handles);
const char *scard_monitor_state(const struct agent *a);

/* reader_model.c */
struct reader *rm_find_uid(struct agent *a, uint64_t uid);
struct reader *rm_find_name(struct agent *a, const char *name);
struct reader *rm_find_slot(struct agent *a, uint32_t slot);
void rm_update_list(struct agent *a, char names[][VSCARD_NAME_MAX], size_t n);
void rm_card_event(struct agent *a, struct reader *r, uint32_t ev,
		   const uint8_t *atr, uint32_t atr_len);
void rm_request(struct agent *a, struct kreq *q);
void rm_cancel(struct agent *a, uint32_t slot, uint64_t req_id);
void rm_completion(struct agent *a, struct reader *r, const struct ct_entry *e,
		   uint32_t io_status, const struct esc_return *ret, int dec_err);
void rm_job_timeout(struct agent *a, struct reader *r, const struct ct_entry *e);
/* The remote side is gone: every reader loses its card and its binding. */
void rm_remote_lost(struct agent *a, uint32_t linger_ms);
void rm_tick(struct agent *a, uint64_t now);
uint64_t rm_next_deadline(const struct agent *a);
void rm_free_all(struct agent *a);
uint32_t atr_protocols(const uint8_t *atr, size_t len);

#endif
