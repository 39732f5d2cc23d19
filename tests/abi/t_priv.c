// SPDX-License-Identifier: MIT
/*
 * ABI tests: ownership and privilege, with two real unprivileged users
 * (alice 1001 owns a pool, bob 1002 owns nothing), an admin that is not
 * root (carol 1003 with CAP_NET_ADMIN only), and the malformed netlink
 * attributes.  Every child drops to its uid with no capability left and
 * runs its own assertions; the kernel decides with the effective uid of
 * the caller and of the netlink socket's opener.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include "abi.h"

#define ALICE	1001
#define BOB	1002
#define CAROL	1003

static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };

/* What the children need to know. */
struct priv_ctx {
	uint32_t pool;			/* alice's pool */
	int minor[2];			/* its slots' nodes */
	int minor0;			/* pool 0 slot 0 */
	uint32_t alice_slot;		/* bound by alice (for UNBIND) */
	uint32_t linger_slot;		/* lingering for alice */
	uint32_t root_linger_slot;	/* pool 0, lingering for root */
	struct vscard_nl *root_nl;	/* a socket root opened */
};

/* Join the events group by hand: -errno of NETLINK_ADD_MEMBERSHIP. */
static int join_events(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int grp, r;

	if (!s)
		return -ENOMEM;
	if (genl_connect(s)) {
		nl_socket_free(s);
		return -EIO;
	}
	grp = genl_ctrl_resolve_grp(s, VSCARD_GENL_NAME, VSCARD_MCGRP_EVENTS);
	if (grp < 0) {
		nl_socket_free(s);
		return -ENOENT;
	}
	r = setsockopt(nl_socket_get_fd(s), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) ? -errno : 0;
	nl_socket_free(s);
	return r;
}

struct dump_count {
	int n;
	int pools[8];
	uint32_t pool_of[40];
};

static int count_cb(struct vscard_attrs *a, void *arg)
{
	struct dump_count *d = arg;

	if (d->n < 40)
		d->pool_of[d->n] = a->pool;
	d->n++;
	return 0;
}

static bool dump_has(const struct dump_count *d, uint32_t pool)
{
	int i;

	for (i = 0; i < d->n && i < 40; i++)
		if (d->pool_of[i] == pool)
			return true;
	return false;
}

static void node_path(char *buf, size_t len, int minor)
{
	snprintf(buf, len, "/dev/vscard%d", minor);
}

static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int sysfs_read(int minor, const char *attr)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path), "/sys/class/vscard/vscard%d/%s", minor,
		 attr);
	return abi_read_file(path, buf, sizeof(buf));
}

/* ---- alice: the pool's owner, no capability ---- */

