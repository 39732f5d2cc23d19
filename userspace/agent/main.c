// SPDX-License-Identifier: MIT
/* vscard-agent: command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_main.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vscard-agent [OPTIONS] (--fd N | --listen PATH | --connect PATH)\n"
"\n"
"Serve one RDP session's redirected smart cards as vscard reader slots.\n"
"The RDP-server adapter talks to the agent in svcport frames\n"
"(userspace/include/vscard/svcport.h) over a Unix stream socket.\n"
"\n"
"Channel:\n"
"  --fd N                   use the inherited socket N (normal use)\n"
"  --listen PATH            listen on a Unix socket, serve one adapter at a time\n"
"  --connect PATH           connect to an adapter's Unix socket\n"
"Session and kernel:\n"
"  --key-from-channel       take the session key from CHANNEL_OPEN (default)\n"
"  --session-key KEY        use KEY (1..64 bytes, or hex:XX..) instead\n"
"  --pool N                 vscard pool to bind slots in (default 0)\n"
"  --linger-ms MS           keep slots reserved this long after a disconnect\n"
"                           or exit, for a reconnect of the session (default 60000)\n"
"  --request-timeout-ms MS  deadline of Transmit/Control/BeginTransaction\n"
"                           (default 30000)\n"
"  --call-timeout-ms MS     deadline of every other remote call (default 10000)\n"
"  --txn-idle-ms MS         end the remote transaction after this idle time\n"
"                           (default 5000)\n"
"  --no-transactions        never hold a remote transaction (see agent.rst)\n"
"  --fake-kernel-fd N       test seam: talk to a scripted kernel stand-in on\n"
"                           socket N instead of vscard.ko\n"
"Logging:\n"
"  -v, --verbose            one more log level (repeatable)\n"
"  --log-level LEVEL        error, warn, info (default), debug or trace\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 signal or adapter gone, 1 runtime error, 2 usage,\n"
"3 vscard kernel module unavailable, 4 channel transport error.\n");
}

enum {
	OPT_FD = 256, OPT_LISTEN, OPT_CONNECT, OPT_KEY_FROM_CHANNEL, OPT_KEY,
	OPT_POOL, OPT_LINGER, OPT_REQ_TIMEOUT, OPT_CALL_TIMEOUT, OPT_TXN_IDLE,
	OPT_NO_TXN, OPT_FAKE_KERNEL, OPT_LOG_LEVEL,
};

static const struct option options[] = {
	{ "fd", required_argument, NULL, OPT_FD },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "key-from-channel", no_argument, NULL, OPT_KEY_FROM_CHANNEL },
	{ "session-key", required_argument, NULL, OPT_KEY },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "request-timeout-ms", required_argument, NULL, OPT_REQ_TIMEOUT },
	{ "call-timeout-ms", required_argument, NULL, OPT_CALL_TIMEOUT },
	{ "txn-idle-ms", required_argument, NULL, OPT_TXN_IDLE },
	{ "no-transactions", no_argument, NULL, OPT_NO_TXN },
	{ "fake-kernel-fd", required_argument, NULL, OPT_FAKE_KERNEL },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > 0xffffffffUL || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_key(const char *s, struct agent_config *c)
{
	size_t n = strlen(s), i;

	if (!strncmp(s, "hex:", 4)) {
		s += 4;
		n = strlen(s);
		if (n % 2 || n / 2 < VSCARD_KEY_MIN || n / 2 > VSCARD_KEY_MAX)
			return -1;
		for (i = 0; i < n / 2; i++) {
			unsigned int byte;

			if (sscanf(s + 2 * i, "%2x", &byte) != 1)
				return -1;
			c->key[i] = (uint8_t)byte;
		}
		c->key_len = n / 2;
		return 0;
	}
	if (n < VSCARD_KEY_MIN || n > VSCARD_KEY_MAX)
		return -1;
	memcpy(c->key, s, n);
	c->key_len = n;
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	struct agent_config *c = &a.cfg;
	int level = LOG_INFO, opt, channels = 0;
	uint32_t v;

	c->channel_fd = -1;
	c->fake_kernel_fd = -1;
	c->linger_ms = 60000;
	c->request_timeout_ms = 30000;
	c->call_timeout_ms = 10000;
	c->txn_idle_ms = 5000;
	c->transactions = true;

	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case OPT_FD:
			if (parse_u32(optarg, &v) || v > 0x7fffffff)
				goto bad;
			c->channel_fd = (int)v;
			channels++;
			break;
		case OPT_LISTEN:
			c->listen_path = optarg;
			channels++;
			break;
		case OPT_CONNECT:
			c->connect_path = optarg;
			channels++;
			break;
		case OPT_KEY_FROM_CHANNEL:
			c->key_len = 0;
			break;
		case OPT_KEY:
			if (parse_key(optarg, c))
				goto bad;
			break;
		case OPT_POOL:
			if (parse_u32(optarg, &c->pool))
				goto bad;
			break;
		case OPT_LINGER:
			if (parse_u32(optarg, &c->linger_ms))
				goto bad;
			break;
		case OPT_REQ_TIMEOUT:
			if (parse_u32(optarg, &c->request_timeout_ms) || !c->request_timeout_ms)
				goto bad;
			break;
		case OPT_CALL_TIMEOUT:
			if (parse_u32(optarg, &c->call_timeout_ms) || !c->call_timeout_ms)
				goto bad;
			break;
		case OPT_TXN_IDLE:
			if (parse_u32(optarg, &c->txn_idle_ms))
				goto bad;
			break;
		case OPT_NO_TXN:
			c->transactions = false;
			break;
		case OPT_FAKE_KERNEL:
			if (parse_u32(optarg, &v) || v > 0x7fffffff)
				goto bad;
			c->fake_kernel_fd = (int)v;
			break;
		case OPT_LOG_LEVEL:
			level = log_parse_level(optarg);
			if (level < 0)
				goto bad;
			break;
		case 'v':
			level++;
			break;
		case 'h':
			usage(stdout);
			return AGENT_EXIT_OK;
		default:
			usage(stderr);
			return AGENT_EXIT_USAGE;
		}
	}
	if (optind != argc || channels != 1) {
		fprintf(stderr, "vscard-agent: exactly one of --fd, --listen, --connect is required\n");
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	log_set_level((enum log_level)level);
	a.timer_h.fd = a.signal_h.fd = a.kern_h.fd = a.chan_h.fd = a.listen_h.fd = -1;
	a.loop.epfd = -1;
	return agent_run(&a);
bad:
	fprintf(stderr, "vscard-agent: invalid value '%s'\n", optarg);
	return AGENT_EXIT_USAGE;
}
