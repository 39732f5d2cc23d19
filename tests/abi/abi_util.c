// SPDX-License-Identifier: MIT
/* ABI tests: socket, slot, ioctl and timing helpers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "abi.h"

uint64_t abi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void abi_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct vscard_nl *abi_nl(void)
{
	struct vscard_nl *nl;
	int err = vscard_nl_open(&nl, VSCARD_NL_NONBLOCK, 0);

	if (err) {
		printf("FAIL: abi: cannot open the vscard family: %s\n",
		       strerror(-err));
		exit(1);
	}
	return nl;
}

static int bind_slot(struct vscard_nl *nl, int slot, const char *key,
		     int64_t linger_ms, int64_t timeout_ms, bool push,
		     uint64_t *epoch)
{
	struct vscard_bind b = {
		.pool = ABI_POOL, .slot = slot, .key = key,
		.key_len = strlen(key), .reader_name = "ABI Test Reader",
		.linger_ms = linger_ms, .timeout_ms = timeout_ms, .push = push,
	};
	uint32_t s;
	int err = vscard_nl_bind(nl, &b, &s, epoch);

	if (err)
		DIAG("bind key=%s slot=%d: %s (%s)", key, slot,
		     strerror(-err), vscard_nl_errmsg(nl));
	return err ? err : (int)s;
}

int abi_bind(struct vscard_nl *nl, int slot, const char *key,
	     int64_t linger_ms, int64_t timeout_ms, uint64_t *epoch)
{
	return bind_slot(nl, slot, key, linger_ms, timeout_ms, false, epoch);
}

int abi_bind_push(struct vscard_nl *nl, int slot, const char *key,
		  uint64_t *epoch)
{
	return bind_slot(nl, slot, key, -1, -1, true, epoch);
}

int abi_card(struct vscard_nl *nl, uint32_t slot, bool present)
{
	static const uint8_t atr[] = { 0x3B, 0x8A, 0x80, 0x01, 0x76, 0x73,
				       0x63, 0x61, 0x72, 0x64, 0x74, 0x65,
				       0x73, 0x74, 0x5B };
	struct vscard_card c = {
		.present = present, .atr = present ? atr : NULL,
		.atr_len = present ? sizeof(atr) : 0,
		.protocols = present ? (int64_t)(VSCARD_PROTO_T0 | VSCARD_PROTO_T1) : -1,
	};
	int err = vscard_nl_card_set(nl, ABI_POOL, slot, &c);

	if (err)
		DIAG("card-set slot %u: %s (%s)", slot, strerror(-err),
		     vscard_nl_errmsg(nl));
	return err;
}

int abi_slot_get(struct vscard_nl *nl, uint32_t slot, struct vscard_attrs *a)
{
	return vscard_nl_slot_get(nl, ABI_POOL, slot, a);
}

int abi_open_slot(struct vscard_nl *nl, uint32_t slot)
{
	struct vscard_attrs a;
	char path[64];
	int err = abi_slot_get(nl, slot, &a), fd;

	if (err) {
		DIAG("slot-get %u: %s", slot, strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "/dev/vscard%u", a.minor);
	vscard_attrs_release(&a);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		DIAG("open %s: %s", path, strerror(errno));
		return -errno;
	}
	return fd;
}

int abi_status(int fd, struct vscard_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, VSCARD_IOC_GET_STATUS, st) < 0 ? -errno : 0;
}

static void *xfer_thread(void *arg)
{
	struct abi_xfer *x = arg;

	x->t_start = abi_now_ns();
	x->ret = ioctl(x->fd, x->ioc, &x->x) < 0 ? -errno : 0;
	x->t_end = abi_now_ns();
	atomic_store(&x->done, true);
	return NULL;
}

int abi_xfer_start(struct abi_xfer *x, int fd, unsigned long ioc,
		   uint32_t code, const void *tx, size_t tx_len,
		   size_t rx_cap, uint32_t timeout_ms)
{
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->ioc = ioc;
	x->tx = malloc(tx_len + 1);
	x->rx = malloc(rx_cap + 1);
	if (!x->tx || !x->rx)
		return -ENOMEM;
	if (tx_len)
		memcpy(x->tx, tx, tx_len);
	x->x.tx_ptr = (uintptr_t)x->tx;
	x->x.tx_len = (uint32_t)tx_len;
	x->x.rx_ptr = (uintptr_t)x->rx;
	x->x.rx_len = (uint32_t)rx_cap;
	x->x.code = code;
	x->x.timeout_ms = timeout_ms;
	return -pthread_create(&x->th, NULL, xfer_thread, x);
}

void abi_xfer_join(struct abi_xfer *x)
{
	pthread_join(x->th, NULL);
}

void abi_xfer_free(struct abi_xfer *x)
{
	free(x->tx);
	free(x->rx);
	x->tx = x->rx = NULL;
}

int abi_transmit(int fd, const void *tx, size_t tx_len, void *rx,
		 size_t *rx_len, uint32_t timeout_ms)
{
	struct vscard_xfer x = {
		.tx_ptr = (uintptr_t)tx, .tx_len = (uint32_t)tx_len,
		.rx_ptr = (uintptr_t)rx, .rx_len = (uint32_t)*rx_len,
		.code = VSCARD_PROTO_T1, .timeout_ms = timeout_ms,
	};

	if (ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0)
		return -errno;
	*rx_len = x.rx_len;
	return 0;
}

static int wait_readable(struct vscard_nl *nl, uint64_t deadline)
{
	struct pollfd p = { .fd = vscard_nl_fd(nl), .events = POLLIN };
	int64_t left = (int64_t)(deadline - abi_now_ns()) / 1000000;

	if (vscard_nl_queued(nl))
		return 0;
	if (left <= 0)
		return -ETIMEDOUT;
	return poll(&p, 1, (int)left) > 0 ? 0 : -ETIMEDOUT;
}

int abi_wait_msg(struct vscard_nl *nl, uint8_t cmd, struct vscard_attrs *m,
		 unsigned int timeout_ms)
{
	uint64_t deadline = abi_now_ns() + timeout_ms * 1000000ULL;

	for (;;) {
		int err = vscard_nl_next(nl, m);

		if (!err && m->cmd == cmd)
			return 0;
		if (!err) {
			vscard_attrs_release(m);
			continue;
		}
		if (err != -EAGAIN && err != -ENOBUFS)
			return err;
		if (wait_readable(nl, deadline))
			return -ETIMEDOUT;
	}
}

int abi_fetch(struct vscard_nl *nl, struct vscard_attrs *req,
	      unsigned int timeout_ms)
{
	uint64_t deadline = abi_now_ns() + timeout_ms * 1000000ULL;

	for (;;) {
		struct vscard_attrs m;
		int err = vscard_nl_req_get(nl, req);

		if (err != -ENOENT)
			return err;
		err = abi_wait_msg(nl, VSCARD_CMD_REQ_NOTIFY, &m,
				   (unsigned int)((deadline - abi_now_ns()) /
						  1000000));
		if (err)
			return err;
		vscard_attrs_release(&m);
	}
}

int abi_done(struct vscard_nl *nl, const struct vscard_attrs *req,
	     int32_t status, const void *data, size_t len)
{
	struct vscard_done d = {
		.pool = req->pool, .slot = req->slot, .req_id = req->req_id,
		.status = status, .result = -1, .protocols = -1,
		.data = data, .len = len,
	};

	return vscard_nl_req_done(nl, &d);
}

struct vscard_nl *abi_take_portid(uint32_t port, int *tries)
{
	uint64_t t0 = abi_now_ns();
	struct vscard_nl *nl = NULL;

	*tries = 0;
	while (vscard_nl_open(&nl, VSCARD_NL_NONBLOCK, port) &&
	       abi_now_ns() - t0 < 5000000000ULL)
		++*tries;
	return nl;
}