static int alice_main(int sock, void *arg)
{
	struct priv_ctx *c = arg;
	struct dump_count pd = { 0 }, sd = { 0 };
	struct abi_agent_stats st;
	struct vscard_nl *nl;
	struct vscard_attrs a;
	struct vscard_status vs;
	struct abi_bound b, l;
	char path[64];
	uint32_t pool;
	abi_msg_t *m = malloc(sizeof(*m));
	int r, fd;

	memset(&st, 0, sizeof(st));
	r = abi_nl_try(&nl);
	OK(r == 0, "alice: opens a vscard netlink socket (%d)", r);
	if (r)
		return 1;
	r = vscard_nl_pool_new(nl, 1, NULL, NULL, &pool);
	OK(r == -EPERM, "alice: POOL_NEW -> EPERM (%d)", r);
	r = vscard_nl_pool_del(nl, c->pool);
	OK(r == -EPERM, "alice: POOL_DEL of her own pool -> EPERM (admin only) (%d)", r);
	memset(&a, 0, sizeof(a));
	r = vscard_nl_pool_get(nl, c->pool, &a);
	OK(r == 0 && a.pool == c->pool && a.uid == ALICE && a.slots == 2,
	   "alice: POOL_GET of her pool: uid %u, %u slots (%d)", a.uid, a.slots, r);
	vscard_attrs_release(&a);
	r = vscard_nl_pool_dump(nl, count_cb, &pd);
	OK(r == 0 && pd.n == 1 && dump_has(&pd, c->pool),
	   "alice: the pool dump shows her pool only, not pool 0 (%d entries, %d)",
	   pd.n, r);
	r = vscard_nl_slot_dump(nl, NULL, count_cb, &sd);
	OK(r == 0 && sd.n == 2 && dump_has(&sd, c->pool) && !dump_has(&sd, 0),
	   "alice: the slot dump shows her 2 slots only (%d entries, %d)", sd.n, r);
	r = abi_slot_get_pool(nl, 0, 0, &a);
	vscard_attrs_release(&a);
	OK(r == -ENOENT, "alice: SLOT_GET of root's pool 0 -> ENOENT (%d)", r);
	r = abi_bind_pool(nl, 0, -1, "alice-key", -1, -1, NULL);
	OK(r == -EPERM, "alice: BIND in root's pool 0 -> EPERM (%d)", r);
	r = vscard_nl_unbind(nl, 0, 0);
	OK(r == -EPERM, "alice: UNBIND in root's pool 0 -> EPERM (%d)", r);
	r = join_events();
	OK(r == -EPERM, "alice: joining the events group -> EPERM (%d)", r);
	node_path(path, sizeof(path), c->minor0);
	r = open_errno(path, O_RDWR);
	OK(r == -EACCES, "alice: open %s (pool 0, root 0600) -> EACCES (%d)", path, r);
	r = sysfs_read(c->minor[0], "reader_name");
	OK(r == -EACCES, "alice: even her own slot's sysfs reader_name is root's (%d)",
	   r);

	/* bind her pool, serve requests from root's caller */
	r = abi_bind_pool(nl, c->pool, -1, "alice-key", -1, -1, &b);
	OK(r >= 0 && b.fd >= 0, "alice: BIND in her pool, no capability -> slot %d fd %d",
	   r, b.fd);
	if (r < 0)
		goto out;
	r = abi_card(b.fd, true);
	OK(r == 0, "alice: card state written to her binding (%d)", r);
	r = abi_slot_get_pool(nl, c->pool, b.slot, &a);
	OK(r == 0 && a.binder_uid == ALICE && a.binder_pid == (uint32_t)getpid(),
	   "alice: SLOT_GET of her slot: binder uid %u pid %u (%d)", a.binder_uid,
	   a.binder_pid, r);
	vscard_attrs_release(&a);
	node_path(path, sizeof(path), c->minor[b.slot]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	r = fd >= 0 ? abi_status(fd, &vs) : -errno;
	OK(r == 0 && (vs.flags & VSCARD_STATUS_PRESENT) && vs.pool == c->pool,
	   "alice: opens her own %s (0660 alice) and reads its status (%d)", path, r);
	if (fd >= 0)
		close(fd);
	abi_send_u64(sock, b.slot);
	r = abi_serve(b.fd, -1, 0, 50, &st);
	OK(r == 0 && atomic_load(&st.answered) == 50,
	   "alice: served 50 requests of root's caller through her binding file (%lu)",
	   atomic_load(&st.answered));
	abi_recv_u64(sock);		/* root is done, bob ran */
	r = vscard_nl_unbind(nl, c->pool, b.slot);
	OK(r == 0 && m && abi_read(b.fd, m, 5000) == 0,
	   "alice: UNBIND of her own slot works, her binding file reads EOF (%d)", r);
	abi_unbound(&b);

	/* a linger for alice's key: a wrong key gets EBUSY */
	r = abi_bind_pool(nl, c->pool, 1, "alice-linger", 600000, -1, &l);
	abi_unbound(&l);
	OK(r == 1 && (abi_slot_flags(nl, c->pool, 1) & VSCARD_STATUS_LINGERING),
	   "alice: bound slot 1 with a linger and closed it: lingering (%d)", r);
	r = abi_bind_pool(nl, c->pool, 1, "wrong-key", -1, -1, NULL);
	OK(r == -EBUSY, "alice: taking her lingering slot with a wrong key -> EBUSY (%d)",
	   r);
	abi_send_u64(sock, 1);		/* bob and carol try it now */
	abi_recv_u64(sock);
	r = abi_bind_pool(nl, c->pool, -1, "alice-linger", -1, -1, &l);
	OK(r == 1 && !(abi_slot_flags(nl, c->pool, 1) & VSCARD_STATUS_LINGERING),
	   "alice: the same uid with the right key takes it back (%d)", r);
	abi_unbound(&l);
out:
	free(m);
	vscard_nl_close(nl);
	return 0;
}

/* ---- bob: owns nothing ---- */

static int bob_main(int sock, void *arg)
{
	struct priv_ctx *c = arg;
	struct dump_count pd = { 0 }, sd = { 0 }, fd_ = { 0 };
	struct vscard_nl *nl, *ev = NULL;
	struct vscard_attrs a;
	char path[64];
	uint32_t pool;
	int r;

	(void)sock;
	r = abi_nl_try(&nl);
	OK(r == 0, "bob: opens a vscard netlink socket (%d)", r);
	if (r)
		return 1;
	r = abi_bind_pool(nl, c->pool, -1, "bob-key", -1, -1, NULL);
	OK(r == -EPERM, "bob: BIND in alice's pool -> EPERM (%d)", r);
	r = vscard_nl_unbind(nl, c->pool, c->alice_slot);
	OK(r == -EPERM, "bob: UNBIND of alice's bound slot -> EPERM (%d)", r);
	memset(&a, 0, sizeof(a));
	r = vscard_nl_pool_get(nl, c->pool, &a);
	vscard_attrs_release(&a);
	OK(r == -ENOENT, "bob: POOL_GET of alice's pool -> ENOENT (%d)", r);
	r = abi_slot_get_pool(nl, c->pool, 0, &a);
	vscard_attrs_release(&a);
	OK(r == -ENOENT, "bob: SLOT_GET of alice's slot -> ENOENT (%d)", r);
	r = abi_slot_get_pool(nl, 0, 0, &a);
	vscard_attrs_release(&a);
	OK(r == -ENOENT, "bob: SLOT_GET of root's pool 0 -> ENOENT (%d)", r);
	r = vscard_nl_pool_dump(nl, count_cb, &pd);
	OK(r == 0 && pd.n == 0, "bob: the pool dump is empty (%d entries, %d)", pd.n,
	   r);
	r = vscard_nl_slot_dump(nl, NULL, count_cb, &sd);
	OK(r == 0 && sd.n == 0, "bob: the slot dump is empty (%d entries, %d)", sd.n,
	   r);
	r = vscard_nl_slot_dump(nl, &c->pool, count_cb, &fd_);
	OK((r == 0 || r == -ENOENT) && fd_.n == 0,
	   "bob: a slot dump filtered on alice's pool shows nothing (%d entries, %d)",
	   fd_.n, r);
	r = join_events();
	OK(r == -EPERM, "bob: joining the events group -> EPERM (%d)", r);
	r = vscard_nl_open(&ev, VSCARD_NL_EVENTS | VSCARD_NL_NONBLOCK, 0);
	OK(r != 0, "bob: libvscard cannot open an events socket either (%d)", r);
	if (!r)
		vscard_nl_close(ev);
	r = sysfs_read(c->minor[0], "reader_name");
	OK(r == -EACCES, "bob: read sysfs reader_name of alice's slot -> EACCES (%d)", r);
	r = sysfs_read(c->minor[0], "session_key_hash");
	OK(r == -EACCES, "bob: read sysfs session_key_hash -> EACCES (%d)", r);
	r = sysfs_read(c->minor[0], "state");
	OK(r == -EACCES, "bob: read sysfs state -> EACCES (%d)", r);
	r = sysfs_read(c->minor[0], "stats/requests");
	OK(r == -EACCES, "bob: read sysfs stats/requests -> EACCES (%d)", r);
	r = sysfs_read(c->minor[0], "pool");
	OK(r > 0, "bob: sysfs pool stays world-readable (%d)", r);
	r = sysfs_read(c->minor[0], "slot");
	OK(r > 0, "bob: sysfs slot stays world-readable (%d)", r);
	node_path(path, sizeof(path), c->minor[0]);
	r = open_errno(path, O_RDWR);
	OK(r == -EACCES, "bob: open alice's %s (0660 1001:1001) -> EACCES (%d)", path, r);
	r = open_errno(path, O_RDONLY);
	OK(r == -EACCES, "bob: open it read-only -> EACCES (%d)", r);
	r = vscard_nl_pool_new(nl, 1, NULL, NULL, &pool);
	OK(r == -EPERM, "bob: POOL_NEW -> EPERM (%d)", r);
	r = vscard_nl_pool_del(nl, c->pool);
	OK(r == -EPERM, "bob: POOL_DEL of alice's pool -> EPERM (%d)", r);

	/* alice's linger: the right key is not enough */
	abi_send_u64(sock, 1);		/* first part done */
	abi_recv_u64(sock);		/* the linger is in place */
	r = abi_bind_pool(nl, c->pool, (int)c->linger_slot, "alice-linger", -1,
			  -1, NULL);
	OK(r == -EPERM,
	   "bob: taking alice's lingering slot with her key -> EPERM (not his pool) (%d)",
	   r);
	r = abi_bind_pool(nl, c->pool, -1, "alice-linger", -1, -1, NULL);
	OK(r == -EPERM, "bob: the same without a slot -> EPERM (%d)", r);
	vscard_nl_close(nl);
	return 0;
}

/* ---- carol: uid 1003 with CAP_NET_ADMIN only (an admin, not the owner) ---- */

static int become_admin(uid_t uid)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	char cap[64];
	unsigned long want = 1UL << CAP_NET_ADMIN;

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
	    setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -errno;
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)want;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	abi_capeff(cap, sizeof(cap));
	OK(strtoull(cap, NULL, 16) == want,
	   "carol: uid %u with CAP_NET_ADMIN only (CapEff: %s)", uid, cap);
	return 0;
}

