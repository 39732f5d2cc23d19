// SPDX-License-Identifier: MIT
/*
 * Per-slot state: the /dev/vscardN file, its cached status, the event wait
 * and its stop kick.
 *
 * Locking: s->lock guards the fields and is held only for short, local
 * work (open, GET_STATUS).  Requests that wait for the remote side run
 * outside it, counted in s->users so that the file is closed only once
 * nobody uses it; presence checks therefore never wait behind a slow APDU.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ifd.h"

int ifd_slot_init(struct ifd_slot *s, uint32_t pool, uint32_t index,
		  const char *sysfs, const char *devdir)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->wait_fd = -1;
	s->pool = pool;
	s->index = index;
	s->sysfs = sysfs;
	s->devdir = devdir;
	s->reopen_ms = IFD_REOPEN_INTERVAL_MS;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0)
		return -errno;
	pthread_mutex_init(&s->lock, NULL);
	return 0;
}

/* Close the file if it is stale and unused.  Called with s->lock held. */
static void reap_locked(struct ifd_slot *s)
{
	if (s->fd >= 0 && s->stale && !s->users) {
		close(s->fd);
		s->fd = -1;
		s->stale = false;
		s->have_st = false;
		s->rewake = true;
	}
}

void ifd_slot_destroy(struct ifd_slot *s)
{
	pthread_mutex_lock(&s->lock);
	s->stale = true;
	reap_locked(s);
	if (s->waiting) {
		s->wait_close = true;
	} else if (s->wait_fd >= 0) {
		close(s->wait_fd);
		s->wait_fd = -1;
	}
	pthread_mutex_unlock(&s->lock);
	/* Threads still inside keep the mutex and eventfd valid: the slot
	 * structure is never freed, only re-initialised by the caller once
	 * pcscd opens the channel again. */
}

