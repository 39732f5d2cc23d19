// SPDX-License-Identifier: MIT
/*
 * Host unit tests of libifdvscard's pure logic and of its entry points with
 * no vscard module present: DEVICENAME parsing, node lookup through a fake
 * sysfs, the generation rule, the error mapping, the stop semantics of the
 * polling function, and what pcscd gets for an absent slot; plus the
 * attributes of a bound slot played by a fake node (see ioctl() below).
 * Prints PASS:/FAIL: lines; exit status 1 if any check failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ifdhandler.h>
#include <reader.h>

#include "ifd.h"
#include "caps.h"
#include "driver.h"

static int failures;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("PASS: ifd-unit: %s\n", name);			\
	else {								\
		printf("FAIL: ifd-unit: %s (%s:%d: %s)\n", name,	\
		       __FILE__, __LINE__, #cond);			\
		failures++;						\
	}								\
} while (0)

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * What pcscd 1.9.9's SCardGetAttrib() (winscard.c) makes of the driver's
 * answer @rv for the reader named @reader: pcscd hands the driver its
 * whole buffer (*len = its size); on IFD_ERROR_TAG it answers
 * DEVICE_FRIENDLY_NAME and DEVICE_SYSTEM_NAME itself with the reader
 * name, if that fits in the *len the driver left.
 */
static LONG pcscd_attrib(DWORD tag, RESPONSECODE rv, const char *reader,
			 UCHAR *buf, DWORD *len)
{
	DWORD n = (DWORD)strlen(reader) + 1;

	switch (rv) {
	case IFD_SUCCESS:
		return SCARD_S_SUCCESS;
	case IFD_ERROR_TAG:
		if (tag != SCARD_ATTR_DEVICE_FRIENDLY_NAME_A &&
		    tag != SCARD_ATTR_DEVICE_SYSTEM_NAME_A)
			return SCARD_E_UNSUPPORTED_FEATURE;
		if (n > *len) {
			*len = n;
			return SCARD_E_INSUFFICIENT_BUFFER;
		}
		memcpy(buf, reader, n);
		*len = n;
		return SCARD_S_SUCCESS;
	case IFD_ERROR_INSUFFICIENT_BUFFER:
		return SCARD_E_INSUFFICIENT_BUFFER;
	default:
		return SCARD_E_NOT_TRANSACTED;
	}
}

/* ---- DEVICENAME ------------------------------------------------------ */

static void test_devname(void)
{
	struct ifd_devname d;

	CHECK("devname default",
	      !ifd_devname_parse("/dev/vscard:", &d) && d.pool == 0 &&
	      d.slots == IFD_DEFAULT_SLOTS);
	CHECK("devname pool and slots",
	      !ifd_devname_parse("/dev/vscard:pool=3:slots=16", &d) &&
	      d.pool == 3 && d.slots == 16);
	CHECK("devname any order, hex",
	      !ifd_devname_parse("/dev/vscard:slots=2:pool=0x10", &d) &&
	      d.pool == 16 && d.slots == 2);
	CHECK("devname rejects no colon (pcscd would stat it)",
	      ifd_devname_parse("/dev/vscard0", &d) == -EINVAL);
	CHECK("devname rejects other prefixes",
	      ifd_devname_parse("/dev/null:pool=0", &d) == -EINVAL);
	CHECK("devname rejects slots=0", ifd_devname_parse("/dev/vscard:slots=0", &d));
	CHECK("devname rejects slots=17", ifd_devname_parse("/dev/vscard:slots=17", &d));
	CHECK("devname rejects unknown key", ifd_devname_parse("/dev/vscard:foo=1", &d));
	CHECK("devname rejects junk value", ifd_devname_parse("/dev/vscard:pool=1x", &d));
	CHECK("devname rejects negative", ifd_devname_parse("/dev/vscard:pool=-1", &d));
	CHECK("devname rejects empty value", ifd_devname_parse("/dev/vscard:pool=", &d));
	CHECK("devname rejects trailing separator",
	      ifd_devname_parse("/dev/vscard:pool=1:", &d));
	CHECK("devname rejects bare key", ifd_devname_parse("/dev/vscard:pool", &d));
	CHECK("devname rejects NULL", ifd_devname_parse(NULL, &d));
}