static int carol_main(int sock, void *arg)
{
	struct priv_ctx *c = arg;
	struct vscard_nl *nl;
	struct vscard_attrs a;
	struct abi_bound b;
	int r;

	abi_recv_u64(sock);		/* the lingers are in place */
	r = become_admin(CAROL);
	if (r) {
		OK(0, "carol: become uid %u with CAP_NET_ADMIN (%d)", CAROL, r);
		return 1;
	}
	r = abi_nl_try(&nl);
	if (r) {
		OK(0, "carol: socket (%d)", r);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	r = vscard_nl_pool_get(nl, c->pool, &a);
	vscard_attrs_release(&a);
	OK(r == 0, "carol (admin): POOL_GET of alice's pool (%d)", r);
	r = abi_bind_pool(nl, c->pool, (int)c->linger_slot, "alice-linger", -1,
			  -1, NULL);
	OK(r == -EBUSY,
	   "carol (admin): alice's lingering slot, with her key -> EBUSY (another uid's linger) (%d)",
	   r);
	r = abi_bind_pool(nl, 0, (int)c->root_linger_slot, "root-linger", -1,
			  -1, NULL);
	OK(r == -EBUSY,
	   "carol (admin): root's lingering slot of pool 0, with root's key -> EBUSY (%d)",
	   r);
	r = abi_bind_pool(nl, 0, -1, "carol-key", -1, -1, &b);
	OK(r >= 0 && r != (int)c->root_linger_slot,
	   "carol (admin): BIND of a free slot of root's pool 0 is allowed (%d)", r);
	abi_unbound(&b);
	r = join_events();
	OK(r == 0, "carol (admin): may join the events group (%d)", r);
	vscard_nl_close(nl);
	return 0;
}

/* ---- alice's socket opened by root ---- */

static int opener_main(int sock, void *arg)
{
	struct priv_ctx *c = arg;
	struct vscard_attrs a;
	int r;

	(void)sock;
	r = abi_bind_pool(c->root_nl, c->pool, -1, "alice-key", -1, -1, NULL);
	OK(r == -EPERM,
	   "alice with a netlink socket root opened: BIND in her pool -> EPERM (the opener is not the owner) (%d)",
	   r);
	memset(&a, 0, sizeof(a));
	r = vscard_nl_pool_get(c->root_nl, c->pool, &a);
	vscard_attrs_release(&a);
	OK(r == -ENOENT, "...and POOL_GET of her pool -> ENOENT (%d)", r);
	return 0;
}

/* ---- alice's agent killed with a request pending ---- */

static int victim_main(int sock, void *arg)
{
	struct priv_ctx *c = arg;
	struct vscard_nl *nl;
	struct abi_bound b;
	abi_msg_t *m = malloc(sizeof(*m));
	int r;

	if (!m || abi_nl_try(&nl))
		return 1;
	r = abi_bind_pool(nl, c->pool, -1, "alice-victim", -1, -1, &b);
	vscard_nl_close(nl);
	if (r < 0 || abi_card(b.fd, true))
		return 2;
	abi_child_report();
	abi_send_u64(sock, b.slot);
	if (abi_read(b.fd, m, 60000) <= 0)
		return 3;
	abi_send_u64(sock, m->msg.id);
	for (;;)
		pause();
}

static void check_modes(struct vscard_nl *nl, struct priv_ctx *c)
{
	static const char *const root_only[] = {
		"state", "reader_name", "epoch", "seq", "insert_count",
		"session_key_hash", "pending", "stats/requests",
		"stats/completed", "stats/timeouts", "stats/aborted",
		"stats/stale_completions", "stats/binds",
	};
	char path[160];
	struct stat sb;
	size_t i;
	int bad = 0, r;

	node_path(path, sizeof(path), c->minor[0]);
	r = stat(path, &sb);
	OK(r == 0 && S_ISCHR(sb.st_mode) && (sb.st_mode & 07777) == 0660 &&
	   sb.st_uid == ALICE && sb.st_gid == ALICE,
	   "alice's pool: %s is 0660 1001:1001 (%o %u:%u)", path,
	   sb.st_mode & 07777, sb.st_uid, sb.st_gid);
	node_path(path, sizeof(path), c->minor0);
	r = stat(path, &sb);
	OK(r == 0 && (sb.st_mode & 07777) == 0600 && sb.st_uid == 0 &&
	   sb.st_gid == 0, "pool 0: %s is 0600 root:root (%o %u:%u)", path,
	   sb.st_mode & 07777, sb.st_uid, sb.st_gid);
	for (i = 0; i < sizeof(root_only) / sizeof(root_only[0]); i++) {
		snprintf(path, sizeof(path), "/sys/class/vscard/vscard%d/%s",
			 c->minor[0], root_only[i]);
		if (stat(path, &sb) || (sb.st_mode & 0777) != 0400) {
			DIAG("sysfs %s: %s mode %o", root_only[i],
			     errno == ENOENT ? "missing" : "", sb.st_mode & 0777);
			bad++;
		}
	}
	OK(!bad, "sysfs: every attribute but pool and slot is 0400 (%d not)", bad);
	for (bad = 0, i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/class/vscard/vscard%d/%s",
			 c->minor[0], i ? "slot" : "pool");
		bad += stat(path, &sb) || (sb.st_mode & 0777) != 0444;
	}
	OK(!bad, "sysfs: pool and slot are 0444");
	(void)nl;
}

