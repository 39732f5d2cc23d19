/* SPDX-License-Identifier: MIT */
/*
 * vscard-agent: one process per RDP session.  agent.c only wires the
 * layers together and runs the epoll loop (channel frames, kernel, timers,
 * signals).  The layers, each reporting upward through the callbacks it is
 * given at init:
 *
 *   reader_model.c   remote readers <-> vscard slots, kernel requests
 *        ^  calls down            ^ kernel_port.h (kernel_nl.c / kernel_fake.c)
 *   scard_client.c   RDPESC calls, the monitor, the ledger
 *        ^
 *   rdpdr_io.c       the smart-card device's I/O: CompletionIds, requests
 *        ^                and completions, the same in both modes
 *   rdpdr_server.c   channel mode: the RDPDR core in the server role
 *   device_mode.c   device mode: the adapter owns the RDPDR core
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vscard.h>

#include "evloop.h"
#include "kernel_port.h"
#include "device_mode.h"
#include "rdpdr_io.h"
#include "rdpdr_server.h"
#include "reader_model.h"
#include "scard_client.h"
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
	uint32_t retry_max;		/*   0: the defaults */
	int fake_kernel_fd;		/* --fake-kernel-fd, -1 for vscard.ko */
	uint8_t key[VSCARD_KEY_MAX];	/* --session-key-fd, VSCARD_SESSION_KEY */
	size_t key_len;
};

/* Chosen per adapter connection by its HELLO flags (svcport.h). */
enum agent_mode {
	AGENT_MODE_CHANNEL = 0,		/* we run the RDPDR core */
	AGENT_MODE_DEVICE,		/* the adapter does; one device for us */
};

struct agent_stats {
	uint64_t frames_in;
	uint64_t frames_bad;		/* svcport frames dropped by agent.c */
	uint64_t peers_refused;		/* --listen: connections of other uids */
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
	enum agent_mode mode;
	uint8_t key[VSCARD_KEY_MAX];
	size_t key_len;
	/* the layers, bottom up */
	struct rdpdr_io io;
	struct rdpdr_server srv;	/* channel mode */
	struct device_mode dev;	/* device mode */
	struct scard_client sc;
	struct reader_model rm;
	struct kernel_port *kp;
	bool leaving;			/* scard_leave() called: stop when quiet */
	bool stop;
	int exit_code;
	struct agent_stats stats;
};

int agent_run(struct agent *a);
void agent_shutdown(struct agent *a);
void agent_log_stats(const struct agent *a);
struct svc_frame;
void agent_handle_frame(struct agent *a, const struct svc_frame *f);
/* Fuzzer entry: layers, a channel and a fake kernel; no loop, no signals. */
int agent_attach_for_test(struct agent *a, int chan_fd, int kern_fd);
/* Fuzzer: read and handle what the channel has, as the loop would. */
void agent_channel_input_for_test(struct agent *a);
/* Every deadline up to @now passes (timers without the loop). */
void agent_run_timers(struct agent *a, uint64_t now);

#endif