/* ---- node lookup through a fake sysfs -------------------------------- */

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void fake_slot(const char *sysfs, int minor, int pool, int slot)
{
	char d[400], v[16];

	snprintf(d, sizeof(d), "%s/vscard%d", sysfs, minor);
	mkdir(d, 0755);
	snprintf(v, sizeof(v), "%d\n", pool);
	put_file(d, "pool", v);
	snprintf(v, sizeof(v), "%d\n", slot);
	put_file(d, "slot", v);
}

static void test_node_path(void)
{
	char root[] = "/tmp/ifd-unit-XXXXXX", sysfs[300], path[300];
	int ret;

	if (!mkdtemp(root)) {
		CHECK("node lookup: mkdtemp", 0);
		return;
	}
	snprintf(sysfs, sizeof(sysfs), "%s/class", root);
	ret = ifd_node_path(sysfs, "/dev", 0, 2, path, sizeof(path));
	CHECK("node lookup: no sysfs, pool 0 falls back to /dev/vscardN",
	      !ret && !strcmp(path, "/dev/vscard2"));
	CHECK("node lookup: no sysfs, other pools unknown",
	      ifd_node_path(sysfs, "/dev", 1, 0, path, sizeof(path)) == -ENOENT);
	mkdir(sysfs, 0755);
	fake_slot(sysfs, 0, 0, 0);
	fake_slot(sysfs, 1, 0, 1);
	fake_slot(sysfs, 4, 1, 0);
	fake_slot(sysfs, 7, 1, 1);
	ret = ifd_node_path(sysfs, "/dev", 1, 1, path, sizeof(path));
	CHECK("node lookup: pool 1 slot 1 via sysfs",
	      !ret && !strcmp(path, "/dev/vscard7"));
	ret = ifd_node_path(sysfs, "/dev", 0, 1, path, sizeof(path));
	CHECK("node lookup: pool 0 slot 1 via sysfs",
	      !ret && !strcmp(path, "/dev/vscard1"));
	CHECK("node lookup: missing slot", ifd_node_path(sysfs, "/dev", 1, 2,
			  path, sizeof(path)) == -ENOENT);
	CHECK("node lookup: missing pool", ifd_node_path(sysfs, "/dev", 9, 0,
			  path, sizeof(path)) == -ENOENT);
	put_file(sysfs, "vscard4/slot", "garbage\n");
	CHECK("node lookup: unreadable attribute skipped",
	      ifd_node_path(sysfs, "/dev", 1, 0, path, sizeof(path)) == -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	if (system(path) != 0)
		fprintf(stderr, "cleanup of %s failed\n", root);
}

/* ---- generation rule ------------------------------------------------- */

static struct vscard_status card(uint64_t ic, uint64_t epoch, uint8_t atr0)
{
	struct vscard_status st;

	memset(&st, 0, sizeof(st));
	st.flags = VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT;
	st.insert_count = ic;
	st.epoch = epoch;
	st.atr_len = 4;
	st.atr[0] = 0x3B;
	st.atr[1] = atr0;
	return st;
}

static void test_presence(void)
{
	struct ifd_seen seen = { 0 };
	struct vscard_status st = card(1, 1, 0x11), empty;
	bool a, b;

	memset(&empty, 0, sizeof(empty));
	CHECK("presence: no node -> absent", !ifd_presence_next(&seen, NULL));
	CHECK("presence: unbound -> absent", !ifd_presence_next(&seen, &empty));
	empty.flags = VSCARD_STATUS_BOUND;
	CHECK("presence: bound, no card -> absent",
	      !ifd_presence_next(&seen, &empty));
	CHECK("presence: card -> present", ifd_presence_next(&seen, &st));
	CHECK("presence: same card stays present",
	      ifd_presence_next(&seen, &st) && ifd_presence_next(&seen, &st));
	st.flags |= VSCARD_STATUS_POWERED;
	st.seq = 99;
	CHECK("presence: power/seq changes keep it present",
	      ifd_presence_next(&seen, &st));
	st = card(2, 1, 0x11);
	a = ifd_presence_next(&seen, &st);
	b = ifd_presence_next(&seen, &st);
	CHECK("presence: remove+insert between checks -> absent once, then present",
	      !a && b);
	st = card(2, 2, 0x11);
	a = ifd_presence_next(&seen, &st);
	b = ifd_presence_next(&seen, &st);
	CHECK("presence: rebind (new epoch) -> absent once, then present", !a && b);
	st = card(2, 2, 0x22);
	a = ifd_presence_next(&seen, &st);
	b = ifd_presence_next(&seen, &st);
	CHECK("presence: ATR change -> absent once, then present", !a && b);
	st.flags |= VSCARD_STATUS_LINGERING;
	CHECK("presence: lingering -> absent", !ifd_presence_next(&seen, &st));
	st = card(3, 2, 0x22);
	CHECK("presence: absent then new card -> present at once",
	      ifd_presence_next(&seen, &st));
	st.atr_len = 200;	/* defensive: never read past atr[] */
	a = ifd_presence_next(&seen, &st);
	b = ifd_presence_next(&seen, &st);
	CHECK("presence: oversized atr_len clamped", !a && b &&
	      seen.atr_len == VSCARD_ATR_MAX);
}

/* ---- error mapping --------------------------------------------------- */

static void test_errmap(void)
{
	static const enum ifd_op ops[] = {
		IFD_OP_POWER_UP, IFD_OP_POWER_DOWN, IFD_OP_TRANSMIT,
		IFD_OP_CONTROL, IFD_OP_GET_ATTRIB, IFD_OP_SET_ATTRIB,
	};
	static const int errs[] = {
		0, -ENOMEDIUM, -ENODEV, -ESHUTDOWN, -ETIMEDOUT, -ENOBUFS,
		-EIO, -EBUSY, -EINVAL, -EINTR, -EFAULT, -ENOMEM, -EOPNOTSUPP,
	};
	bool never_nsd = true;
	size_t i, j;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		for (j = 0; j < sizeof(errs) / sizeof(errs[0]); j++)
			if (ifd_errmap(ops[i], errs[j], 0) == IFD_NO_SUCH_DEVICE)
				never_nsd = false;
	CHECK("errmap: never IFD_NO_SUCH_DEVICE", never_nsd);
	CHECK("errmap: 0 -> SUCCESS", ifd_errmap(IFD_OP_TRANSMIT, 0, 0) == IFD_SUCCESS);
	CHECK("errmap: ENOMEDIUM -> ICC_NOT_PRESENT",
	      ifd_errmap(IFD_OP_TRANSMIT, -ENOMEDIUM, 0) == IFD_ICC_NOT_PRESENT);
	CHECK("errmap: ENODEV -> ICC_NOT_PRESENT",
	      ifd_errmap(IFD_OP_TRANSMIT, -ENODEV, 0) == IFD_ICC_NOT_PRESENT);
	CHECK("errmap: ESHUTDOWN -> ICC_NOT_PRESENT",
	      ifd_errmap(IFD_OP_CONTROL, -ESHUTDOWN, 0) == IFD_ICC_NOT_PRESENT);
	CHECK("errmap: power down of a vanished card succeeds",
	      ifd_errmap(IFD_OP_POWER_DOWN, -ENOMEDIUM, 0) == IFD_SUCCESS);
	CHECK("errmap: ETIMEDOUT -> RESPONSE_TIMEOUT",
	      ifd_errmap(IFD_OP_TRANSMIT, -ETIMEDOUT, 0) == IFD_RESPONSE_TIMEOUT &&
	      ifd_errmap(IFD_OP_POWER_UP, -ETIMEDOUT, 0) == IFD_RESPONSE_TIMEOUT);
	CHECK("errmap: EIO -> COMMUNICATION_ERROR",
	      ifd_errmap(IFD_OP_TRANSMIT, -EIO, 0x80100016U) == IFD_COMMUNICATION_ERROR);
	CHECK("errmap: ENOBUFS -> INSUFFICIENT_BUFFER",
	      ifd_errmap(IFD_OP_TRANSMIT, -ENOBUFS, 0) == IFD_ERROR_INSUFFICIENT_BUFFER);
	CHECK("errmap: power up failure -> ERROR_POWER_ACTION",
	      ifd_errmap(IFD_OP_POWER_UP, -EIO, 0) == IFD_ERROR_POWER_ACTION);
	CHECK("errmap: control unsupported remotely -> ERROR_NOT_SUPPORTED",
	      ifd_errmap(IFD_OP_CONTROL, -EIO, 0x80100022U) == IFD_ERROR_NOT_SUPPORTED &&
	      ifd_errmap(IFD_OP_CONTROL, -EIO, 0x1) == IFD_ERROR_NOT_SUPPORTED &&
	      ifd_errmap(IFD_OP_CONTROL, -EOPNOTSUPP, 0) == IFD_ERROR_NOT_SUPPORTED);
	CHECK("errmap: attribute unsupported remotely -> ERROR_TAG",
	      ifd_errmap(IFD_OP_GET_ATTRIB, -EIO, 0x80100022U) == IFD_ERROR_TAG &&
	      ifd_errmap(IFD_OP_GET_ATTRIB, -EIO, 0x32) == IFD_ERROR_TAG);
	CHECK("errmap: remote insufficient buffer",
	      ifd_errmap(IFD_OP_CONTROL, -EIO, 0x80100008U) ==
	      IFD_ERROR_INSUFFICIENT_BUFFER);
	CHECK("errmap: EBUSY -> COMMUNICATION_ERROR",
	      ifd_errmap(IFD_OP_TRANSMIT, -EBUSY, 0) == IFD_COMMUNICATION_ERROR);
}

/* ---- stop semantics of the polling function -------------------------- */

struct waiter {
	struct ifd_slot *s;
	int timeout_ms;
	long elapsed;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	long t0 = now_ms();

	ifd_slot_wait(w->s, w->timeout_ms);
	w->elapsed = now_ms() - t0;
	return NULL;
}

static void test_stop(void)
{
	struct ifd_slot s;
	struct waiter w = { &s, 60000, 0 };
	pthread_t th;
	long t0, dt;

	if (ifd_slot_init(&s, 5, 0, "/nonexistent/sysfs", "/nonexistent")) {
		CHECK("stop: slot init", 0);
		return;
	}
	s.reopen_ms = 60000;	/* no retry wakeups in this test */
	CHECK("stop: a slot without a node is absent", !ifd_slot_presence(&s));

	pthread_create(&th, NULL, wait_thread, &w);
	usleep(200 * 1000);
	ifd_slot_stop(&s);
	pthread_join(th, NULL);
	CHECK("stop: interrupts the current wait (within 5 s of a 60 s wait)",
	      w.elapsed < 5000);

	t0 = now_ms();
	ifd_slot_wait(&s, 150);
	dt = now_ms() - t0;
	CHECK("stop: does not latch beyond the wait it ended", dt >= 140);

	ifd_slot_stop(&s);
	ifd_slot_stop(&s);
	ifd_slot_stop(&s);
	t0 = now_ms();
	ifd_slot_wait(&s, 60000);
	dt = now_ms() - t0;
	CHECK("stop: a stop between waits ends the next wait at once", dt < 5000);
	t0 = now_ms();
	ifd_slot_wait(&s, 150);
	dt = now_ms() - t0;
	CHECK("stop: repeated stops collapse into one wakeup", dt >= 140);

	s.reopen_ms = 100;
	t0 = now_ms();
	ifd_slot_wait(&s, 60000);
	dt = now_ms() - t0;
	CHECK("stop: without a node the wait is bounded to retry the open",
	      dt >= 90 && dt < 5000);
	ifd_slot_destroy(&s);
}

/* ---- entry points with no module: everything is "no card" ------------ */

static void test_entry_points(void)
{
	const DWORD lun = 0x30000;	/* reader 3, slot 0 */
	RESPONSECODE (*pollfn)(DWORD, int) = NULL;
	RESPONSECODE (*stopfn)(DWORD) = NULL;
	UCHAR buf[300], atr[MAX_ATR_SIZE];
	SCARD_IO_HEADER pci = { 1, 0 }, rpci;
	DWORD len, rlen;
	RESPONSECODE rv;

	CHECK("entry: bad DEVICENAME is an error, not NO_SUCH_DEVICE",
	      IFDHCreateChannelByName(lun, (LPSTR)"/dev/vscard0") ==
	      IFD_COMMUNICATION_ERROR);
	/* pool 7 never exists on this host: no node, no card */
	CHECK("entry: channel opens with no module loaded",
	      IFDHCreateChannelByName(lun, (LPSTR)"/dev/vscard:pool=7:slots=3") ==
	      IFD_SUCCESS);
	CHECK("entry: other slots open too",
	      IFDHCreateChannelByName(lun + 1, (LPSTR)"/dev/vscard:pool=7:slots=3") ==
	      IFD_SUCCESS &&
	      IFDHCreateChannelByName(lun + 2, (LPSTR)"/dev/vscard:pool=7:slots=3") ==
	      IFD_SUCCESS);
	CHECK("entry: slot beyond slots= refused",
	      IFDHCreateChannelByName(lun + 3, (LPSTR)"/dev/vscard:pool=7:slots=3") ==
	      IFD_COMMUNICATION_ERROR);
	len = 1;
	rv = IFDHGetCapabilities(lun, TAG_IFD_SLOTS_NUMBER, &len, buf);
	CHECK("entry: SLOTS_NUMBER", rv == IFD_SUCCESS && len == 1 && buf[0] == 3);
	len = 1;
	rv = IFDHGetCapabilities(lun, TAG_IFD_THREAD_SAFE, &len, buf);
	CHECK("entry: THREAD_SAFE = 1", rv == IFD_SUCCESS && len == 1 && buf[0] == 1);
	len = 1;
	rv = IFDHGetCapabilities(lun + 1, TAG_IFD_SLOT_THREAD_SAFE, &len, buf);
	CHECK("entry: SLOT_THREAD_SAFE = 1", rv == IFD_SUCCESS && len == 1 && buf[0] == 1);
	len = 1;
	rv = IFDHGetCapabilities(lun, TAG_IFD_SIMULTANEOUS_ACCESS, &len, buf);
	CHECK("entry: SIMULTANEOUS_ACCESS = 16", rv == IFD_SUCCESS && len == 1 &&
	      buf[0] == 16);
	len = 1;
	rv = IFDHGetCapabilities(lun, TAG_IFD_POLLING_THREAD_KILLABLE, &len, buf);
	CHECK("entry: not killable", rv == IFD_SUCCESS && len == 1 && buf[0] == 0);
	len = sizeof(pollfn);
	rv = IFDHGetCapabilities(lun, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &len,
				 (PUCHAR)&pollfn);
	CHECK("entry: polling function", rv == IFD_SUCCESS &&
	      len == sizeof(pollfn) && pollfn);
	len = sizeof(stopfn);
	rv = IFDHGetCapabilities(lun, TAG_IFD_STOP_POLLING_THREAD, &len,
				 (PUCHAR)&stopfn);
	CHECK("entry: stop function", rv == IFD_SUCCESS &&
	      len == sizeof(stopfn) && stopfn);
	if (pollfn && stopfn) {
		long t0;

		stopfn(lun + 2);
		t0 = now_ms();
		rv = pollfn(lun + 2, 600000);
		CHECK("entry: polling function returns SUCCESS after a stop",
		      rv == IFD_SUCCESS && now_ms() - t0 < 5000);
	}
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_VENDOR_NAME, &len, buf);
	CHECK("entry: VENDOR_NAME", rv == IFD_SUCCESS && len == 7 &&
	      !memcmp(buf, "vscard", 7));
	len = 3;
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_VENDOR_NAME, &len, buf);
	CHECK("entry: short buffer -> INSUFFICIENT_BUFFER",
	      rv == IFD_ERROR_INSUFFICIENT_BUFFER);
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun + 2, SCARD_ATTR_VENDOR_IFD_SERIAL_NO, &len, buf);
	CHECK("entry: VENDOR_IFD_SERIAL_NO names pool and slot",
	      rv == IFD_SUCCESS && !strcmp((char *)buf, "pool7-slot2"));
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_MAXINPUT, &len, buf);
	CHECK("entry: MAXINPUT", rv == IFD_SUCCESS && len == 4);
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_ICC_PRESENCE, &len, buf);
	CHECK("entry: ICC_PRESENCE 0", rv == IFD_SUCCESS && len == 1 && !buf[0]);
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, &len, buf);
	CHECK("entry: FRIENDLY_NAME unbound -> ERROR_TAG, *Length untouched",
	      rv == IFD_ERROR_TAG && len == sizeof(buf));
	CHECK("entry: FRIENDLY_NAME unbound: pcscd answers its reader name",
	      pcscd_attrib(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, rv, "vscard 03 00",
			   buf, &len) == SCARD_S_SUCCESS &&
	      !strcmp((char *)buf, "vscard 03 00"));
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, 0x0FFF, &len, buf);
	CHECK("entry: unknown tag -> ERROR_TAG, *Length untouched (as CCID)",
	      rv == IFD_ERROR_TAG && len == sizeof(buf));
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_ATR_STRING, &len, buf);
	CHECK("entry: ATR_STRING with no card: IFD_SUCCESS, 0 bytes (as CCID)",
	      rv == IFD_SUCCESS && !len);
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, TAG_IFD_ATR, &len, buf);
	CHECK("entry: TAG_IFD_ATR with no card: IFD_SUCCESS, 0 bytes (as CCID)",
	      rv == IFD_SUCCESS && !len);
	len = sizeof(buf);
	rv = IFDHGetCapabilities(lun, SCARD_ATTR_DEVICE_SYSTEM_NAME_A, &len, buf);
	CHECK("entry: SYSTEM_NAME unbound: pcscd answers its reader name",
	      rv == IFD_ERROR_TAG &&
	      pcscd_attrib(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, rv, "vscard 03 00",
			   buf, &len) == SCARD_S_SUCCESS &&
	      !strcmp((char *)buf, "vscard 03 00"));

	CHECK("entry: presence -> ICC_NOT_PRESENT",
	      IFDHICCPresence(lun) == IFD_ICC_NOT_PRESENT);
	CHECK("entry: presence of an unopened Lun -> ICC_NOT_PRESENT",
	      IFDHICCPresence(0x50007) == IFD_ICC_NOT_PRESENT);
	len = 99;
	rv = IFDHPowerICC(lun, IFD_POWER_UP, atr, &len);
	CHECK("entry: power up -> ICC_NOT_PRESENT, AtrLength 0",
	      rv == IFD_ICC_NOT_PRESENT && len == 0);
	CHECK("entry: power down with NULL ATR (auto power-off)",
	      IFDHPowerICC(lun, IFD_POWER_DOWN, NULL, NULL) == IFD_SUCCESS);
	rlen = sizeof(buf);
	rv = IFDHTransmitToICC(lun, pci, (PUCHAR)"\x00\x84\x00\x00\x08", 5,
			       buf, &rlen, &rpci);
	CHECK("entry: transmit -> ICC_NOT_PRESENT, RxLength 0",
	      rv == IFD_ICC_NOT_PRESENT && rlen == 0);
	rlen = 77;
	rv = IFDHControl(lun, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf,
			 sizeof(buf), &rlen);
	CHECK("entry: control -> ICC_NOT_PRESENT, returned 0",
	      rv == IFD_ICC_NOT_PRESENT && rlen == 0);
	CHECK("entry: PTS without card -> ICC_NOT_PRESENT",
	      IFDHSetProtocolParameters(lun, SCARD_PROTOCOL_T1, 0, 0, 0, 0) ==
	      IFD_ICC_NOT_PRESENT);
	CHECK("entry: close channels",
	      IFDHCloseChannel(lun) == IFD_SUCCESS &&
	      IFDHCloseChannel(lun + 1) == IFD_SUCCESS &&
	      IFDHCloseChannel(lun + 2) == IFD_SUCCESS);
	len = 1;
	CHECK("entry: closed Lun answers no capabilities",
	      IFDHGetCapabilities(lun, TAG_IFD_SLOTS_NUMBER, &len, buf) != IFD_SUCCESS);
	CHECK("entry: channel reopens after close",
	      IFDHCreateChannelByName(lun, (LPSTR)"/dev/vscard:pool=7:slots=1") ==
	      IFD_SUCCESS && IFDHCloseChannel(lun) == IFD_SUCCESS);
}

