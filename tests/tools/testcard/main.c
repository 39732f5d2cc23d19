// SPDX-License-Identifier: MIT
/*
 * vscard-testcard: a test agent emulating one card reader with a
 * deterministic card: it binds a slot over netlink and serves it through
 * the binding file (see --help).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apdu.h"
#include "testcard.h"

static void usage(FILE *f)
{
	fputs(
"usage: vscard-testcard [OPTIONS]\n"
"Bind one vscard slot and answer its requests like a deterministic card.\n"
"\n"
"  --pool N            pool to bind in (default 0)\n"
"  --slot N            slot index (default: the kernel picks)\n"
"  --key STR           session key (default \"testcard-<pid>\")\n"
"  --key-hex HEX       session key as hex bytes\n"
"  --reader-name STR   remote reader name (default \"vscard Test Reader\")\n"
"  --linger-ms N       keep the slot reserved N ms after the binding file is\n"
"                      closed ('close', or this agent dies)\n"
"  --timeout-ms N      default request deadline of the binding\n"
"  --no-card           start with the reader empty\n"
"  --atr HEX           ATR (default: built from --protocols)\n"
"  --protocols LIST    T0, T1 or T0,T1 (default T1)\n"
"  --commands FILE     read commands from FILE (e.g. a FIFO) instead of stdin\n"
"  --no-stdin          read no commands\n"
"  --eof-quit          quit at end of the command input\n"
"  --exit-after N      quit after answering N requests\n"
"  --delay-ms N        wait N ms before every answer\n"
"  --hang              do not read requests until the 'resume' command\n"
"  --ignore-rx-max     send responses larger than the caller accepts\n"
"  -v, --verbose       print every request and completion\n"
"  -h, --help          this help\n"
"\n"
"Commands, one per line: insert [ATRHEX] | remove | unbind (no linger) |\n"
"close (close the binding file: lingers for --linger-ms) | rebind | hang |\n"
"resume | stats | quit (unbind, exit)\n"
"\n"
"Card (APDUs): 00 A4 .. SELECT -> 9000; 00 84 00 00 Le GET CHALLENGE ->\n"
"Le pattern bytes + 9000; 80 EE P1 P2 [Lc data] [Le] ECHO -> data padded\n"
"with pattern bytes up to Le + 9000 (short or extended); 80 5E HI LO SLOW\n"
"-> 9000 after HILO ms; 80 E0 SW1 SW2 -> SW1 SW2; other INS -> 6D00.\n"
"Pattern byte i = (i*13 + 0x5A + i/256) mod 256.  CONTROL echoes its\n"
"data; GET_ATTRIB 0x10100 (vendor name) -> \"vscard-testcard\\0\".\n"
"\n"
"Output lines (stdout, line buffered): 'bound pool=P slot=S minor=M\n"
"epoch=E dev=/dev/vscardM', 'inserted ...', 'removed ...', 'unbound ...'\n"
"('unbound ... closed' after close, 'unbound ... by=kernel' when the\n"
"kernel ended the binding), 'cancel id=ID', with -v 'req ...' and 'done ...'.\n"
"Exit status: 0 after quit/--exit-after, 1 on errors, 2 on bad usage.\n",
	      f);
}

enum {
	OPT_POOL = 256, OPT_SLOT, OPT_KEY, OPT_KEY_HEX, OPT_NAME, OPT_LINGER,
	OPT_TIMEOUT, OPT_NO_CARD, OPT_ATR, OPT_PROTOCOLS, OPT_COMMANDS,
	OPT_NO_STDIN, OPT_EOF_QUIT, OPT_EXIT_AFTER, OPT_DELAY, OPT_HANG,
	OPT_IGNORE_RX_MAX,
};

static const struct option long_opts[] = {
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "slot", required_argument, NULL, OPT_SLOT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "key-hex", required_argument, NULL, OPT_KEY_HEX },
	{ "reader-name", required_argument, NULL, OPT_NAME },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "no-card", no_argument, NULL, OPT_NO_CARD },
	{ "atr", required_argument, NULL, OPT_ATR },
	{ "protocols", required_argument, NULL, OPT_PROTOCOLS },
	{ "commands", required_argument, NULL, OPT_COMMANDS },
	{ "no-stdin", no_argument, NULL, OPT_NO_STDIN },
	{ "eof-quit", no_argument, NULL, OPT_EOF_QUIT },
	{ "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
	{ "delay-ms", required_argument, NULL, OPT_DELAY },
	{ "hang", no_argument, NULL, OPT_HANG },
	{ "ignore-rx-max", no_argument, NULL, OPT_IGNORE_RX_MAX },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_num(const char *s, long long min, long long max,
		     long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 0);
	return errno || *end || end == s || *out < min || *out > max ?
	       -EINVAL : 0;
}

static int parse_protocols(const char *s, uint32_t *out)
{
	*out = 0;
	if (strstr(s, "T0") || strstr(s, "t0"))
		*out |= VSCARD_PROTO_T0;
	if (strstr(s, "T1") || strstr(s, "t1"))
		*out |= VSCARD_PROTO_T1;
	return *out ? 0 : -EINVAL;
}

static int parse_opt(struct tc_opts *o, int c, const char *arg)
{
	long long v;

	switch (c) {
	case OPT_POOL:
		if (parse_num(arg, 0, UINT32_MAX, &v))
			return -EINVAL;
		o->pool = (uint32_t)v;
		return 0;
	case OPT_SLOT:
		if (parse_num(arg, 0, VSCARD_POOL_SLOTS_MAX - 1, &v))
			return -EINVAL;
		o->slot = (int32_t)v;
		return 0;
	case OPT_KEY:
		o->key_len = strlen(arg);
		if (o->key_len < VSCARD_KEY_MIN || o->key_len > VSCARD_KEY_MAX)
			return -EINVAL;
		memcpy(o->key, arg, o->key_len);
		return 0;
	case OPT_KEY_HEX:
		return tc_parse_hex(arg, o->key, sizeof(o->key), &o->key_len) ||
		       !o->key_len ? -EINVAL : 0;
	case OPT_NAME:
		if (strlen(arg) >= sizeof(o->reader_name))
			return -EINVAL;
		strcpy(o->reader_name, arg);
		return 0;
	case OPT_LINGER:
	case OPT_TIMEOUT:
		if (parse_num(arg, 0, UINT32_MAX, &v))
			return -EINVAL;
		*(c == OPT_LINGER ? &o->linger_ms : &o->timeout_ms) = v;
		return 0;
	case OPT_NO_CARD: o->card = false; return 0;
	case OPT_ATR:
		return tc_parse_hex(arg, o->atr, sizeof(o->atr), &o->atr_len) ||
		       !o->atr_len ? -EINVAL : 0;
	case OPT_PROTOCOLS: return parse_protocols(arg, &o->protocols);
	case OPT_COMMANDS: o->commands = arg; return 0;
	case OPT_NO_STDIN: o->no_commands = true; return 0;
	case OPT_EOF_QUIT: o->eof_quit = true; return 0;
	case OPT_EXIT_AFTER:
		if (parse_num(arg, 1, 1LL << 40, &v))
			return -EINVAL;
		o->exit_after = (unsigned long)v;
		return 0;
	case OPT_DELAY:
		if (parse_num(arg, 0, 3600000, &v))
			return -EINVAL;
		o->delay_ms = (unsigned int)v;
		return 0;
	case OPT_HANG: o->hang = true; return 0;
	case OPT_IGNORE_RX_MAX: o->ignore_rx_max = true; return 0;
	case 'v': o->verbose++; return 0;
	}
	return -EINVAL;
}

static int parse_args(struct tc_opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->slot = -1;
	o->linger_ms = -1;
	o->timeout_ms = -1;
	o->card = true;
	o->protocols = VSCARD_PROTO_T1;
	snprintf(o->reader_name, sizeof(o->reader_name), "vscard Test Reader");
	o->key_len = (size_t)snprintf((char *)o->key, sizeof(o->key),
				      "testcard-%d", (int)getpid());
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || parse_opt(o, c, optarg)) {
			if (c != '?')
				fprintf(stderr, "vscard-testcard: bad value for --%s\n",
					long_opts[c - OPT_POOL].name);
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (!o->atr_len)
		o->atr_len = tc_atr_default(o->protocols, o->atr,
					    sizeof(o->atr));
	return 0;
}

/* Read what is available on the command fd; run complete lines. */
static int read_commands(struct testcard *tc, int fd, char *buf, size_t *fill,
			 size_t cap)
{
	ssize_t n = read(fd, buf + *fill, cap - 1 - *fill);
	char *line, *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	*fill += (size_t)n;
	buf[*fill] = 0;
	line = buf;
	while ((nl = strchr(line, '\n'))) {
		*nl = 0;
		tc_command(tc, line);
		line = nl + 1;
	}
	*fill -= (size_t)(line - buf);
	memmove(buf, line, *fill);
	if (*fill == cap - 1)
		*fill = 0;	/* overlong line: drop it */
	return 0;
}

