// SPDX-License-Identifier: MIT
/*
 * bench-ifd: libifdvscard against vsmartcard's vpcd, through one real pcscd.
 *  P2  insert -> notification: the card thread stamps t0 just before it
 *      inserts; this thread, already blocked in SCardGetStatusChange
 *      (INFINITE), stamps t1 when it returns PRESENT.  The insertion comes
 *      settle + random(jitter) ms after the waiter saw EMPTY, so that it
 *      falls at a random phase of pcscd's 400 ms presence polling (vpcd).
 *  P3  SCardTransmit round trip of GET CHALLENGE (00 84 00 00 08), the
 *      answer checked every time.
 * Prints p50/p99 of each and the vscard/vpcd ratios; exits non-zero on any
 * PC/SC error or wrong answer.  Runs as root in the VM, vscard.ko loaded and
 * pcscd started with both reader entries (tests/ifd/vm-bench-ifd.sh).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <winscard.h>
#include "apdu.h"
#include "bench_ifd.h"

#define WATCHDOG_S	20	/* per P2 sample / per P3 transmit */

struct opts {
	int p2[2], p3[2];	/* samples: [0] vscard, [1] vpcd */
	unsigned int settle_ms, jitter_ms, vpcd_port;
	int slot;
	int rounds;		/* the back-ends take turns this many times */
	char vscard_reader[64], vpcd_reader[64];
};

struct result {
	double p50, p99;
};

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: bench-ifd: watchdog: no progress\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50/p99 of @n samples in ns, reported in ns / @unit. */
static struct result pct(uint64_t *v, int n, double unit)
{
	struct result r;

	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	r.p50 = (double)v[n / 2] / unit;
	r.p99 = (double)v[(n * 99) / 100] / unit;
	return r;
}

static int pcsc_fail(const char *what, const char *reader, LONG rv)
{
	printf("FAIL: bench-ifd: %s %s: %s (0x%08lX)\n", what, reader,
	       pcsc_stringify_error(rv), (unsigned long)rv);
	return -1;
}

/* Block until the reader's state has @want; *rs keeps the last state. */
static int wait_state(SCARDCONTEXT ctx, SCARD_READERSTATE *rs, DWORD want)
{
	while (!(rs->dwCurrentState & want)) {
		LONG rv = SCardGetStatusChange(ctx, INFINITE, rs, 1);

		if (rv != SCARD_S_SUCCESS)
			return pcsc_fail("SCardGetStatusChange", rs->szReader, rv);
		rs->dwCurrentState = rs->dwEventState & ~SCARD_STATE_CHANGED;
		if (rs->dwEventState & (SCARD_STATE_MUTE | SCARD_STATE_UNAVAILABLE)) {
			printf("FAIL: bench-ifd: %s: state 0x%lX\n", rs->szReader,
			       (unsigned long)rs->dwEventState);
			return -1;
		}
	}
	return 0;
}

/* P2: @n samples (plus 2 warm-up rounds) of insert -> PRESENT. */
static int bench_p2(SCARDCONTEXT ctx, struct bench_card *c, const char *reader,
		    const struct opts *o, uint64_t *v, int n)
{
	SCARD_READERSTATE rs = { .szReader = reader,
				 .dwCurrentState = SCARD_STATE_UNAWARE };
	unsigned int seed = 1;
	LONG rv = SCardGetStatusChange(ctx, 0, &rs, 1);
	int i;

	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail("SCardGetStatusChange", reader, rv);
	rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
	for (i = -2; i < n; i++) {
		unsigned int delay = o->settle_ms +
			(o->jitter_ms ? (unsigned int)rand_r(&seed) % o->jitter_ms : 0);
		uint64_t t0, t1;

		alarm(WATCHDOG_S + delay / 1000);
		if (bench_card_remove(c) || wait_state(ctx, &rs, SCARD_STATE_EMPTY))
			return -1;
		if (bench_card_insert_after(c, delay) ||
		    wait_state(ctx, &rs, SCARD_STATE_PRESENT))
			return -1;
		t1 = bench_now_ns();
		if (bench_card_insert_wait(c, &t0))
			return -1;
		if (t1 < t0) {
			printf("FAIL: bench-ifd: %s: PRESENT before the insertion\n",
			       reader);
			return -1;
		}
		if (i >= 0)
			v[i] = t1 - t0;
	}
	alarm(0);
	return 0;
}

