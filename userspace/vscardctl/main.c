// SPDX-License-Identifier: MIT
/* vscardctl: list, inspect and manage vscard pools and slots. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "vscardctl.h"

static void usage(FILE *f)
{
	fputs(
"usage: vscardctl [--json] COMMAND [ARGS]\n"
"\n"
"  pools                         list pools\n"
"  pool POOL                     one pool (the row of pools)\n"
"  slots [--pool N]              list slots (of one pool)\n"
"  show POOL SLOT                show everything about one slot\n"
"  unbind POOL SLOT              end a slot's binding or linger now\n"
"  monitor                       print events until interrupted (admin)\n"
"  pool-new --slots N [--uid U] [--gid G]\n"
"                                create a pool, print its id (admin)\n"
"  pool-del POOL                 delete a pool (admin)\n"
"\n"
"  -j, --json    machine-readable output (monitor: one object per line)\n"
"  -h, --help    this help\n"
"\n"
"Only the pools the caller owns are shown and may be unbound; admin\n"
"(CAP_NET_ADMIN) commands see and manage every pool.\n"
"\n"
"Exit status: 0 success, 1 the kernel refused or failed the command\n"
"(its message is printed), 2 bad usage, 3 vscard.ko is not loaded.\n",
	      f);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v > UINT32_MAX || *s == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int fail(struct ctl *c, const char *what, int err)
{
	const char *msg = vscard_nl_errmsg(c->nl);

	fprintf(stderr, "vscardctl: %s: %s%s%s\n", what, strerror(-err),
		*msg ? ": " : "", msg);
	return VSCARDCTL_ERR;
}

static void json_open(struct ctl *c)
{
	if (c->json)
		fputs("[", c->out);
	c->count = 0;
}

static void json_close(struct ctl *c)
{
	if (c->json)
		fputs("]\n", c->out);
}

static int each_pool(struct vscard_attrs *a, void *arg)
{
	struct ctl *c = arg;

	if (c->json)
		ctl_print_object(c, a);
	else
		ctl_print_pool_row(c, a);
	return 0;
}

static int each_slot(struct vscard_attrs *a, void *arg)
{
	struct ctl *c = arg;

	if (c->json)
		ctl_print_object(c, a);
	else
		ctl_print_slot_row(c, a);
	return 0;
}

static int cmd_pools(struct ctl *c, int argc, char **argv)
{
	int err;

	if (argc != 1)
		return VSCARDCTL_USAGE;
	json_open(c);
	if (!c->json)
		ctl_print_pool_header(c);
	err = vscard_nl_pool_dump(c->nl, each_pool, c);
	json_close(c);
	return err ? fail(c, "pools", err) : 0;
}

static int cmd_pool(struct ctl *c, int argc, char **argv)
{
	struct vscard_attrs a;
	uint32_t pool;
	int err;

	if (argc != 2 || parse_u32(argv[1], &pool))
		return VSCARDCTL_USAGE;
	err = vscard_nl_pool_get(c->nl, pool, &a);
	if (err)
		return fail(c, "pool", err);
	json_open(c);
	if (!c->json)
		ctl_print_pool_header(c);
	each_pool(&a, c);
	json_close(c);
	vscard_attrs_release(&a);
	return 0;
}

static int cmd_slots(struct ctl *c, int argc, char **argv)
{
	uint32_t pool;
	int err;

	if (argc == 3 && !strcmp(argv[1], "--pool")) {
		if (parse_u32(argv[2], &pool))
			return VSCARDCTL_USAGE;
	} else if (argc != 1) {
		return VSCARDCTL_USAGE;
	}
	json_open(c);
	if (!c->json)
		ctl_print_slot_header(c);
	err = vscard_nl_slot_dump(c->nl, argc == 3 ? &pool : NULL, each_slot,
				  c);
	json_close(c);
	return err ? fail(c, "slots", err) : 0;
}

static int cmd_show(struct ctl *c, int argc, char **argv)
{
	struct vscard_attrs a;
	uint32_t pool, slot;
	int err;

	if (argc != 3 || parse_u32(argv[1], &pool) || parse_u32(argv[2], &slot))
		return VSCARDCTL_USAGE;
	err = vscard_nl_slot_get(c->nl, pool, slot, &a);
	if (err)
		return fail(c, "show", err);
	c->count = 0;
	ctl_print_object(c, &a);
	if (c->json)
		fputc('\n', c->out);
	vscard_attrs_release(&a);
	return 0;
}

static int cmd_unbind(struct ctl *c, int argc, char **argv)
{
	uint32_t pool, slot;
	int err;

	if (argc != 3 || parse_u32(argv[1], &pool) || parse_u32(argv[2], &slot))
		return VSCARDCTL_USAGE;
	err = vscard_nl_unbind(c->nl, pool, slot);
	return err ? fail(c, "unbind", err) : 0;
}

static int cmd_monitor(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return VSCARDCTL_USAGE;
	for (;;) {
		struct vscard_attrs a;
		int err = vscard_nl_next(c->nl, &a);

		if (err == -ENOBUFS) {
			fprintf(stderr, "vscardctl: events lost (overrun)\n");
			continue;
		}
		if (err)
			return fail(c, "monitor", err);
		if (a.cmd == VSCARD_CMD_EVENT)
			ctl_print_event(c, &a);
		vscard_attrs_release(&a);
		fflush(c->out);
	}
}

static int cmd_pool_new(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "slots", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t slots = 0, uid, gid, pool;
	bool has_slots = false, has_uid = false, has_gid = false;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint32_t *dst = opt == 's' ? &slots : opt == 'u' ? &uid : &gid;

		if (opt == '?' || parse_u32(optarg, dst))
			return VSCARDCTL_USAGE;
		has_slots |= opt == 's';
		has_uid |= opt == 'u';
		has_gid |= opt == 'g';
	}
	if (!has_slots || optind != argc)
		return VSCARDCTL_USAGE;
	err = vscard_nl_pool_new(c->nl, slots, has_uid ? &uid : NULL,
				 has_gid ? &gid : NULL, &pool);
	if (err)
		return fail(c, "pool-new", err);
	if (c->json)
		fprintf(c->out, "{\"pool\":%u}\n", pool);
	else
		fprintf(c->out, "%u\n", pool);
	return 0;
}

static int cmd_pool_del(struct ctl *c, int argc, char **argv)
{
	uint32_t pool;
	int err;

	if (argc != 2 || parse_u32(argv[1], &pool))
		return VSCARDCTL_USAGE;
	err = vscard_nl_pool_del(c->nl, pool);
	return err ? fail(c, "pool-del", err) : 0;
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	unsigned int nl_flags;
} commands[] = {
	{ "pools", cmd_pools, 0 },
	{ "slots", cmd_slots, 0 },
	{ "pool", cmd_pool, 0 },
	{ "show", cmd_show, 0 },
	{ "unbind", cmd_unbind, 0 },
	{ "monitor", cmd_monitor, VSCARD_NL_EVENTS },
	{ "pool-new", cmd_pool_new, 0 },
	{ "pool-del", cmd_pool_del, 0 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .out = stdout };
	size_t i;
	int opt, err, rc;

	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		if (opt == 'j') {
			c.json = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return VSCARDCTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VSCARDCTL_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "vscardctl: unknown command '%s'\n",
			argv[optind]);
		usage(stderr);
		return VSCARDCTL_USAGE;
	}
	err = vscard_nl_open(&c.nl, commands[i].nl_flags, 0);
	if (err) {
		fprintf(stderr, "vscardctl: %s: %s\n", commands[i].name,
			vscard_nl_open_strerror(err));
		return err == -ENOENT ? VSCARDCTL_NOMODULE : VSCARDCTL_ERR;
	}
	rc = commands[i].fn(&c, argc - optind, argv + optind);
	if (rc == VSCARDCTL_USAGE)
		usage(stderr);
	vscard_nl_close(c.nl);
	return rc;
}
