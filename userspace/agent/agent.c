// SPDX-License-Identifier: MIT
/* The agent's event loop: channel frames, kernel messages, timers, signals. */
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
#include "agent_main.h"
#include "encode.h"
#include "log.h"

/* Retry delay of a reader whose binding the kernel ended (reader_model.c
 * retries a failed BIND after the same time). */
#define AGENT_REBIND_MS	5000

void agent_stop(struct agent *a, int code)
{
	if (!a->stop)
		a->exit_code = code;
	a->stop = true;
}

void agent_send_data(struct agent *a, const struct bytebuf *pdu)
{
	int ret;

	if (!a->chan_up)
		return;
	log_hex("rdpdr out", pdu->data, pdu->len);
	ret = svc_io_send(&a->chan, SVCPORT_DATA, pdu->data, (uint32_t)pdu->len);
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

void agent_remote_reset(struct agent *a, const char *why)
{
	log_info("agent: remote state reset (%s)", why);
	a->rdpdr.resets++;
	ct_reset(&a->ct);
	memset(&a->mon, 0, sizeof(a->mon));
	scard_ledger_clear(a);		/* the client drops everything on reset */
	rm_remote_lost(a, a->cfg.linger_ms);
	rdpdr_close(a);
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
		agent_remote_reset(a, "CHANNEL_OPEN while open");
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
	a->chan_open = true;
	log_info("channel: open (session key %zu bytes)", a->key_len);
	rdpdr_start(a);
}

void agent_handle_frame(struct agent *a, const struct svc_frame *f)
{
	a->stats.frames_in++;
	switch (f->type) {
	case SVCPORT_HELLO: {
		struct svcport_hello h;

		if (svcport_decode_hello(f->payload, f->len, &h) == 0)
			log_info("channel: adapter hello, version %u, \"%.*s\"", h.version,
				 (int)(h.name_len > 64 ? 64 : h.name_len), (const char *)h.name);
		else
			log_warn("channel: malformed HELLO ignored");
		break;
	}
	case SVCPORT_CHANNEL_OPEN:
		on_channel_open(a, f->payload, f->len);
		break;
	case SVCPORT_DATA:
		if (!a->chan_open) {
			log_warn("channel: DATA before CHANNEL_OPEN dropped");
			a->stats.frames_bad++;
			break;
		}
		rdpdr_receive(a, f->payload, f->len);
		break;
	case SVCPORT_CHANNEL_CLOSE:
		log_info("channel: closed by the adapter");
		if (a->chan_open)
			agent_remote_reset(a, "channel closed");
		a->chan_open = false;
		break;
	case SVCPORT_RESET:
		log_info("channel: reset by the adapter");
		if (!a->chan_open)
			break;
		agent_remote_reset(a, "channel reset");
		rdpdr_start(a);
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
		agent_remote_reset(a, why);
	a->chan_open = false;
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

static void on_listen(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, listen_h));
	int fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
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

void agent_kernel_request(struct agent *a, struct kreq *r)
{
	rm_request(a, r);
}

void agent_kernel_cancel(struct agent *a, uint32_t slot, uint64_t req_id)
{
	rm_cancel(a, slot, req_id);
}

/*
 * The kernel ended a binding (an administrator's UNBIND, the pool deleted):
 * the reader is unbound as if its BIND had failed, so the usual retry binds
 * it again (to the same or another slot) and reports its card; while the
 * pool is gone that BIND fails and is retried.  Its requests in progress
 * complete into the void (-ENODEV).
 */
void agent_kernel_unbound(struct agent *a, uint32_t slot)
{
	struct reader *r = rm_find_slot(a, slot);

	if (!r)
		return;
	log_warn("rm: slot %u (\"%s\") unbound by the kernel; binding again in %u ms",
		 slot, r->name, AGENT_REBIND_MS);
	r->bound = false;
	r->bind_retry_at = now_ms() + AGENT_REBIND_MS;
}

static void on_kernel(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, kern_h));
	int ret = a->kp->ops->process(a->kp, a);

	if (ret) {
		log_err("kernel: %s", strerror(-ret));
		agent_stop(a, AGENT_EXIT_KERNEL);
	}
}