/* P3: connect and time @n GET CHALLENGE transmits (plus 50 warm-up). */
static int bench_p3(SCARDCONTEXT ctx, const char *reader, uint64_t *v, int n)
{
	static const BYTE apdu[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	SCARDHANDLE h;
	DWORD proto;
	LONG rv;
	int i;

	alarm(WATCHDOG_S);
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail("SCardConnect", reader, rv);
	for (i = -50; i < n; i++) {
		BYTE rx[64];
		DWORD len = sizeof(rx), k;
		uint64_t t0;

		alarm(WATCHDOG_S);
		t0 = bench_now_ns();

		rv = SCardTransmit(h, proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 :
				   SCARD_PCI_T0, apdu, sizeof(apdu), NULL, rx, &len);
		if (i >= 0)
			v[i] = bench_now_ns() - t0;
		if (rv != SCARD_S_SUCCESS)
			return pcsc_fail("SCardTransmit", reader, rv);
		for (k = 0; k < 8 && len == 10 && rx[k] == tc_pattern(k); k++)
			;
		if (k != 8 || rx[8] != 0x90 || rx[9] != 0x00) {
			printf("FAIL: bench-ifd: %s: transmit %d: wrong answer (%lu bytes)\n",
			       reader, i, (unsigned long)len);
			return -1;
		}
	}
	rv = SCardDisconnect(h, SCARD_LEAVE_CARD);
	alarm(0);
	return rv == SCARD_S_SUCCESS ? 0 : pcsc_fail("SCardDisconnect", reader, rv);
}

static int find_reader(SCARDCONTEXT ctx, const char *name)
{
	char *list = NULL, *r;
	DWORD len = SCARD_AUTOALLOCATE;
	LONG rv = SCardListReaders(ctx, NULL, (LPSTR)&list, &len);
	int found = 0;

	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail("SCardListReaders", "", rv);
	for (r = list; *r && !found; r += strlen(r) + 1)
		found = !strcmp(r, name);
	if (!found) {
		printf("FAIL: bench-ifd: no reader \"%s\"; pcscd lists:\n", name);
		for (r = list; *r; r += strlen(r) + 1)
			printf("#   %s\n", r);
	}
	SCardFreeMemory(ctx, list);
	return found ? 0 : -1;
}

/* The back-ends compared, in run order. */
enum { BE_VSCARD, BE_VPCD, BE_VPCD_QUICKACK, BE_N };
static const char *const be_name[BE_N] = {
	"vscard", "vpcd", "vpcd+quickack",
};

struct run {
	uint64_t *p2, *p3;
	int n2, n3;
	struct result r2, r3;
};

/* Round @k of @o->rounds of one back-end: its share of P2 then of P3. */
static int run_backend(const struct opts *o, int be, struct run *r, int k)
{
	int a2 = r->n2 * k / o->rounds, b2 = r->n2 * (k + 1) / o->rounds;
	int a3 = r->n3 * k / o->rounds, b3 = r->n3 * (k + 1) / o->rounds;
	const char *reader = be == BE_VSCARD ? o->vscard_reader : o->vpcd_reader;
	void *priv = be == BE_VSCARD ? bench_vscard_new(0, o->slot) :
		     bench_vpcd_new(o->vpcd_port, be == BE_VPCD_QUICKACK);
	const struct bench_backend_ops *ops = be == BE_VSCARD ?
		&bench_vscard_ops : &bench_vpcd_ops;
	struct bench_card c;
	SCARDCONTEXT ctx;
	LONG rv;
	int err;

	printf("bench-ifd: round %d/%d: %s (%s): P2 %d samples, P3 %d transmits\n",
	       k + 1, o->rounds, be_name[be], reader, b2 - a2, b3 - a3);
	if (!priv)
		return -1;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	err = rv == SCARD_S_SUCCESS ? find_reader(ctx, reader) :
	      pcsc_fail("SCardEstablishContext", "", rv);
	if (!err && bench_card_start(&c, be_name[be], ops, priv)) {
		printf("FAIL: bench-ifd: card thread\n");
		err = -1;
	}
	if (err) {
		ops->destroy(priv);
	} else {
		err = bench_p2(ctx, &c, reader, o, r->p2 + a2, b2 - a2);
		if (!err)
			err = bench_p3(ctx, reader, r->p3 + a3, b3 - a3);
		if (!err)
			err = bench_card_remove(&c);
		bench_card_stop(&c);	/* destroys priv */
	}
	if (!err)	/* per round, to show drift (sorts the slices) */
		printf("bench-ifd: round %d/%d: %s: P2 p50 %.3f ms, P3 p50 %.1f us\n",
		       k + 1, o->rounds, be_name[be],
		       pct(r->p2 + a2, b2 - a2, 1e6).p50,
		       pct(r->p3 + a3, b3 - a3, 1e3).p50);
	if (rv == SCARD_S_SUCCESS)
		SCardReleaseContext(ctx);
	return err;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ifd-bench [--p2-vscard N] [--p2-vpcd N] [--p3-vscard N] [--p3-vpcd N]\n"
		"                 [--settle MS] [--jitter MS] [--rounds N] [--slot S]\n"
		"                 [--vpcd-port PORT]\n"
		"                 [--vscard-reader NAME] [--vpcd-reader NAME]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "p2-vscard", 1, NULL, 'a' }, { "p2-vpcd", 1, NULL, 'b' },
		{ "p3-vscard", 1, NULL, 'c' }, { "p3-vpcd", 1, NULL, 'd' },
		{ "settle", 1, NULL, 's' }, { "jitter", 1, NULL, 'j' },
		{ "slot", 1, NULL, 'n' }, { "rounds", 1, NULL, 'k' }, { "vpcd-port", 1, NULL, 'p' },
		{ "vscard-reader", 1, NULL, 'r' }, { "vpcd-reader", 1, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*o = (struct opts){ .p2 = { 200, 30 }, .p3 = { 2000, 2000 },
			    .settle_ms = 30, .jitter_ms = 400,
			    .vpcd_port = 35984, .rounds = 3 };
	snprintf(o->vpcd_reader, sizeof(o->vpcd_reader), "Virtual PCD 00 00");
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o->p2[0] = atoi(optarg); break;
		case 'b': o->p2[1] = atoi(optarg); break;
		case 'c': o->p3[0] = atoi(optarg); break;
		case 'd': o->p3[1] = atoi(optarg); break;
		case 's': o->settle_ms = (unsigned int)atoi(optarg); break;
		case 'j': o->jitter_ms = (unsigned int)atoi(optarg); break;
		case 'n': o->slot = atoi(optarg); break;
		case 'k': o->rounds = atoi(optarg); break;
		case 'p': o->vpcd_port = (unsigned int)atoi(optarg); break;
		case 'r': snprintf(o->vscard_reader, sizeof(o->vscard_reader),
				   "%s", optarg); break;
		case 'R': snprintf(o->vpcd_reader, sizeof(o->vpcd_reader),
				   "%s", optarg); break;
		default: usage();
		}
	}
	/* every round takes at least one sample of each kind */
	if (optind != argc || o->rounds < 1 || o->p2[0] < o->rounds ||
	    o->p2[1] < o->rounds || o->p3[0] < o->rounds ||
	    o->p3[1] < o->rounds || o->slot < 0 || o->slot > 15)
		usage();
	if (!o->vscard_reader[0])
		snprintf(o->vscard_reader, sizeof(o->vscard_reader),
			 "vscard 00 %02X", o->slot);
}

