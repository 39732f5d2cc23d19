// SPDX-License-Identifier: MIT
/*
 * vscard-agent: command line, session key sources, and the refusal to run
 * with privileges the agent does not need.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "agent.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vscard-agent [OPTIONS] (--fd N | --listen PATH | --connect PATH)\n"
"\n"
"Serve one RDP session's redirected smart cards as vscard reader slots.\n"
"The RDP-server adapter talks to the agent in svcport frames\n"
"(userspace/include/vscard/svcport.h) over a Unix stream socket; its HELLO\n"
"chooses channel mode (we run the RDPDR core) or device mode (it does).\n"
"\n"
"Channel:\n"
"  --fd N                   use the inherited socket N (normal use)\n"
"  --listen PATH            listen on a Unix socket, serve one adapter at a time\n"
"                           (a peer of our own uid or root only)\n"
"  --connect PATH           connect to an adapter's Unix socket\n"
"Session and kernel:\n"
"  --key-from-channel       take the session key from CHANNEL_OPEN (default)\n"
"  --session-key-fd FD      read the session key from FD instead: 1..64 bytes\n"
"                           taken as they are, or the text hex:XX.. (FD is closed)\n"
"  VSCARD_SESSION_KEY       environment: the same, as text (KEY or hex:XX..);\n"
"                           removed from the environment at start\n"
"  --pool N                 vscard pool to bind slots in (default 0)\n"
"  --linger-ms MS           keep slots reserved this long after a disconnect\n"
"                           or exit, for a reconnect of the session (default 60000)\n"
"  --request-timeout-ms MS  deadline of Transmit/Control/BeginTransaction\n"
"                           (default 30000)\n"
"  --call-timeout-ms MS     deadline of every other remote call (default 10000)\n"
"  --txn-idle-ms MS         end the remote transaction after this idle time\n"
"                           (default 5000)\n"
"  --no-transactions        never hold a remote transaction (see agent.rst)\n"
"  --retry BASE_MS,CAP_MS,MAX\n"
"                           retries of the client's failing smart-card service:\n"
"                           first after BASE_MS, doubling up to CAP_MS, give up\n"
"                           after MAX failures in a row (default 1000,60000,8)\n"
"  --fake-kernel-fd N       test seam: talk to a scripted kernel stand-in on\n"
"                           socket N instead of vscard.ko\n"
"  --allow-privileged       run even as root or with CAP_NET_ADMIN (tests)\n"
"Logging:\n"
"  -v, --verbose            one more log level (repeatable)\n"
"  --log-level LEVEL        error, warn, info (default), debug or trace\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 signal or adapter gone, 1 runtime error, 2 usage,\n"
"3 vscard kernel module unavailable, 4 channel transport error,\n"
"5 refused to run privileged (root or CAP_NET_ADMIN).\n");
}

enum {
	OPT_FD = 256, OPT_LISTEN, OPT_CONNECT, OPT_KEY_FROM_CHANNEL, OPT_KEY_FD,
	OPT_POOL, OPT_LINGER, OPT_REQ_TIMEOUT, OPT_CALL_TIMEOUT, OPT_TXN_IDLE,
	OPT_NO_TXN, OPT_FAKE_KERNEL, OPT_ALLOW_PRIV, OPT_LOG_LEVEL,
	OPT_OLD_KEY, OPT_RETRY,
};

static const struct option options[] = {
	{ "fd", required_argument, NULL, OPT_FD },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "key-from-channel", no_argument, NULL, OPT_KEY_FROM_CHANNEL },
	{ "session-key-fd", required_argument, NULL, OPT_KEY_FD },
	/* removed; named so that it is not taken for --session-key-fd */
	{ "session-key", required_argument, NULL, OPT_OLD_KEY },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "request-timeout-ms", required_argument, NULL, OPT_REQ_TIMEOUT },
	{ "call-timeout-ms", required_argument, NULL, OPT_CALL_TIMEOUT },
	{ "txn-idle-ms", required_argument, NULL, OPT_TXN_IDLE },
	{ "no-transactions", no_argument, NULL, OPT_NO_TXN },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "fake-kernel-fd", required_argument, NULL, OPT_FAKE_KERNEL },
	{ "allow-privileged", no_argument, NULL, OPT_ALLOW_PRIV },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define AGENT_KEY_ENV	"VSCARD_SESSION_KEY"