/* ---- a bound slot played by a fake node ------------------------------ */

/*
 * The slot code opens <devdir>/vscard<N> and speaks the VSCARD_IOC_*
 * ioctls to it.  This program defines ioctl() itself: the handler's code
 * is linked into it, so its calls land here, and a plain file plays the
 * slot.  VSCARD_IOC_* requests are answered from fake_st (GET_ATTRIB as a
 * remote reader that knows every attribute, counted); anything else goes
 * to the C library's ioctl().
 */
static struct vscard_status fake_st;
static unsigned int fake_attrib_calls;
static const char fake_remote_answer[] = "answer of the remote reader";

int ioctl(int fd, unsigned long request, ...)
{
	static int (*next)(int, unsigned long, ...);
	struct vscard_xfer *x;
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) != VSCARD_IOC_MAGIC) {
		if (!next)
			next = (int (*)(int, unsigned long, ...))
				dlsym(RTLD_NEXT, "ioctl");
		return next(fd, request, arg);
	}
	switch (request) {
	case VSCARD_IOC_VERSION:
		*(uint32_t *)arg = VSCARD_ABI_VERSION;
		return 0;
	case VSCARD_IOC_GET_STATUS:
		memcpy(arg, &fake_st, sizeof(fake_st));
		return 0;
	case VSCARD_IOC_GET_ATTRIB:
		x = arg;
		fake_attrib_calls++;
		if (x->rx_len < sizeof(fake_remote_answer)) {
			errno = ENOBUFS;
			return -1;
		}
		memcpy((void *)(uintptr_t)x->rx_ptr, fake_remote_answer,
		       sizeof(fake_remote_answer));
		x->rx_len = sizeof(fake_remote_answer);
		x->result = 0;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static struct ifd_driver fake_drv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static RESPONSECODE get_attr(DWORD tag, UCHAR *buf, DWORD *len, DWORD size)
{
	*len = size;
	return ifd_caps_get(&fake_drv, 0, tag, len, buf);
}

static void fake_status(uint32_t flags, const char *reader, uint8_t atr1)
{
	fake_st.seq++;
	fake_st.flags = flags;
	fake_st.pool = 0;
	fake_st.slot = 0;
	snprintf(fake_st.reader_name, sizeof(fake_st.reader_name), "%s",
		 reader);
	if (flags & VSCARD_STATUS_PRESENT) {
		fake_st.insert_count++;
		fake_st.atr_len = 4;
		memcpy(fake_st.atr, (uint8_t[]){ 0x3B, atr1, 0x81, 0x01 }, 4);
	} else {
		fake_st.atr_len = 0;
	}
}

static void test_bound_slot(void)
{
	static const char remote[] = "Alice's Remote Reader 0";
	static const char pcsc[] = "vscard 00 00";	/* pcscd's name */
	char root[] = "/tmp/ifd-unit-XXXXXX", devdir[300], sysfs[300], p[330];
	struct ifd_reader *r = &fake_drv.readers[0];
	struct ifd_slot *s = &r->slots[0];
	UCHAR buf[300];
	DWORD len;
	RESPONSECODE rv;
	FILE *f;

	if (!mkdtemp(root)) {
		CHECK("bound slot: mkdtemp", 0);
		return;
	}
	/* no sysfs: pool 0 slot 0 is <devdir>/vscard0 */
	snprintf(sysfs, sizeof(sysfs), "%s/no-sysfs", root);
	snprintf(devdir, sizeof(devdir), "%s/dev", root);
	mkdir(devdir, 0755);
	snprintf(p, sizeof(p), "%s/vscard0", devdir);
	f = fopen(p, "w");
	if (f)
		fclose(f);
	if (!f || ifd_slot_init(s, 0, 0, sysfs, devdir)) {
		CHECK("bound slot: fake node", 0);
		return;
	}
	r->configured = true;
	r->cfg.pool = 0;
	r->cfg.slots = 1;
	r->inited[0] = true;
	r->open[0] = true;

	/* a remote reader bound, no card */
	fake_status(VSCARD_STATUS_BOUND, remote, 0);
	CHECK("bound slot: no card -> absent", !ifd_slot_presence(s));
	rv = get_attr(SCARD_ATTR_ATR_STRING, buf, &len, sizeof(buf));
	CHECK("bound slot, no card: ATR_STRING IFD_SUCCESS, 0 bytes (as CCID)",
	      rv == IFD_SUCCESS && len == 0);
	rv = get_attr(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, buf, &len, sizeof(buf));
	CHECK("bound slot: FRIENDLY_NAME -> ERROR_TAG, *Length untouched",
	      rv == IFD_ERROR_TAG && len == sizeof(buf));
	CHECK("bound slot: FRIENDLY_NAME through pcscd is the name "
	      "SCardListReaders shows",
	      pcscd_attrib(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, rv, pcsc,
			   buf, &len) == SCARD_S_SUCCESS &&
	      !strcmp((char *)buf, pcsc));
	rv = get_attr(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, buf, &len, sizeof(buf));
	CHECK("bound slot: SYSTEM_NAME is the client's reader name",
	      rv == IFD_SUCCESS && len == sizeof(remote) &&
	      !memcmp(buf, remote, sizeof(remote)) &&
	      pcscd_attrib(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, rv, pcsc, buf,
			   &len) == SCARD_S_SUCCESS);
	rv = get_attr(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, buf, &len, 5);
	CHECK("bound slot: SYSTEM_NAME in a short buffer -> INSUFFICIENT_BUFFER",
	      rv == IFD_ERROR_INSUFFICIENT_BUFFER);

	/* a card: requests could now reach the remote reader */
	fake_status(VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT, remote, 0x11);
	CHECK("bound slot: card -> present", ifd_slot_presence(s));
	rv = get_attr(SCARD_ATTR_ATR_STRING, buf, &len, sizeof(buf));
	CHECK("bound slot, card: ATR_STRING is its ATR",
	      rv == IFD_SUCCESS && len == 4 && buf[0] == 0x3B && buf[1] == 0x11);
	fake_attrib_calls = 0;
	rv = get_attr(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, buf, &len, sizeof(buf));
	CHECK("card present: FRIENDLY_NAME through pcscd is still its name",
	      rv == IFD_ERROR_TAG &&
	      pcscd_attrib(SCARD_ATTR_DEVICE_FRIENDLY_NAME_A, rv, pcsc,
			   buf, &len) == SCARD_S_SUCCESS &&
	      !strcmp((char *)buf, pcsc));
	rv = get_attr(SCARD_ATTR_DEVICE_FRIENDLY_NAME_W, buf, &len, sizeof(buf));
	CHECK("card present: FRIENDLY_NAME_W -> ERROR_TAG", rv == IFD_ERROR_TAG);
	rv = get_attr(SCARD_ATTR_DEVICE_SYSTEM_NAME_W, buf, &len, sizeof(buf));
	CHECK("card present: SYSTEM_NAME_W -> ERROR_TAG", rv == IFD_ERROR_TAG);
	CHECK("card present: no name attribute is asked of the remote reader",
	      fake_attrib_calls == 0);
	fake_attrib_calls = 0;
	rv = get_attr(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, buf, &len, sizeof(buf));
	CHECK("card present: SYSTEM_NAME is the client's reader name, "
	      "not asked of the remote reader",
	      rv == IFD_SUCCESS && !strcmp((char *)buf, remote) &&
	      fake_attrib_calls == 0);
	fake_attrib_calls = 0;
	rv = get_attr(SCARD_ATTR_VALUE(SCARD_CLASS_MECHANICAL, 0x0150), buf,
		      &len, sizeof(buf));
	CHECK("card present: other attributes still go to the remote reader",
	      rv == IFD_SUCCESS && fake_attrib_calls == 1 &&
	      len == sizeof(fake_remote_answer));

	/* the card leaves */
	fake_status(VSCARD_STATUS_BOUND, remote, 0);
	CHECK("bound slot: card removed -> absent", !ifd_slot_presence(s));
	rv = get_attr(SCARD_ATTR_ATR_STRING, buf, &len, sizeof(buf));
	CHECK("card removed: ATR_STRING IFD_SUCCESS, 0 bytes (as CCID)",
	      rv == IFD_SUCCESS && len == 0);
	rv = get_attr(TAG_IFD_ATR, buf, &len, sizeof(buf));
	CHECK("card removed: TAG_IFD_ATR IFD_SUCCESS, 0 bytes (as CCID)",
	      rv == IFD_SUCCESS && len == 0);

	/* the remote reader leaves */
	fake_status(0, "", 0);
	rv = get_attr(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, buf, &len, sizeof(buf));
	CHECK("unbound: SYSTEM_NAME through pcscd is its reader name",
	      rv == IFD_ERROR_TAG &&
	      pcscd_attrib(SCARD_ATTR_DEVICE_SYSTEM_NAME_A, rv, pcsc,
			   buf, &len) == SCARD_S_SUCCESS &&
	      !strcmp((char *)buf, pcsc));

	r->open[0] = false;
	ifd_slot_destroy(s);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	if (system(p) != 0)
		fprintf(stderr, "cleanup of %s failed\n", root);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_devname();
	test_node_path();
	test_presence();
	test_errmap();
	test_stop();
	test_entry_points();
	test_bound_slot();
	return failures ? 1 : 0;
}
