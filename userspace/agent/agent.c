// SPDX-License-Identifier: MIT
/*
 * The agent's wiring and event loop: it builds the layers (agent.h) and
 * connects their callbacks, owns the adapter connection (svcport frames,
 * the mode its HELLO chooses, --listen's peer check), the kernel fd,
 * timers and signals.  No RDPDR, RDPESC or reader logic lives here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <vscard/svcport.h>

#include "agent.h"
#include "encode.h"
#include "log.h"

static void agent_stop(struct agent *a, int code)
{
	if (!a->stop)
		a->exit_code = code;
	a->stop = true;
}

/*
 * rdpdr_send_fn of both transports: one RDPDR PDU toward the client, in a
 * DATA frame (channel mode) or an IO_REQUEST frame (device mode: only the
 * smart-card device's DR_DEVICE_IOREQUESTs come here).
 */
static void send_pdu(void *ctx, const struct bytebuf *pdu)
{
	struct agent *a = ctx;
	uint16_t type = a->mode == AGENT_MODE_DEVICE ? SVCPORT_IO_REQUEST : SVCPORT_DATA;
	int ret;

	if (!a->chan_up)
		return;
	log_hex("rdpdr out", pdu->data, pdu->len);
	ret = svc_io_send(&a->chan, type, pdu->data, (uint32_t)pdu->len);
	if (ret && ret != -EPIPE) {
		log_err("channel: send failed: %s", strerror(-ret));
		agent_stop(a, AGENT_EXIT_CHANNEL);
	}
}

static void send_hello(struct agent *a)
{
	static const char name[] = "vscard-agent";
	struct svcport_hello h = {
		.version = SVCPORT_VERSION,
		.name = (const uint8_t *)name,
		.name_len = sizeof(name) - 1,
	};
	struct bytebuf b;

	/* The codec writes a whole frame: queue it as raw output. */
	bb_init(&b);
	if (BB_ENCODE(&b, w, svcport_encode_hello(w, &h)) == 0) {
		bb_put(&a->chan.out, b.data, b.len);
		svc_io_flush(&a->chan);
	}
	bb_free(&b);
}

/* Full reset of everything remote: pending requests fail locally. */
static void remote_reset(struct agent *a, const char *why)
{
	rdpdr_io_reset(&a->io, why);	/* up through the smart-card client */
	rdpdr_server_close(&a->srv);
	device_mode_close(&a->dev);
}

/* The channel is usable (CHANNEL_OPEN), or again after RESET. */
static void transport_start(struct agent *a)
{
	if (a->mode == AGENT_MODE_DEVICE)
		device_mode_open(&a->dev);
	else
		rdpdr_server_start(&a->srv);
}

/* ---- svcport frames ---------------------------------------------------- */

static void on_channel_open(struct agent *a, const uint8_t *p, uint32_t len)
{
	struct svcport_channel_open o;
	const uint8_t *key = NULL;
	uint32_t key_len = 0;

	if (svcport_decode_channel_open(p, len, &o) == 0) {
		key = o.session_key;
		key_len = o.session_key_len;
	}
	if (a->chan_open)
		remote_reset(a, "CHANNEL_OPEN while open");
	if (a->cfg.key_len) {
		memcpy(a->key, a->cfg.key, a->cfg.key_len);
		a->key_len = a->cfg.key_len;
	} else if (key && key_len >= VSCARD_KEY_MIN && key_len <= VSCARD_KEY_MAX) {
		if (a->key_len && (a->key_len != key_len || memcmp(a->key, key, key_len)))
			log_warn("channel: session key changed");
		memcpy(a->key, key, key_len);
		a->key_len = key_len;
	} else {
		log_err("channel: CHANNEL_OPEN without a valid session key (%u bytes); "
			"readers will not be bound", key_len);
		a->key_len = 0;
	}
	rm_set_key(&a->rm, a->key, a->key_len);
	a->chan_open = true;
	log_info("channel: open (session key %zu bytes, %s mode)", a->key_len,
		 a->mode == AGENT_MODE_DEVICE ? "device" : "channel");
	transport_start(a);
}