static void test_owners(void)
{
	struct vscard_nl *nl = abi_nl();
	struct priv_ctx c;
	struct abi_child al, bo, ca, op, vi;
	struct abi_bound rl;
	uint32_t uid = ALICE, gid = ALICE;
	int r, st, i, ok, minor;
	uint64_t v;

	memset(&c, 0, sizeof(c));
	rl.fd = -1;
	r = vscard_nl_pool_new(nl, 2, &uid, &gid, &c.pool);
	OK(r == 0, "root: POOL_NEW {2 slots, uid 1001, gid 1001} -> pool %u (%d)",
	   c.pool, r);
	if (r)
		goto out;
	for (i = 0; i < 2; i++)
		c.minor[i] = abi_slot_minor(nl, c.pool, (uint32_t)i);
	minor = abi_slot_minor(nl, 0, 0);
	c.minor0 = minor;
	c.root_nl = nl;
	c.linger_slot = 1;
	check_modes(nl, &c);

	/* alice binds and serves root's requests */
	if (abi_child_start(&al, ALICE, ALICE, alice_main, &c)) {
		OK(0, "alice: fork");
		goto out_pool;
	}
	v = abi_recv_u64(al.sock);
	c.alice_slot = (uint32_t)v;
	r = v < 2 ? abi_open_slot_pool(nl, c.pool, (uint32_t)v) : -1;
	for (ok = 0, i = 0; r >= 0 && i < 50; i++) {
		uint8_t rx[8];
		size_t len = sizeof(rx);

		ok += !abi_transmit(r, apdu, sizeof(apdu), rx, &len, 20000) &&
		      len == 2 && rx[0] == 0x90;
	}
	OK(ok == 50, "root's caller: 50 requests through alice's binding answered (%d)",
	   ok);
	if (r >= 0)
		close(r);

	/* bob, while alice's binding is up */
	bo.pid = -1;
	if (abi_child_start(&bo, BOB, BOB, bob_main, &c) == 0)
		abi_recv_u64(bo.sock);
	OK(abi_slot_flags(nl, c.pool, c.alice_slot) & VSCARD_STATUS_BOUND,
	   "alice's binding is untouched by bob's attempts");
	abi_send_u64(al.sock, 0);	/* alice unbinds, lingers slot 1 */
	v = abi_recv_u64(al.sock);
	/* root's own linger in pool 0 */
	r = abi_bind(nl, -1, "root-linger", 600000, -1, &rl);
	c.root_linger_slot = r >= 0 ? (uint32_t)r : 0;
	abi_unbound(&rl);
	r = abi_bind_pool(nl, c.pool, 1, "alice-linger", -1, -1, NULL);
	OK(r == -EBUSY,
	   "root (admin, uid 0) with alice's key on her lingering slot -> EBUSY (%d)", r);
	if (bo.pid > 0) {
		abi_send_u64(bo.sock, 1);	/* bob: try the linger */
		st = abi_child_wait(&bo);
		OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "bob's checks ran (%#x)",
		   st);
	}
	if (abi_child_start(&ca, 0, 0, carol_main, &c) == 0) {
		abi_send_u64(ca.sock, 1);
		st = abi_child_wait(&ca);
		OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "carol's checks ran (%#x)",
		   st);
	}
	abi_send_u64(al.sock, 1);	/* alice: take it back */
	st = abi_child_wait(&al);
	OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "alice's checks ran (%#x)", st);
	r = abi_bind(nl, (int)c.root_linger_slot, "root-linger", -1, -1, &rl);
	OK(r == (int)c.root_linger_slot,
	   "root takes back its own linger in pool 0 (%d)", r);
	abi_unbound(&rl);

	/* a socket root opened, used by alice */
	if (abi_child_start(&op, ALICE, ALICE, opener_main, &c) == 0)
		abi_child_wait(&op);

	/* kill -9 of alice's agent with a request pending */
	if (abi_child_start(&vi, ALICE, ALICE, victim_main, &c) == 0) {
		struct abi_xfer x;
		uint32_t pending;
		int fd = -1;

		v = abi_recv_u64(vi.sock);
		if (v < 2)
			fd = abi_open_slot_pool(nl, c.pool, (uint32_t)v);
		abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
			       sizeof(apdu), 2, 60000);
		v = abi_recv_u64(vi.sock);	/* read by the agent */
		kill(vi.pid, SIGKILL);
		st = abi_child_wait(&vi);
		pending = fd >= 0 ? abi_slot_pending(nl, c.pool, 0) +
				    abi_slot_pending(nl, c.pool, 1) : 99;
		abi_xfer_join(&x);
		OK(v != (uint64_t)-1 && WIFSIGNALED(st) && pending == 0 &&
		   x.ret == -ENOMEDIUM,
		   "kill -9 of alice's agent: the pending caller fails with -ENOMEDIUM at once (%d, %u pending)",
		   x.ret, pending);
		abi_xfer_free(&x);
		if (fd >= 0)
			close(fd);
	}