/* Open and check the slot's node at @path; -1 if it is not there (yet). */
static int open_node(const struct ifd_slot *s, struct vscard_status *st,
		     char *path, size_t size)
{
	uint32_t ver = 0;
	int fd;

	if (ifd_node_path(s->sysfs, s->devdir, s->pool, s->index, path, size))
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Same major ABI, and really the slot we were configured for. */
	if (ioctl(fd, VSCARD_IOC_VERSION, &ver) ||
	    ver >> 16 != VSCARD_ABI_MAJOR ||
	    ioctl(fd, VSCARD_IOC_GET_STATUS, st) ||
	    st->pool != s->pool || st->slot != s->index) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open the slot's node if needed.  Called with s->lock held. */
static bool open_locked(struct ifd_slot *s)
{
	struct vscard_status st;
	char path[300];
	int fd;

	reap_locked(s);
	if (s->fd >= 0)
		return !s->stale;
	fd = open_node(s, &st, path, sizeof(path));
	if (fd < 0)
		return false;
	s->fd = fd;
	s->st = st;
	s->have_st = true;
	ifd_log(IFD_LOG_INFO, "vscard: pool %u slot %u is %s", s->pool,
		s->index, path);
	return true;
}

/* Read the status into s->st.  Called with s->lock held. */
static bool refresh_locked(struct ifd_slot *s)
{
	struct vscard_status st;

	if (!open_locked(s))
		return false;
	if (ioctl(s->fd, VSCARD_IOC_GET_STATUS, &st)) {
		/* -ENODEV: the slot was destroyed (pool deleted) */
		s->stale = true;
		s->have_st = false;
		reap_locked(s);
		return false;
	}
	s->st = st;
	s->have_st = true;
	return true;
}

/*
 * pcscd asks for presence from its event thread, and also inside
 * IFDPowerICC, which checks presence before it powers a card up or down:
 * from a client thread, or from the event thread itself, right after a
 * wait when it powers down an unused card (1.9.9: before its own check),
 * and right after its own check said "present" when it powers up a new
 * card.  Only the event loop's own check makes pcscd see a removal, and
 * it must see every one, also when the card came back (or was replaced)
 * before it asked.  So once the card pcscd knew is gone, every check
 * answers "absent" until the event loop has been told: the event thread
 * got "absent" with no "present" before it since its last wait (after a
 * "present" its own check is past: the "absent" went to a power up).  The
 * debt is settled when it comes back to wait.
 */
bool ifd_slot_presence(struct ifd_slot *s)
{
	bool present, ok, card, was, event;

	pthread_mutex_lock(&s->lock);
	ok = refresh_locked(s);
	card = ok && ifd_status_card(&s->st);
	was = s->seen.present;
	event = !s->have_waiter || pthread_equal(s->waiter, pthread_self());
	if (s->owed_absent && card) {
		present = false;
	} else {
		present = ifd_presence_next(&s->seen, ok ? &s->st : NULL);
		if (was && !present) {
			s->owed_absent = true;
			s->owed_told = false;
		}
	}
	/*
	 * "Absent" with a card there: the next wait returns at once, so
	 * that pcscd asks again and sees it with no change to wake it.
	 */
	if (!present && card)
		s->rewake = true;
	if (event && present)
		s->event_present = true;
	else if (event && s->owed_absent && !s->event_present)
		s->owed_told = true;
	pthread_mutex_unlock(&s->lock);
	return present;
}

/*
 * Whether the slot changed since the event wait last looked, read on the
 * wait's own file: this also re-arms its poll() for anything from now on
 * (no lost wakeup).  At worst pcscd checks presence once more than needed.
 */
static bool changed_since_wait(struct ifd_slot *s, int fd)
{
	struct vscard_status st;
	bool changed;

	pthread_mutex_lock(&s->lock);
	changed = s->rewake;
	s->rewake = false;
	if (!ioctl(fd, VSCARD_IOC_GET_STATUS, &st)) {
		changed |= st.seq != s->wait_seq;
		s->wait_seq = st.seq;
		s->st = st;
		s->have_st = true;
	}
	pthread_mutex_unlock(&s->lock);
	return changed;
}

bool ifd_slot_status(struct ifd_slot *s, struct vscard_status *st)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = s->have_st;
	if (ok)
		*st = s->st;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

bool ifd_slot_status_fresh(struct ifd_slot *s, struct vscard_status *st)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = refresh_locked(s);
	if (ok)
		*st = s->st;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void put_fd(struct ifd_slot *s, bool dead)
{
	pthread_mutex_lock(&s->lock);
	s->users--;
	if (dead)
		s->stale = true;
	reap_locked(s);
	pthread_mutex_unlock(&s->lock);
}

/* The event wait's own file, opened on demand; -1 if none. */
static int wait_fd_get(struct ifd_slot *s)
{
	struct vscard_status st;
	char path[300];
	int fd;

	pthread_mutex_lock(&s->lock);
	s->waiting = true;
	s->waiter = pthread_self();
	s->have_waiter = true;
	/* pcscd's event loop has seen the replaced card's removal */
	if (s->owed_absent && s->owed_told)
		s->owed_absent = false;
	s->event_present = false;
	if (s->wait_fd < 0) {
		s->wait_fd = open_node(s, &st, path, sizeof(path));
		s->wait_seq = 0;	/* a fresh file: report at once */
	}
	fd = s->wait_fd;
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static void wait_end(struct ifd_slot *s, bool dead)
{
	pthread_mutex_lock(&s->lock);
	s->waiting = false;
	if ((dead || s->wait_close) && s->wait_fd >= 0) {
		close(s->wait_fd);
		s->wait_fd = -1;
	}
	s->wait_close = false;
	if (dead) {
		/* the slot was destroyed: the main file is stale too */
		s->stale = true;
		reap_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
}

void ifd_slot_wait(struct ifd_slot *s, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = s->stop_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN | POLLPRI },
	};
	bool dead = false;
	uint64_t kicks;
	int fd = wait_fd_get(s);

	if (fd < 0) {
		/* No node yet: come back soon to retry the open. */
		if (timeout_ms < 0 || timeout_ms > s->reopen_ms)
			timeout_ms = s->reopen_ms;
	}
	if (fd >= 0 && changed_since_wait(s, fd)) {
		wait_end(s, false);
		return;
	}
	pfd[1].fd = fd;
	if (poll(pfd, 2, timeout_ms) > 0 &&
	    (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL)))
		dead = true;
	/* A stop consumed here ends this wait only. */
	if (read(s->stop_fd, &kicks, sizeof(kicks)) < 0)
		kicks = 0;
	wait_end(s, dead);
}

void ifd_slot_stop(struct ifd_slot *s)
{
	uint64_t one = 1;

	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		ifd_log(IFD_LOG_ERROR, "vscard: stop kick: %s",
			strerror(errno));
}

int ifd_slot_xfer(struct ifd_slot *s, unsigned long cmd,
		  struct vscard_xfer *x)
{
	int fd, ret;

	pthread_mutex_lock(&s->lock);
	if (!s->seen.present || !open_locked(s)) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEDIUM;
	}
	fd = s->fd;
	s->users++;
	/* The card pcscd believes in: a swapped card fails -ENOMEDIUM. */
	x->insert_count = s->seen.insert_count;
	pthread_mutex_unlock(&s->lock);

	ret = ioctl(fd, cmd, x) ? -errno : 0;
	put_fd(s, ret == -ENODEV);
	return ret;
}