static void on_hello(struct agent *a, const uint8_t *p, uint32_t len)
{
	struct svcport_hello h;
	enum agent_mode mode;

	if (svcport_decode_hello(p, len, &h)) {
		log_warn("channel: malformed HELLO ignored");
		a->stats.frames_bad++;
		return;
	}
	mode = h.flags & SVCPORT_HELLO_DEVICE ? AGENT_MODE_DEVICE : AGENT_MODE_CHANNEL;
	log_info("channel: adapter hello, version %u, flags 0x%x, \"%.*s\"", h.version,
		 h.flags, (int)(h.name_len > 64 ? 64 : h.name_len), (const char *)h.name);
	if (a->chan_open) {
		/* The mode of an open channel never changes under it. */
		if (mode != a->mode) {
			log_warn("channel: HELLO asking for %s mode after CHANNEL_OPEN ignored",
				 mode == AGENT_MODE_DEVICE ? "device" : "channel");
			a->stats.frames_bad++;
		}
		return;
	}
	a->mode = mode;
	if (mode == AGENT_MODE_DEVICE)
		log_info("channel: device mode: the adapter runs the RDPDR core");
}

/*
 * One svcport frame from the adapter (untrusted; svcport_io.c already
 * bounded its length).  Per connection:
 *
 *   connected, channel mode --HELLO(flags)--> the mode the flags say
 *   not open --CHANNEL_OPEN--> open: the session key is taken, then
 *       channel mode: Server Announce (rdpdr_server.c)
 *       device mode:  wait for DEVICE_ADD (device_mode.c)
 *   open --DATA--> rdpdr_server.c (channel mode; dropped in device mode)
 *   open --DEVICE_ADD / DEVICE_REMOVE / IO_COMPLETION--> device_mode.c
 *                                         (device mode; else dropped)
 *   open --RESET--> everything remote reset, the transport starts again
 *   open --CHANNEL_CLOSE--> everything remote reset, not open
 *   open --CHANNEL_OPEN--> reset, then open again
 *
 * A HELLO cannot change the mode of an open channel.  Frames in the wrong
 * state or mode, malformed HELLOs and unknown types are logged, counted
 * (bad_frames) and dropped; none ends the connection.
 */
void agent_handle_frame(struct agent *a, const struct svc_frame *f)
{
	a->stats.frames_in++;
	switch (f->type) {
	case SVCPORT_HELLO:
		on_hello(a, f->payload, f->len);
		break;
	case SVCPORT_CHANNEL_OPEN:
		on_channel_open(a, f->payload, f->len);
		break;
	case SVCPORT_DATA:
		if (!a->chan_open) {
			log_warn("channel: DATA before CHANNEL_OPEN dropped");
			a->stats.frames_bad++;
			break;
		}
		if (a->mode == AGENT_MODE_DEVICE) {
			log_warn("channel: DATA in device mode dropped");
			a->stats.frames_bad++;
			break;
		}
		rdpdr_server_receive(&a->srv, f->payload, f->len);
		break;
	case SVCPORT_CHANNEL_CLOSE:
		log_info("channel: closed by the adapter");
		if (a->chan_open)
			remote_reset(a, "channel closed");
		a->chan_open = false;
		break;
	case SVCPORT_RESET:
		log_info("channel: reset by the adapter");
		if (!a->chan_open)
			break;
		remote_reset(a, "channel reset");
		transport_start(a);
		break;
	case SVCPORT_DEVICE_ADD:
	case SVCPORT_DEVICE_REMOVE:
	case SVCPORT_IO_COMPLETION:
		if (a->mode == AGENT_MODE_DEVICE) {
			device_mode_frame(&a->dev, f->type, f->payload, f->len);
			break;
		}
		log_warn("channel: device-mode frame type %u in channel mode dropped",
			 f->type);
		a->stats.frames_bad++;
		break;
	default:
		log_warn("channel: unknown frame type %u dropped", f->type);
		a->stats.frames_bad++;
		break;
	}
}

static void channel_gone(struct agent *a, const char *why, int code)
{
	log_info("channel: %s", why);
	if (a->chan_open)
		remote_reset(a, why);
	a->chan_open = false;
	a->mode = AGENT_MODE_CHANNEL;
	if (a->chan_up) {
		evloop_del(&a->loop, &a->chan_h);
		svc_io_fini(&a->chan);
		a->chan_h.fd = -1;
		a->chan_up = false;
	}
	/* With --listen, wait for the next adapter; otherwise we are done. */
	if (!a->cfg.listen_path)
		agent_stop(a, code);
}

static void update_channel_events(struct agent *a)
{
	if (a->chan_up)
		evloop_mod(&a->loop, &a->chan_h,
			   EPOLLIN | (svc_io_pending_out(&a->chan) ? EPOLLOUT : 0));
}