static void row(const char *metric, const char *unit, struct result a,
		struct result b)
{
	printf("bench-ifd: %-38s %-4s %10.3f %10.3f %10.3f %10.3f %9.3fx\n",
	       metric, unit, a.p50, a.p99, b.p50, b.p99, a.p50 / b.p50);
}

static void table(const struct run *r)
{
	printf("bench-ifd: %-38s %-4s %10s %10s %10s %10s %10s\n", "metric",
	       "unit", "vscard p50", "p99", "vpcd p50", "p99", "ratio p50");
	row("P2 insert -> GetStatusChange PRESENT", "ms", r[BE_VSCARD].r2,
	    r[BE_VPCD].r2);
	row("P3 SCardTransmit GET CHALLENGE (8)", "us", r[BE_VSCARD].r3,
	    r[BE_VPCD].r3);
	row("P2 vs vpcd, card with TCP_QUICKACK", "ms", r[BE_VSCARD].r2,
	    r[BE_VPCD_QUICKACK].r2);
	row("P3 vs vpcd, card with TCP_QUICKACK", "us", r[BE_VSCARD].r3,
	    r[BE_VPCD_QUICKACK].r3);
	printf("bench-ifd: P2 ratio %.3fx (vscard/vpcd p50, card like vicc; %.3fx against TCP_QUICKACK)\n",
	       r[BE_VSCARD].r2.p50 / r[BE_VPCD].r2.p50,
	       r[BE_VSCARD].r2.p50 / r[BE_VPCD_QUICKACK].r2.p50);
	printf("bench-ifd: P3 ratio %.3fx (vscard/vpcd p50, card like vicc; %.3fx against TCP_QUICKACK)\n",
	       r[BE_VSCARD].r3.p50 / r[BE_VPCD].r3.p50,
	       r[BE_VSCARD].r3.p50 / r[BE_VPCD_QUICKACK].r3.p50);
}

int main(int argc, char **argv)
{
	struct run r[BE_N];
	struct opts o;
	int i, k, err = 0;

	memset(r, 0, sizeof(r));
	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	printf("bench-ifd: insertion at settle %u ms + random 0..%u ms after EMPTY\n",
	       o.settle_ms, o.jitter_ms);
	for (i = 0; i < BE_N && !err; i++) {
		r[i].n2 = o.p2[i != BE_VSCARD];
		r[i].n3 = o.p3[i != BE_VSCARD];
		r[i].p2 = calloc((size_t)r[i].n2, sizeof(uint64_t));
		r[i].p3 = calloc((size_t)r[i].n3, sizeof(uint64_t));
		err = !r[i].p2 || !r[i].p3;
	}
	/* Rounds: a change of the host's load hits every back-end alike. */
	for (k = 0; k < o.rounds && !err; k++)
		for (i = 0; i < BE_N && !err; i++)
			err = run_backend(&o, i, &r[i], k);
	for (i = 0; i < BE_N && !err; i++) {
		r[i].r2 = pct(r[i].p2, r[i].n2, 1e6);
		r[i].r3 = pct(r[i].p3, r[i].n3, 1e3);
	}
	if (!err)
		table(r);
	for (i = 0; i < BE_N; i++) {
		free(r[i].p2);
		free(r[i].p3);
	}
	return err;
}
