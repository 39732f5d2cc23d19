// SPDX-License-Identifier: MIT
/*
 * Test seam: a stand-in for vscard.ko speaking a line protocol on a socket
 * (--fake-kernel-fd).  It models only what the agent relies on: slot
 * choice on BIND (a slot lingering for the same key and reader, else one
 * lingering for the same key, else the lowest free one), and requests.
 *
 * agent -> test:  BIND <slot> <keyhex> <reader name...>
 *                 UNBIND <slot> <linger_ms>
 *                 CARD <slot> <0|1> <atrhex|-> <protocols>
 *                 DONE <slot> <req_id> <status> <result> <protocols|-1> <hex|->
 * test -> agent:  REQ <slot> <req_id> <type> <code> <rx_max> <hex|->
 *                 CANCEL <slot> <req_id>
 *                 UNBOUND <slot>  (the kernel ended the binding: the
 *                                  binding file read end of file)
 *                 BUSY <0|1>      (1: every BIND fails with -EBUSY)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vscard.h>

#include "bytebuf.h"
#include "kernel_port.h"
#include "log.h"

#define FAKE_SLOTS 16

struct fake_slot {
	bool bound;
	bool lingering;
	uint8_t key[VSCARD_KEY_MAX];
	size_t key_len;
	char name[VSCARD_NAME_MAX];
};

struct fake_kernel {
	struct kernel_port kp;
	int fd;
	struct bytebuf in;
	struct fake_slot slots[FAKE_SLOTS];
	bool busy;
};

static struct fake_kernel *to_fake(struct kernel_port *kp)
{
	return (struct fake_kernel *)kp;
}

static void put_hex(struct bytebuf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (!n) {
		bb_u8(b, '-');
		return;
	}
	for (i = 0; i < n; i++) {
		bb_u8(b, (uint8_t)hex[p[i] >> 4]);
		bb_u8(b, (uint8_t)hex[p[i] & 15]);
	}
}

static void put_str(struct bytebuf *b, const char *s)
{
	bb_put(b, s, strlen(s));
}

static int send_line(struct fake_kernel *f, struct bytebuf *b)
{
	size_t off = 0;

	bb_u8(b, '\n');
	while (off < b->len) {
		ssize_t n = write(f->fd, b->data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			usleep(1000);	/* test peer is slow; lines are tiny */
			continue;
		}
		if (n <= 0) {
			bb_free(b);
			return -EPIPE;
		}
		off += (size_t)n;
	}
	bb_free(b);
	return 0;
}

static int fake_bind(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		     const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		     uint32_t *slot)
{
	struct fake_kernel *f = to_fake(kp);
	int pick = -1, pass, i;
	struct bytebuf b;
	char num[32];

	if (f->busy)
		return -EBUSY;
	for (pass = 0; pass < 3 && pick < 0; pass++) {
		for (i = 0; i < FAKE_SLOTS && pick < 0; i++) {
			struct fake_slot *s = &f->slots[i];
			bool same_key = s->key_len == key_len && !memcmp(s->key, key, key_len);

			if (pass == 0 && s->lingering && same_key && !strcmp(s->name, reader))
				pick = i;
			else if (pass == 1 && s->lingering && same_key)
				pick = i;
			else if (pass == 2 && !s->bound && !s->lingering)
				pick = i;
		}
	}
	if (pick < 0)
		return -EBUSY;
	f->slots[pick].bound = true;
	f->slots[pick].lingering = false;
	memcpy(f->slots[pick].key, key, key_len);
	f->slots[pick].key_len = key_len;
	snprintf(f->slots[pick].name, VSCARD_NAME_MAX, "%s", reader);
	*slot = (uint32_t)pick;
	bb_init(&b);
	snprintf(num, sizeof(num), "BIND %d ", pick);
	put_str(&b, num);
	put_hex(&b, key, key_len);
	bb_u8(&b, ' ');
	put_str(&b, reader);
	return send_line(f, &b);
}

static int fake_unbind(struct kernel_port *kp, uint32_t slot, uint32_t linger_ms)
{
	struct fake_kernel *f = to_fake(kp);
	struct bytebuf b;
	char line[64];

	if (slot >= FAKE_SLOTS || !f->slots[slot].bound)
		return -ENOENT;
	f->slots[slot].bound = false;
	f->slots[slot].lingering = linger_ms > 0;
	bb_init(&b);
	snprintf(line, sizeof(line), "UNBIND %u %u", slot, linger_ms);
	put_str(&b, line);
	return send_line(f, &b);
}