static void on_channel(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, chan_h));
	struct svc_frame f;
	int ret, rd = 0;

	if (events & EPOLLOUT) {
		ret = svc_io_flush(&a->chan);
		if (ret) {
			channel_gone(a, "peer gone while writing", AGENT_EXIT_OK);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		rd = svc_io_read(&a->chan);
	while ((ret = svc_io_peek(&a->chan, &f)) == 1) {
		agent_handle_frame(a, &f);
		if (!a->chan_up)
			return;
		svc_io_pop(&a->chan);
	}
	if (ret < 0) {
		log_err("channel: frame larger than %u bytes: closing", SVCPORT_PAYLOAD_MAX);
		channel_gone(a, "framing error", AGENT_EXIT_CHANNEL);
		return;
	}
	if (rd == -EPIPE) {
		channel_gone(a, "adapter closed the connection", AGENT_EXIT_OK);
		return;
	}
	if (rd < 0) {
		log_err("channel: read: %s", strerror(-rd));
		channel_gone(a, "read error", AGENT_EXIT_CHANNEL);
		return;
	}
	update_channel_events(a);
}

void agent_channel_input_for_test(struct agent *a)
{
	if (a->chan_up)
		on_channel(&a->chan_h, EPOLLIN);
}

static int channel_attach(struct agent *a, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (svc_io_init(&a->chan, fd))
		return -ENOMEM;
	a->chan_h.fd = fd;
	a->chan_h.cb = on_channel;
	if (evloop_add(&a->loop, &a->chan_h, EPOLLIN) < 0)
		return -errno;
	a->chan_up = true;
	send_hello(a);
	return 0;
}

/*
 * --listen: only our own uid (the session user; chansrv runs as that user)
 * or root may be the adapter.  The socket's directory should already keep
 * others out; this is the check that does not depend on it.
 */
static bool peer_allowed(struct agent *a, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uid_t me = getuid();

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    len != sizeof(cr)) {
		log_warn("channel: connection refused: no peer credentials: %s",
			 strerror(errno));
		a->stats.peers_refused++;
		return false;
	}
	if (cr.uid == me || cr.uid == 0)
		return true;
	log_warn("channel: connection from uid %u (pid %d) refused: only uid %u or root "
		 "may be the adapter", (unsigned int)cr.uid, (int)cr.pid,
		 (unsigned int)me);
	a->stats.peers_refused++;
	return false;
}

static void on_listen(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, listen_h));
	int fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!peer_allowed(a, fd)) {
		close(fd);
		return;
	}
	if (a->chan_up) {
		log_warn("channel: second adapter connection refused");
		close(fd);
		return;
	}
	log_info("channel: adapter connected");
	if (channel_attach(a, fd)) {
		close(fd);
		a->chan_up = false;
	}
}

/* ---- kernel, timer, signals -------------------------------------------- */

static void on_kernel(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, kern_h));
	int ret = a->kp->ops->process(a->kp);

	if (ret) {
		log_err("kernel: %s", strerror(-ret));
		agent_stop(a, AGENT_EXIT_KERNEL);
	}
}

void agent_run_timers(struct agent *a, uint64_t now)
{
	scard_tick(&a->sc, now);	/* request deadlines, monitor backoff */
	rm_tick(&a->rm, now);		/* BIND retries, idle transactions */
}

