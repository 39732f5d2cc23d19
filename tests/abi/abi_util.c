// SPDX-License-Identifier: MIT
/* ABI tests: netlink, binding file, ioctl, child process and timing helpers. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "abi.h"

const uint8_t abi_atr[15] = { 0x3B, 0x8A, 0x80, 0x01, 0x76, 0x73, 0x63, 0x61,
			      0x72, 0x64, 0x74, 0x65, 0x73, 0x74, 0x5B };

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

int abi_nl_try(struct vscard_nl **out)
{
	return vscard_nl_open(out, VSCARD_NL_NONBLOCK, 0);
}

struct vscard_nl *abi_nl(void)
{
	struct vscard_nl *nl;
	int err = abi_nl_try(&nl);

	if (err) {
		printf("FAIL: %s: cannot open the vscard family: %s\n",
		       abi_tap.prefix, strerror(-err));
		exit(1);
	}
	return nl;
}

int abi_bind_pool(struct vscard_nl *nl, uint32_t pool, int slot,
		  const char *key, int64_t linger_ms, int64_t timeout_ms,
		  struct abi_bound *out)
{
	struct vscard_bind b = {
		.pool = pool, .slot = slot, .key = key,
		.key_len = strlen(key), .reader_name = ABI_READER,
		.linger_ms = linger_ms, .timeout_ms = timeout_ms,
	};
	struct vscard_bound r = { .fd = -1 };
	int err = vscard_nl_bind(nl, &b, &r);

	if (out)
		*out = (struct abi_bound){ .pool = pool, .fd = -1 };
	if (err) {
		DIAG("bind pool %u slot %d key=%s: %s (%s)", pool, slot, key,
		     strerror(-err), vscard_nl_errmsg(nl));
		return err;
	}
	if (!out) {
		close(r.fd);
		return (int)r.slot;
	}
	out->slot = r.slot;
	out->epoch = r.epoch;
	out->fd = r.fd;
	return (int)r.slot;
}

void abi_unbound(struct abi_bound *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

int abi_slot_get_pool(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		      struct vscard_attrs *a)
{
	int err;

	memset(a, 0, sizeof(*a));
	err = vscard_nl_slot_get(nl, pool, slot, a);
	if (getenv("ABI_DEBUG"))
		DIAG("slot-get %u/%u -> %d: pool %u slot %u flags %#x pending %u present %#llx binder %u/%u",
		     pool, slot, err, a->pool, a->slot, a->flags, a->pending,
		     (unsigned long long)a->present, a->binder_uid, a->binder_pid);
	return err;
}

uint32_t abi_slot_pending(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct vscard_attrs a;
	uint32_t v = (uint32_t)-1;

	if (!abi_slot_get_pool(nl, pool, slot, &a))
		v = a.pending;
	vscard_attrs_release(&a);
	return v;
}

uint32_t abi_slot_flags(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct vscard_attrs a;
	uint32_t v = (uint32_t)-1;

	if (!abi_slot_get_pool(nl, pool, slot, &a))
		v = a.flags;
	vscard_attrs_release(&a);
	return v;
}

uint64_t abi_slot_stale(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct vscard_attrs a;
	uint64_t v = (uint64_t)-1;

	if (!abi_slot_get_pool(nl, pool, slot, &a))
		v = a.stats.stale_completions;
	vscard_attrs_release(&a);
	return v;
}

bool abi_wait_pending(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		      uint32_t n)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (abi_slot_pending(nl, pool, slot) == n)
			return true;
		abi_sleep_ms(5);
	}
	return false;
}

int abi_slot_minor(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct vscard_attrs a;
	int err = abi_slot_get_pool(nl, pool, slot, &a);

	if (err) {
		DIAG("slot-get %u/%u: %s", pool, slot, strerror(-err));
		return err;
	}
	err = (int)a.minor;
	vscard_attrs_release(&a);
	return err;
}

int abi_open_slot_pool(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	char path[64];
	int minor = abi_slot_minor(nl, pool, slot), fd;

	if (minor < 0)
		return minor;
	snprintf(path, sizeof(path), "/dev/vscard%d", minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		DIAG("open %s: %s", path, strerror(-fd));
	}
	return fd;
}

int abi_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

ssize_t abi_read(int bfd, abi_msg_t *m, int timeout_ms)
{
	ssize_t n;
	int ev;

	ev = abi_poll(bfd, POLLIN, timeout_ms);
	if (ev < 0)
		return ev;
	if (!ev)
		return -ETIMEDOUT;
	n = read(bfd, m, sizeof(*m));
	return n < 0 ? -errno : n;
}

ssize_t abi_write(int bfd, const void *buf, size_t len)
{
	ssize_t n = write(bfd, buf, len);

	return n < 0 ? -errno : n;
}

int abi_done_ex(int bfd, uint64_t id, int32_t status, uint32_t result,
		uint32_t protocols, const void *data, size_t len)
{
	struct vscard_cmd_done d = {
		.cmd = VSCARD_BCMD_DONE, .status = status, .id = id,
		.result = result, .protocols = protocols, .len = (uint32_t)len,
	};
	struct iovec iov[2] = {
		{ .iov_base = &d, .iov_len = sizeof(d) },
		{ .iov_base = (void *)data, .iov_len = status ? 0 : len },
	};
	size_t want = sizeof(d) + iov[1].iov_len;
	ssize_t n = writev(bfd, iov, iov[1].iov_len ? 2 : 1);

	if (n < 0)
		return -errno;
	return (size_t)n == want ? 0 : -EIO;
}

int abi_card_atr(int bfd, const uint8_t *atr, size_t atr_len,
		 uint32_t protocols)
{
	struct vscard_cmd_card c = {
		.cmd = VSCARD_BCMD_CARD,
		.state = atr_len ? VSCARD_CARD_PRESENT : VSCARD_CARD_ABSENT,
		.protocols = protocols, .atr_len = (uint32_t)atr_len,
	};
	ssize_t n;

	if (atr_len)
		memcpy(c.atr, atr, atr_len);
	n = abi_write(bfd, &c, sizeof(c));
	if (n < 0)
		return (int)n;
	return n == sizeof(c) ? 0 : -EIO;
}

int abi_card(int bfd, bool present)
{
	return present ?
	       abi_card_atr(bfd, abi_atr, sizeof(abi_atr),
			    VSCARD_PROTO_T0 | VSCARD_PROTO_T1) :
	       abi_card_atr(bfd, NULL, 0, 0);
}

int abi_status(int fd, struct vscard_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, VSCARD_IOC_GET_STATUS, st) < 0 ? -errno : 0;
}

static void *xfer_thread(void *arg)
{
	struct abi_xfer *x = arg;
	uint64_t one = 1;

	x->t_start = abi_now_ns();
	x->ret = ioctl(x->fd, x->ioc, &x->x) < 0 ? -errno : 0;
	x->t_end = abi_now_ns();
	atomic_store(&x->done, true);
	if (write(x->done_fd, &one, sizeof(one)) < 0)
		perror("eventfd");
	return NULL;
}

int abi_xfer_start(struct abi_xfer *x, int fd, unsigned long ioc,
		   uint32_t code, const void *tx, size_t tx_len,
		   size_t rx_cap, uint32_t timeout_ms)
{
	int err;

	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->ioc = ioc;
	x->done_fd = eventfd(0, EFD_CLOEXEC);
	x->tx = malloc(tx_len + 1);
	x->rx = calloc(1, rx_cap + 1);
	if (!x->tx || !x->rx || x->done_fd < 0) {
		x->ret = -ENOMEM;
		atomic_store(&x->done, true);
		return -ENOMEM;
	}
	if (tx_len)
		memcpy(x->tx, tx, tx_len);
	x->x.tx_ptr = (uintptr_t)x->tx;
	x->x.tx_len = (uint32_t)tx_len;
	x->x.rx_ptr = (uintptr_t)x->rx;
	x->x.rx_len = (uint32_t)rx_cap;
	x->x.code = code;
	x->x.timeout_ms = timeout_ms;
	err = -pthread_create(&x->th, NULL, xfer_thread, x);
	if (err) {
		x->ret = err;
		atomic_store(&x->done, true);
	}
	return err;
}

bool abi_xfer_wait(struct abi_xfer *x, int timeout_ms)
{
	if (atomic_load(&x->done))
		return true;
	return abi_poll(x->done_fd, POLLIN, timeout_ms) > 0;
}

void abi_xfer_join(struct abi_xfer *x)
{
	if (x->th)
		pthread_join(x->th, NULL);
	x->th = 0;
}

void abi_xfer_free(struct abi_xfer *x)
{
	abi_xfer_join(x);
	free(x->tx);
	free(x->rx);
	if (x->done_fd > 0)
		close(x->done_fd);
	x->tx = x->rx = NULL;
	x->done_fd = -1;
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

/* ------------------------------------------------------------------ */
/* Child processes                                                     */
/* ------------------------------------------------------------------ */