static int fake_card_set(struct kernel_port *kp, uint32_t slot, bool present,
			 const uint8_t *atr, size_t atr_len, uint32_t protocols)
{
	struct fake_kernel *f = to_fake(kp);
	struct bytebuf b;
	char line[64];

	bb_init(&b);
	snprintf(line, sizeof(line), "CARD %u %d ", slot, present);
	put_str(&b, line);
	put_hex(&b, atr, present ? atr_len : 0);
	snprintf(line, sizeof(line), " %u", protocols);
	put_str(&b, line);
	return send_line(f, &b);
}

static int fake_req_done(struct kernel_port *kp, uint32_t slot, uint64_t req_id,
			 int32_t status, uint32_t result, int64_t protocols,
			 const void *data, size_t len)
{
	struct fake_kernel *f = to_fake(kp);
	struct bytebuf b;
	char line[128];

	bb_init(&b);
	snprintf(line, sizeof(line), "DONE %u %" PRIu64 " %d %u %" PRId64 " ",
		 slot, req_id, status, result, protocols);
	put_str(&b, line);
	put_hex(&b, data, len);
	return send_line(f, &b);
}

static int unhex(const char *s, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *p;

	*out = NULL;
	*len = 0;
	if (!strcmp(s, "-"))
		return 0;
	if (n % 2 || n / 2 > VSCARD_DATA_MAX)
		return -1;
	p = malloc(n / 2 + 1);
	if (!p)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(p);
			return -1;
		}
		p[i] = (uint8_t)v;
	}
	*out = p;
	*len = (uint32_t)(n / 2);
	return 0;
}

static void handle_line(struct fake_kernel *f, char *line)
{
	char hex[2 * VSCARD_DATA_MAX + 2];
	unsigned long long id;
	unsigned int slot, type, code, rx;
	struct kreq *q;

	if (sscanf(line, "BUSY %u", &slot) == 1) {
		f->busy = slot != 0;
		return;
	}
	if (sscanf(line, "CANCEL %u %llu", &slot, &id) == 2) {
		f->kp.ev->cancel(f->kp.ev_ctx, slot, id);
		return;
	}
	if (sscanf(line, "UNBOUND %u", &slot) == 1) {
		if (slot < FAKE_SLOTS && f->slots[slot].bound) {
			f->slots[slot].bound = false;
			f->kp.ev->unbound(f->kp.ev_ctx, slot);
		}
		return;
	}
	if (strlen(line) < sizeof(hex) &&
	    sscanf(line, "REQ %u %llu %u %u %u %s", &slot, &id, &type, &code, &rx,
		   hex) == 6) {
		q = calloc(1, sizeof(*q));
		if (!q || unhex(hex, &q->data, &q->len)) {
			free(q);
			log_warn("fake-kernel: bad REQ line");
			return;
		}
		q->slot = slot;
		q->req_id = id;
		q->type = type;
		q->code = code;
		q->rx_max = rx;
		f->kp.ev->request(f->kp.ev_ctx, q);
		return;
	}
	log_warn("fake-kernel: unknown line ignored");
}

static int fake_process(struct kernel_port *kp)
{
	struct fake_kernel *f = to_fake(kp);
	char buf[4096];
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(f->fd, buf, sizeof(buf));
		if (n > 0) {
			bb_put(&f->in, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	for (;;) {
		char *nl = f->in.len ? memchr(f->in.data, '\n', f->in.len) : NULL;
		char *line;

		if (!nl)
			break;
		i = (size_t)(nl - (char *)f->in.data);
		line = malloc(i + 1);
		if (!line)
			return -ENOMEM;
		memcpy(line, f->in.data, i);
		line[i] = '\0';
		bb_consume(&f->in, i + 1);
		handle_line(f, line);
		free(line);
	}
	if (n == 0)
		return -EPIPE;
	if (n < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static int fake_fd(struct kernel_port *kp)
{
	return to_fake(kp)->fd;
}

static void fake_close(struct kernel_port *kp)
{
	struct fake_kernel *f = to_fake(kp);

	bb_free(&f->in);
	close(f->fd);
	free(f);
}

static const struct kernel_ops fake_ops = {
	.bind = fake_bind,
	.unbind = fake_unbind,
	.card_set = fake_card_set,
	.req_done = fake_req_done,
	.process = fake_process,
	.fd = fake_fd,
	.close = fake_close,
};

struct kernel_port *kernel_fake_open(int fd, uint32_t pool,
				     const struct kernel_events *ev, void *ctx)
{
	struct fake_kernel *f = calloc(1, sizeof(*f));
	int fl = fcntl(fd, F_GETFL);

	if (!f || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		free(f);
		return NULL;
	}
	f->kp.ops = &fake_ops;
	f->kp.pool = pool;
	f->kp.ev = ev;
	f->kp.ev_ctx = ctx;
	f->fd = fd;
	bb_init(&f->in);
	log_info("kernel: using the fake kernel on fd %d (test seam)", fd);
	return &f->kp;
}