/* --retry BASE_MS,CAP_MS,MAX: 1 <= BASE <= CAP <= 1 h, 1 <= MAX <= 1000. */
static int parse_retry(const char *s, struct agent_config *c)
{
	unsigned int base, cap, max;
	char end;

	if (sscanf(s, "%u,%u,%u%c", &base, &cap, &max, &end) != 3 || !base ||
	    cap < base || cap > 3600000 || !max || max > 1000)
		return -1;
	c->retry_base_ms = base;
	c->retry_cap_ms = cap;
	c->retry_max = max;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

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

/* "hex:XX.." (trailing whitespace allowed) into c->key. */
static int parse_hex_key(const char *s, size_t n, struct agent_config *c)
{
	uint8_t key[VSCARD_KEY_MAX];
	size_t i;

	while (n > 4 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
			 s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s += 4;
	n -= 4;
	if (n % 2 || n / 2 < VSCARD_KEY_MIN || n / 2 > VSCARD_KEY_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(c->key, key, n / 2);
	c->key_len = n / 2;
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* A key as @n bytes: "hex:XX..", else the bytes themselves. */
static int parse_key(const char *s, size_t n, struct agent_config *c)
{
	if (n >= 4 && !memcmp(s, "hex:", 4))
		return parse_hex_key(s, n, c);
	if (n < VSCARD_KEY_MIN || n > VSCARD_KEY_MAX)
		return -1;
	memcpy(c->key, s, n);
	c->key_len = n;
	return 0;
}

/*
 * --session-key-fd: everything up to end of file (a key never lives on
 * the command line, where /proc/PID/cmdline shows it to every user).
 */
static int read_key_fd(int fd, struct agent_config *c)
{
	char buf[4 + 2 * VSCARD_KEY_MAX + 8];
	size_t n = 0;
	int ret = -1;

	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "vscard-agent: --session-key-fd %d: %s\n",
				fd, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf)) {
			fprintf(stderr, "vscard-agent: --session-key-fd %d: key too long\n",
				fd);
			goto out;
		}
	}
	ret = parse_key(buf, n, c);
	if (ret)
		fprintf(stderr, "vscard-agent: --session-key-fd %d: not a key of 1..%d bytes or hex:XX..\n",
			fd, VSCARD_KEY_MAX);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

/*
 * VSCARD_SESSION_KEY: read, removed from the environment, and its
 * "NAME=value" string wiped from the process's memory, which
 * /proc/PID/environ shows (unsetenv() only drops the pointer to it).
 */
static int take_env_key(struct agent_config *c)
{
	char *v = getenv(AGENT_KEY_ENV), *entry;
	size_t n;
	int ret;

	if (!v)
		return 0;
	ret = parse_key(v, strlen(v), c);
	entry = v - (sizeof(AGENT_KEY_ENV "=") - 1);
	n = strlen(entry);
	unsetenv(AGENT_KEY_ENV);
	explicit_bzero(entry, n);
	if (ret)
		fprintf(stderr, "vscard-agent: %s: not a key of 1..%d bytes or hex:XX..\n",
			AGENT_KEY_ENV, VSCARD_KEY_MAX);
	return ret;
}

/*
 * The agent parses untrusted RDP input and needs no privilege: the pool's
 * owner binds its slots.  Root or CAP_NET_ADMIN (every pool, every
 * binding) would turn a parser bug into control of other sessions.
 */
static const char *privilege(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() == 0)
		return "effective uid 0";
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return "capabilities unreadable";
	if (d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	    CAP_TO_MASK(CAP_NET_ADMIN))
		return "CAP_NET_ADMIN in the effective set";
	return NULL;
}

int main(int argc, char **argv)
{
	static struct agent a;
	struct agent_config *c = &a.cfg;
	int level = LOG_INFO, opt, channels = 0;
	bool allow_privileged = false;
	const char *priv;
	uint32_t v;

	c->channel_fd = -1;
	c->fake_kernel_fd = -1;
	c->linger_ms = 60000;
	c->request_timeout_ms = 30000;
	c->call_timeout_ms = 10000;
	c->txn_idle_ms = 5000;
	c->transactions = true;
	c->retry_base_ms = RETRY_BASE_MS;
	c->retry_cap_ms = RETRY_CAP_MS;
	c->retry_max = RETRY_MAX;

	/* First, so that no exit leaves the key in the environment. */
	if (take_env_key(c))
		return AGENT_EXIT_USAGE;
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
		case OPT_KEY_FD:
			if (parse_u32(optarg, &v) || v > 0x7fffffff)
				goto bad;
			if (read_key_fd((int)v, c))
				return AGENT_EXIT_USAGE;
			break;
		case OPT_OLD_KEY:
			fprintf(stderr, "vscard-agent: --session-key was removed (every user can read a command line): use --session-key-fd FD or %s\n",
				AGENT_KEY_ENV);
			return AGENT_EXIT_USAGE;
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
		case OPT_RETRY:
			if (parse_retry(optarg, c))
				goto bad;
			break;
		case OPT_FAKE_KERNEL:
			if (parse_u32(optarg, &v) || v > 0x7fffffff)
				goto bad;
			c->fake_kernel_fd = (int)v;
			break;
		case OPT_ALLOW_PRIV:
			allow_privileged = true;
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
	priv = privilege();
	if (priv && !allow_privileged) {
		log_err("agent: refusing to run with %s: the agent parses untrusted "
			"RDP input and needs no privilege; run it as the session user "
			"(the owner of its pool), or pass --allow-privileged", priv);
		return AGENT_EXIT_PRIVILEGED;
	}
	if (priv)
		log_warn("agent: running with %s (--allow-privileged)", priv);
	a.timer_h.fd = a.signal_h.fd = a.kern_h.fd = a.chan_h.fd = a.listen_h.fd = -1;
	a.loop.epfd = -1;
	return agent_run(&a);
bad:
	fprintf(stderr, "vscard-agent: invalid value '%s'\n", optarg);
	return AGENT_EXIT_USAGE;
}