void abi_capeff(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	snprintf(buf, len, "%s", "");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7)) {
			char *p = line + 7;

			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\n")] = 0;
			snprintf(buf, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

int abi_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	buf[n] = 0;
	close(fd);
	return (int)n;
}

static int drop_to(uid_t uid, gid_t gid)
{
	char cap[64];

	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		printf("FAIL: %s: child cannot become %u:%u: %s\n",
		       abi_tap.prefix, uid, gid, strerror(errno));
		return -1;
	}
	abi_capeff(cap, sizeof(cap));
	OK(!strcmp(cap, "0000000000000000"),
	   "uid %u: the child runs with no capability (CapEff: %s)", uid, cap);
	return 0;
}

static int child_tap_fd = -1;

void abi_child_report(void)
{
	int counts[3] = { abi_tap.passed, abi_tap.failed, abi_tap.skipped };

	fflush(stdout);
	if (child_tap_fd < 0 || write(child_tap_fd, counts, sizeof(counts)) < 0)
		return;
	abi_tap.passed = abi_tap.failed = abi_tap.skipped = 0;
}

int abi_child_start(struct abi_child *c, uid_t uid, gid_t gid,
		    int (*fn)(int sock, void *arg), void *arg)
{
	int sv[2], tp[2];

	c->pid = -1;
	c->sock = c->tap_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (pipe2(tp, O_CLOEXEC)) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	fflush(stdout);
	c->pid = fork();
	if (c->pid == 0) {
		int rc = 120;

		close(sv[0]);
		close(tp[0]);
		child_tap_fd = tp[1];
		abi_tap.passed = abi_tap.failed = abi_tap.skipped = 0;
		if (!uid || !drop_to(uid, gid)) {
			abi_child_report();
			rc = fn(sv[1], arg);
		}
		abi_child_report();
		_exit(rc);
	}
	close(sv[1]);
	close(tp[1]);
	if (c->pid < 0) {
		close(sv[0]);
		close(tp[0]);
		return -errno;
	}
	c->sock = sv[0];
	c->tap_fd = tp[0];
	return 0;
}