static void on_timer(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, timer_h));
	uint64_t ticks;

	if (read(h->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("timer: %s", strerror(errno));
	agent_run_timers(a, now_ms());
}

static void arm_timer(struct agent *a)
{
	uint64_t d = 0, t;
	struct itimerspec its;

	t = scard_next_deadline(&a->sc);
	if (t && (!d || t < d))
		d = t;
	t = rm_next_deadline(&a->rm);
	if (t && (!d || t < d))
		d = t;
	memset(&its, 0, sizeof(its));
	if (d) {
		/* Absolute CLOCK_MONOTONIC; never 0, which would disarm. */
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000 + 1;
	}
	timerfd_settime(a->timer_h.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_signal(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, signal_h));
	struct signalfd_siginfo si;

	if (read(h->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		agent_log_stats(a);
		return;
	}
	/*
	 * The first SIGTERM / SIGINT with a client there: cancel, wait for
	 * its answers (bounded), then release what it holds for us
	 * (scard_leave()); agent_run() stops once scard_quiet().  A second
	 * signal stops at once.
	 */
	if (!a->leaving && a->chan_up && a->chan_open &&
	    scard_leave(&a->sc, now_ms())) {
		a->leaving = true;
		log_info("agent: signal %u, leaving: waiting up to %d ms for the client's "
			 "answers", si.ssi_signo, LEAVE_WAIT_MS);
		return;
	}
	log_info("agent: signal %u, shutting down", si.ssi_signo);
	agent_stop(a, AGENT_EXIT_OK);
}

void agent_log_stats(const struct agent *a)
{
	const struct ct_stats *s = &a->io.ct.stats;
	const struct ledger *l = &a->sc.led;
	uint64_t bad = a->stats.frames_bad + a->srv.frames_bad + a->dev.frames_bad +
		       a->io.frames_bad + a->sc.stats.frames_bad;
	uint32_t nc, nh;

	scard_ledger_counts(&a->sc, &nc, &nh);
	log_info("stats: issued=%llu completed=%llu late=%llu unknown=%llu "
		 "wrong_device=%llu timeouts=%llu cancels=%llu resets=%llu "
		 "bad_frames=%llu kernel_requests=%llu outstanding=%zu abandoned=%zu "
		 "monitor=%s gave_up=%llu client_contexts=%u/%u client_handles=%u/%u "
		 "peak_contexts=%u peak_handles=%u refused=%llu mode=%s "
		 "devices_added=%llu devices_removed=%llu peers_refused=%llu",
		 (unsigned long long)s->issued, (unsigned long long)s->completed,
		 (unsigned long long)s->late, (unsigned long long)s->unknown,
		 (unsigned long long)s->wrong_device, (unsigned long long)s->timeouts,
		 (unsigned long long)a->sc.stats.cancels_sent,
		 (unsigned long long)a->io.resets, (unsigned long long)bad,
		 (unsigned long long)a->rm.stats.kernel_requests,
		 ct_count(&a->io.ct, CT_OUTSTANDING), ct_count(&a->io.ct, CT_ABANDONED),
		 scard_monitor_state(&a->sc),
		 (unsigned long long)a->sc.stats.monitor_gave_up,
		 nc, CLIENT_CTX_MAX, nh, CLIENT_HANDLES_MAX, l->ctx_peak, l->h_peak,
		 (unsigned long long)l->refused,
		 a->mode == AGENT_MODE_DEVICE ? "device" : "channel",
		 (unsigned long long)a->dev.adds, (unsigned long long)a->dev.removes,
		 (unsigned long long)a->stats.peers_refused);
}

/* A stream socket and its address for @path: the fd or -errno. */
static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	int fd;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int open_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd = unix_socket(path, &sa);

	if (fd < 0)
		return fd;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int open_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = unix_socket(path, &sa);

	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * The layers, bottom up, each given the callbacks of the one above it
 * (agent.h): rdpdr_io -> scard_client -> reader_model <- kernel port.
 */
static void wire_layers(struct agent *a)
{
	const struct agent_config *c = &a->cfg;
	struct scard_config scfg = {
		.call_timeout_ms = c->call_timeout_ms,
		.retry_base_ms = c->retry_base_ms,
		.retry_cap_ms = c->retry_cap_ms,
		.retry_max = c->retry_max,
	};
	struct rm_config rcfg = {
		.linger_ms = c->linger_ms,
		.request_timeout_ms = c->request_timeout_ms,
		.call_timeout_ms = c->call_timeout_ms,
		.txn_idle_ms = c->txn_idle_ms,
		.transactions = c->transactions,
	};

	rdpdr_io_init(&a->io, send_pdu, a, &scard_rdpdr_events, &a->sc);
	rdpdr_server_init(&a->srv, &a->io, send_pdu, a);
	device_mode_init(&a->dev, &a->io);
	scard_init(&a->sc, &scfg, &a->io, &rm_scard_events, &a->rm);
	rm_init(&a->rm, &rcfg, &a->sc);
}

static int setup(struct agent *a)
{
	sigset_t mask;
	int fd, err = 0;

	if (evloop_init(&a->loop))
		return AGENT_EXIT_FAILURE;
	wire_layers(a);

	if (a->cfg.fake_kernel_fd >= 0) {
		a->kp = kernel_fake_open(a->cfg.fake_kernel_fd, a->cfg.pool,
					 &rm_kernel_events, &a->rm);
		if (!a->kp)
			log_err("kernel: fake kernel fd %d unusable",
				a->cfg.fake_kernel_fd);
	} else {
		/* logs why */
		a->kp = kernel_nl_open(a->cfg.pool, &rm_kernel_events, &a->rm, &err);
	}
	if (!a->kp)
		return AGENT_EXIT_KERNEL;
	rm_set_kernel(&a->rm, a->kp);
	a->kern_h.fd = a->kp->ops->fd(a->kp);
	a->kern_h.cb = on_kernel;
	if (evloop_add(&a->loop, &a->kern_h, EPOLLIN))
		return AGENT_EXIT_FAILURE;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->signal_h.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->signal_h.cb = on_signal;
	a->timer_h.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->timer_h.cb = on_timer;
	if (a->signal_h.fd < 0 || a->timer_h.fd < 0 ||
	    evloop_add(&a->loop, &a->signal_h, EPOLLIN) ||
	    evloop_add(&a->loop, &a->timer_h, EPOLLIN))
		return AGENT_EXIT_FAILURE;

	a->chan_h.fd = -1;
	a->listen_h.fd = -1;
	if (a->cfg.listen_path) {
		fd = open_listen(a->cfg.listen_path);
		if (fd < 0) {
			log_err("channel: listen on %s: %s", a->cfg.listen_path,
				strerror(-fd));
			return AGENT_EXIT_CHANNEL;
		}
		a->listen_h.fd = fd;
		a->listen_h.cb = on_listen;
		if (evloop_add(&a->loop, &a->listen_h, EPOLLIN))
			return AGENT_EXIT_FAILURE;
		log_info("channel: listening on %s", a->cfg.listen_path);
		return 0;
	}
	fd = a->cfg.connect_path ? open_connect(a->cfg.connect_path) : a->cfg.channel_fd;
	if (fd < 0) {
		log_err("channel: connect to %s: %s", a->cfg.connect_path, strerror(-fd));
		return AGENT_EXIT_CHANNEL;
	}
	if (channel_attach(a, fd)) {
		log_err("channel: fd %d unusable", fd);
		return AGENT_EXIT_CHANNEL;
	}
	return 0;
}

/*
 * In-process harness entry (the fuzzer): a channel and a fake kernel on the
 * given sockets, no event loop, no signals, no timers.
 */
int agent_attach_for_test(struct agent *a, int chan_fd, int kern_fd)
{
	a->timer_h.fd = a->signal_h.fd = a->kern_h.fd = a->listen_h.fd = -1;
	a->chan_h.fd = -1;
	a->loop.epfd = -1;
	wire_layers(a);
	a->kp = kernel_fake_open(kern_fd, a->cfg.pool, &rm_kernel_events, &a->rm);
	if (!a->kp)
		return -ENOMEM;
	rm_set_kernel(&a->rm, a->kp);
	if (svc_io_init(&a->chan, chan_fd))
		return -ENOMEM;
	a->chan_up = true;
	return 0;
}

int agent_run(struct agent *a)
{
	int ret = setup(a);

	if (ret)
		goto out;
	while (!a->stop) {
		if (evloop_run_once(&a->loop, -1) < 0) {
			log_err("agent: epoll: %s", strerror(errno));
			agent_stop(a, AGENT_EXIT_FAILURE);
			break;
		}
		if (a->kp && a->kern_h.fd >= 0) {
			/* Kernel work that arrived during this iteration (a cheap,
			 * non-blocking look: the fd would also report it). */
			if (a->kp->ops->process(a->kp))
				agent_stop(a, AGENT_EXIT_KERNEL);
		}
		if (a->leaving && scard_quiet(&a->sc, now_ms()))
			agent_stop(a, AGENT_EXIT_OK);
		if (a->chan_up)
			update_channel_events(a);
		arm_timer(a);
	}
	ret = a->exit_code;
out:
	agent_shutdown(a);
	return ret;
}

void agent_shutdown(struct agent *a)
{
	if (a->chan_up && a->chan_open)
		scard_teardown(&a->sc);
	if (a->kp) {
		/* Keep our slots reserved so a reconnecting session finds them. */
		rm_free_all(&a->rm);
		agent_log_stats(a);
		a->kp->ops->close(a->kp);
		a->kp = NULL;
	}
	if (a->chan_up) {
		/* Last words to a live adapter: block, but at most 1 s. */
		struct timeval tv = { .tv_sec = 1 };
		int fl = fcntl(a->chan.fd, F_GETFL);

		setsockopt(a->chan.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (fl >= 0)
			fcntl(a->chan.fd, F_SETFL, fl & ~O_NONBLOCK);
		a->chan.blocking = true;
		svc_io_flush(&a->chan);
		svc_io_fini(&a->chan);
		a->chan_up = false;
	}
	if (a->listen_h.fd >= 0) {
		close(a->listen_h.fd);
		if (a->cfg.listen_path)
			unlink(a->cfg.listen_path);
		a->listen_h.fd = -1;
	}
	if (a->timer_h.fd >= 0)
		close(a->timer_h.fd);
	if (a->signal_h.fd >= 0)
		close(a->signal_h.fd);
	a->timer_h.fd = a->signal_h.fd = -1;
	rdpdr_server_fini(&a->srv);
	rdpdr_io_fini(&a->io);
	evloop_fini(&a->loop);
}
