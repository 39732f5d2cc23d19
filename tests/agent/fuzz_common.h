/* SPDX-License-Identifier: MIT */
/*
 * What the agent's libFuzzer targets share (fuzz_agent.c: channel mode,
 * fuzz_device.c: device mode): an agent attached in process to two
 * socketpairs (the adapter's channel and the fake kernel), frames handed
 * to it directly, kernel requests as fake-kernel lines.
 */
#ifndef TESTS_AGENT_FUZZ_COMMON_H
#define TESTS_AGENT_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vscard/svcport.h>

#include "agent.h"
#include "log.h"

/* The fuzzers have no netlink; the agent is attached to the fake kernel. */
struct kernel_port *kernel_nl_open(uint32_t pool, const struct kernel_events *ev,
				   void *ctx, int *err)
{
	(void)pool;
	(void)ev;
	(void)ctx;
	*err = -ENOSYS;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_rig {
	struct agent *a;
	int sv[2];		/* [0] the agent's channel, [1] the adapter's end */
	int kv[2];		/* [0] the agent's fake kernel, [1] ours */
};

static inline void drain(int fd)
{
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static inline void frame(struct agent *a, uint16_t type, const void *p, uint32_t len)
{
	struct svc_frame f = { .type = type, .len = len, .payload = p };

	agent_handle_frame(a, &f);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static inline void channel_open(struct agent *a)
{
	static const uint8_t tlv[] = { 1, 0, 4, 0, 'f', 'u', 'z', 'z' };

	frame(a, SVCPORT_CHANNEL_OPEN, tlv, sizeof(tlv));
}

/* A kernel request REQ <slot> <id> <type> <code> <rx_max> <data> from @p. */
static inline void kernel_request(struct fuzz_rig *r, const uint8_t *p, size_t len)
{
	char line[600];
	size_t i, n;
	int off;

	if (len < 4)
		return;
	off = snprintf(line, sizeof(line), "REQ %u %u %u %u %u ", p[0] % 3, p[1],
		       p[2] % 7, p[3] == 0xff ? 0x42000d48 : p[3],
		       len > 4 ? p[4] * 3u : 258u);
	n = len - 4 > 250 ? 250 : len - 4;
	for (i = 0; i < n; i++)
		off += snprintf(line + off, sizeof(line) - (size_t)off, "%02x", p[4 + i]);
	if (!n)
		off += snprintf(line + off, sizeof(line) - (size_t)off, "-");
	line[off++] = '\n';
	if (write(r->kv[1], line, (size_t)off) == off)
		r->a->kp->ops->process(r->a->kp);
}

/*
 * The next record {u8 kind, u16 len, len bytes} of an input at *@off; a
 * length past the end is cut.  Returns 0 at the end of the input.
 */
static inline int next_record(const uint8_t *data, size_t size, size_t *off,
			      uint8_t *kind, const uint8_t **p, size_t *len)
{
	if (*off + 3 > size)
		return 0;
	*kind = data[*off];
	*len = data[*off + 1] | (size_t)data[*off + 2] << 8;
	*p = data + *off + 3;
	*off += 3;
	if (*len > size - *off)
		*len = size - *off;
	*off += *len;
	return 1;
}

static inline void rig_open(struct fuzz_rig *r)
{
	static int quiet;
	int big = 4 << 20;

	if (!quiet) {
		log_set_level(getenv("FUZZ_LOG") ? LOG_TRACE : LOG_NONE);
		quiet = 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, r->sv) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, r->kv))
		abort();
	for (int i = 0; i < 2; i++) {
		setsockopt(r->sv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(r->kv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	fcntl(r->sv[0], F_SETFL, O_NONBLOCK);	/* as channel_attach() does */
	fcntl(r->sv[1], F_SETFL, O_NONBLOCK);
	fcntl(r->kv[1], F_SETFL, O_NONBLOCK);
	r->a = calloc(1, sizeof(*r->a));
	if (!r->a)
		abort();
	r->a->cfg.channel_fd = -1;
	r->a->cfg.fake_kernel_fd = r->kv[0];
	r->a->cfg.linger_ms = 1000;
	r->a->cfg.request_timeout_ms = 1000;
	r->a->cfg.call_timeout_ms = 1000;
	r->a->cfg.txn_idle_ms = 0;
	r->a->cfg.transactions = true;
	if (agent_attach_for_test(r->a, r->sv[0], r->kv[0]))
		abort();
}

static inline void rig_drain(struct fuzz_rig *r)
{
	drain(r->sv[1]);
	drain(r->kv[1]);
}

static inline void rig_close(struct fuzz_rig *r)
{
	rig_drain(r);
	agent_shutdown(r->a);	/* closes sv[0] and kv[0] */
	close(r->sv[1]);
	close(r->kv[1]);
	free(r->a);
}

/*
 * One fuzz input: a fresh agent, @start (the handshake of the mode), then
 * @record for each record while the agent runs, whatever it sent drained
 * after each; then the agent shuts down (leaks and UB are reported).
 */
static inline int fuzz_run(const uint8_t *data, size_t size,
			   void (*start)(struct fuzz_rig *r),
			   void (*record)(struct fuzz_rig *r, uint8_t kind,
					  const uint8_t *p, size_t len))
{
	struct fuzz_rig rig;
	const uint8_t *p;
	size_t off = 0, len;
	uint8_t kind;

	rig_open(&rig);
	start(&rig);
	while (!rig.a->stop && rig.a->chan_up &&
	       next_record(data, size, &off, &kind, &p, &len)) {
		record(&rig, kind, p, len);
		rig_drain(&rig);
	}
	rig_close(&rig);
	return 0;
}

#endif