int abi_child_wait(struct abi_child *c)
{
	int counts[3], st = -1;

	if (c->pid <= 0)
		return -1;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	while (read(c->tap_fd, counts, sizeof(counts)) == sizeof(counts)) {
		abi_tap.passed += counts[0];
		abi_tap.failed += counts[1];
		abi_tap.skipped += counts[2];
	}
	close(c->tap_fd);
	c->tap_fd = -1;
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
	return st;
}

int abi_send(int sock, const void *buf, size_t len)
{
	ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int abi_recv(int sock, void *buf, size_t len)
{
	int ev = abi_poll(sock, POLLIN, 60000);
	ssize_t n;

	if (ev <= 0)
		return ev ? ev : -ETIMEDOUT;
	n = recv(sock, buf, len, 0);
	if (n < 0)
		return -errno;
	return n ? (int)n : -EPIPE;
}

int abi_send_u64(int sock, uint64_t v)
{
	return abi_send(sock, &v, sizeof(v));
}

uint64_t abi_recv_u64(int sock)
{
	uint64_t v;

	return abi_recv(sock, &v, sizeof(v)) == sizeof(v) ? v : (uint64_t)-1;
}

int abi_send_fd(int sock, int fd, uint64_t tag)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == sizeof(tag) ? 0 : -errno;
}

int abi_recv_fd(int sock, uint64_t *tag)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	uint64_t t = 0;
	struct iovec iov = { .iov_base = &t, .iov_len = sizeof(t) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd = -EBADMSG, ev = abi_poll(sock, POLLIN, 60000);

	if (ev <= 0)
		return ev ? ev : -ETIMEDOUT;
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (tag)
		*tag = t;
	return fd;
}