static int open_commands(const struct tc_opts *o)
{
	int fd;

	if (o->no_commands)
		return -1;
	if (!o->commands)
		return STDIN_FILENO;
	/* O_RDWR keeps a FIFO open when its writers come and go */
	fd = open(o->commands, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fd = open(o->commands, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

static int run(struct testcard *tc)
{
	char cmdbuf[4096];
	size_t fill = 0;
	int cfd, err;

	cfd = open_commands(&tc->o);
	if (tc->o.commands && cfd < 0) {
		fprintf(stderr, "vscard-testcard: %s: %s\n", tc->o.commands,
			strerror(errno));
		return -errno;
	}
	/* requests may already be waiting (rebind of a lingering slot) */
	err = tc_drain(tc);
	while (!err && !tc->quit) {
		/* while hanging, only the end of the binding is watched */
		struct pollfd p[2] = {
			{ .fd = cfd, .events = POLLIN },
			{ .fd = tc->bfd, .events = tc->hang ? 0 : POLLIN },
		};
		int n;

		fflush(stdout);
		n = poll(p, 2, tc_next_due_ms(tc, tc_now_ms()));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && p[0].revents) {
			err = read_commands(tc, cfd, cmdbuf, &fill,
					    sizeof(cmdbuf));
			if (err == -EPIPE || (p[0].revents & POLLNVAL)) {
				/* end of input, or stdin is not pollable */
				cfd = -1;
				err = 0;
				if (tc->o.eof_quit)
					tc->quit = true;
			}
		}
		if (!err)
			err = tc_flush_due(tc, tc_now_ms());
		if (err || n <= 0 || !p[1].revents || p[1].fd != tc->bfd)
			continue;
		if (tc->hang && (p[1].revents & (POLLHUP | POLLERR)))
			tc_ended(tc);	/* the kernel ended it: nothing to read */
		else
			err = tc_drain(tc);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct testcard tc;
	int err;

	memset(&tc, 0, sizeof(tc));
	tc.bfd = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(&tc.o, argc, argv))
		return 2;
	tc.hang = tc.o.hang;
	tc.msg = malloc(sizeof(*tc.msg));
	if (!tc.msg)
		return 1;
	err = vscard_nl_open(&tc.nl, VSCARD_NL_NONBLOCK, 0);
	if (err) {
		fprintf(stderr, "vscard-testcard: %s\n",
			vscard_nl_open_strerror(err));
		free(tc.msg);
		return 1;
	}
	err = tc_bind(&tc);
	if (!err)
		err = run(&tc);
	fflush(stdout);
	if (tc.bfd >= 0)
		tc_close(&tc);
	vscard_nl_close(tc.nl);
	free(tc.msg);
	if (err)
		fprintf(stderr, "vscard-testcard: %s\n", strerror(-err));
	return err ? 1 : 0;
}