out_pool:
	r = vscard_nl_pool_del(nl, c.pool);
	OK(r == 0, "root: POOL_DEL of alice's pool (%d)", r);
out:
	vscard_nl_close(nl);
}

/* ---- malformed netlink attributes ---- */

typedef int (*build_fn)(struct nl_msg *m, uint32_t slot);

static int bind_pool_u16(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u16(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_no_key(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_no_name(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc");
}

static int bind_long_key(struct nl_msg *m, uint32_t slot)
{
	static const char key[VSCARD_KEY_MAX + 1];

	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, sizeof(key), key) |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_empty_key(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 0, "") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_long_name(struct nl_msg *m, uint32_t slot)
{
	char name[VSCARD_NAME_MAX + 10];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, name);
}

static int bind_unterminated_name(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put(m, VSCARD_A_READER_NAME, 4, "rrrr");
}

static int bind_bad_slot(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_SLOT, VSCARD_POOL_SLOTS_MAX) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r");
}

static int bind_fd_attr(struct nl_msg *m, uint32_t slot)
{
	/* FD is a reply attribute, not a request one */
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put(m, VSCARD_A_SESSION_KEY, 3, "abc") |
	       nla_put_string(m, VSCARD_A_READER_NAME, "r") |
	       nla_put_u32(m, VSCARD_A_FD, 0);
}

static int unbind_no_slot(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0);
}