static void run_timers(struct agent *a)
{
	uint64_t now = now_ms();
	struct ct_entry e;

	while (ct_expire_one(&a->ct, now, &e))
		scard_timeout(a, &e);
	scard_tick(a, now);
	rm_tick(a, now);
}

static void on_timer(struct ev_handler *h, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)h - offsetof(struct agent, timer_h));
	uint64_t ticks;

	if (read(h->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("timer: %s", strerror(errno));
	run_timers(a);
}

static void arm_timer(struct agent *a)
{
	uint64_t d = 0, t;
	struct itimerspec its;

	t = ct_next_deadline(&a->ct);
	if (t && (!d || t < d))
		d = t;
	t = scard_next_deadline(a);
	if (t && (!d || t < d))
		d = t;
	t = rm_next_deadline(a);
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
	log_info("agent: signal %u, shutting down", si.ssi_signo);
	agent_stop(a, AGENT_EXIT_OK);
}

void agent_log_stats(const struct agent *a)
{
	const struct ct_stats *s = &a->ct.stats;
	uint32_t nc, nh;

	scard_ledger_counts(a, &nc, &nh);
	log_info("stats: issued=%llu completed=%llu late=%llu unknown=%llu "
		 "wrong_device=%llu timeouts=%llu cancels=%llu resets=%llu "
		 "bad_frames=%llu kernel_requests=%llu outstanding=%zu abandoned=%zu "
		 "monitor=%s gave_up=%llu client_contexts=%u/%u client_handles=%u/%u "
		 "peak_contexts=%u peak_handles=%u refused=%llu",
		 (unsigned long long)s->issued, (unsigned long long)s->completed,
		 (unsigned long long)s->late, (unsigned long long)s->unknown,
		 (unsigned long long)s->wrong_device, (unsigned long long)s->timeouts,
		 (unsigned long long)a->stats.cancels_sent,
		 (unsigned long long)a->rdpdr.resets,
		 (unsigned long long)a->stats.frames_bad,
		 (unsigned long long)a->stats.kernel_requests,
		 ct_count(&a->ct, CT_OUTSTANDING), ct_count(&a->ct, CT_ABANDONED),
		 scard_monitor_state(a), (unsigned long long)a->stats.monitor_gave_up,
		 nc, CLIENT_CTX_MAX, nh, CLIENT_HANDLES_MAX, a->led.ctx_peak,
		 a->led.h_peak, (unsigned long long)a->led.refused);
}

static int open_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int setup(struct agent *a)
{
	sigset_t mask;
	int fd, err = 0;

	if (evloop_init(&a->loop))
		return AGENT_EXIT_FAILURE;
	ct_init(&a->ct, 1);
	a->next_uid = MONITOR_OWNER + 1;

	if (a->cfg.fake_kernel_fd >= 0) {
		a->kp = kernel_fake_open(a->cfg.fake_kernel_fd, a->cfg.pool);
		if (!a->kp)
			log_err("kernel: fake kernel fd %d unusable",
				a->cfg.fake_kernel_fd);
	} else {
		a->kp = kernel_nl_open(a->cfg.pool, &err);	/* logs why */
	}
	if (!a->kp)
		return AGENT_EXIT_KERNEL;
	a->kp->agent = a;
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
	ct_init(&a->ct, 1);
	a->next_uid = MONITOR_OWNER + 1;
	a->kp = kernel_fake_open(kern_fd, a->cfg.pool);
	if (!a->kp)
		return -ENOMEM;
	a->kp->agent = a;
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
			if (a->kp->ops->process(a->kp, a))
				agent_stop(a, AGENT_EXIT_KERNEL);
		}
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
		scard_teardown(a);
	if (a->kp) {
		/* Keep our slots reserved so a reconnecting session finds them. */
		rm_free_all(a);
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
	ct_fini(&a->ct);
	bb_free(&a->scratch);
	evloop_fini(&a->loop);
}