static int pool_zero_slots(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_SLOTS, 0);
}

static int pool_too_many(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_SLOTS, VSCARD_POOL_SLOTS_MAX + 1);
}

static int unknown_attr(struct nl_msg *m, uint32_t slot)
{
	return nla_put_u32(m, VSCARD_A_POOL, 0) |
	       nla_put_u32(m, VSCARD_A_MAX + 5, 1);
}

static void test_malformed(void)
{
	static const struct {
		const char *what;
		uint8_t cmd;
		build_fn fn;
		bool missing;	/* a missing attribute: MISS_TYPE will do */
	} c[] = {
		{ "BIND with a u16 POOL", VSCARD_CMD_BIND, bind_pool_u16, 0 },
		{ "BIND without SESSION_KEY", VSCARD_CMD_BIND, bind_no_key, 1 },
		{ "BIND without READER_NAME", VSCARD_CMD_BIND, bind_no_name, 1 },
		{ "BIND with a 65-byte key", VSCARD_CMD_BIND, bind_long_key, 0 },
		{ "BIND with an empty key", VSCARD_CMD_BIND, bind_empty_key, 0 },
		{ "BIND with a 137-byte name", VSCARD_CMD_BIND, bind_long_name, 0 },
		{ "BIND with an unterminated name", VSCARD_CMD_BIND,
		  bind_unterminated_name, 0 },
		{ "BIND with SLOT 16", VSCARD_CMD_BIND, bind_bad_slot, 0 },
		{ "BIND with an FD attribute", VSCARD_CMD_BIND, bind_fd_attr, 0 },
		{ "UNBIND without SLOT", VSCARD_CMD_UNBIND, unbind_no_slot, 1 },
		{ "POOL_NEW with 0 slots", VSCARD_CMD_POOL_NEW,
		  pool_zero_slots, 0 },
		{ "POOL_NEW with 17 slots", VSCARD_CMD_POOL_NEW,
		  pool_too_many, 0 },
		{ "POOL_GET with an unknown attribute", VSCARD_CMD_POOL_GET,
		  unknown_attr, 0 },
	};
	struct vscard_nl *nl = abi_nl();
	struct vscard_attrs before, after;
	struct abi_bound b;
	size_t i;
	int slot = abi_bind(nl, -1, "malformed-key", -1, -1, &b);

	if (slot < 0 || abi_card(b.fd, true)) {
		OK(0, "malformed: setup");
		goto out;
	}
	abi_slot_get(nl, (uint32_t)slot, &before);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nl_msg *m = vscard_nl_msg(nl, c[i].cmd, 0, 40000);
		const char *msg;
		int r;

		if (!m || c[i].fn(m, (uint32_t)slot) < 0) {
			if (m)
				nlmsg_free(m);
			OK(0, "malformed %s: building", c[i].what);
			continue;
		}
		r = vscard_nl_transact(nl, m, NULL, NULL);
		msg = vscard_nl_errmsg(nl);
		/* the netlink core answers range and size violations of
		 * NLA_POLICY_RANGE / max-length policies with -ERANGE */
		OK((r == -EINVAL || r == -ERANGE) &&
		   (*msg || (c[i].missing && vscard_nl_err_missing(nl))),
		   "malformed %s -> -EINVAL/-ERANGE with extack (%d, \"%s\", missing %u)",
		   c[i].what, r, msg, vscard_nl_err_missing(nl));
	}
	abi_slot_get(nl, (uint32_t)slot, &after);
	OK(after.epoch == before.epoch && (after.flags & VSCARD_STATUS_PRESENT) &&
	   after.seq == before.seq,
	   "rejected messages left the binding untouched");
	vscard_attrs_release(&before);
	vscard_attrs_release(&after);
out:
	abi_unbound(&b);
	vscard_nl_close(nl);
}

void t_priv(void)
{
	test_owners();
	test_malformed();
}
