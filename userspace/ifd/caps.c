// SPDX-License-Identifier: MIT
/*
 * IFDHGetCapabilities / IFDHSetCapabilities: pcscd's TAG_IFD_* questions,
 * the reader attributes answered locally, and every other SCARD_ATTR_* passed
 * to the remote reader.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <reader.h>

#include "caps.h"
#include "driver.h"

#define IFD_VENDOR_NAME		"vscard"
#define IFD_VENDOR_IFD_TYPE	"vscard remote reader slot"
#define IFD_VENDOR_IFD_VERSION	0x01000000U	/* 0xMMmmbbbb: 1.0.0 */
/* CHANNEL_ID 0xDDDDCCCC: DDDD 0x00F0 (vendor-defined), CCCC the minor */
#define IFD_CHANNEL_TYPE	0x00F0U

static RESPONSECODE put(PDWORD len, PUCHAR val, const void *data, size_t n)
{
	if (*len < n) {
		*len = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	if (n)
		memcpy(val, data, n);
	*len = n;
	return IFD_SUCCESS;
}

static RESPONSECODE put_byte(PDWORD len, PUCHAR val, UCHAR b)
{
	return put(len, val, &b, 1);
}

static RESPONSECODE put_dword(PDWORD len, PUCHAR val, uint32_t v)
{
	/* PC/SC attributes carry DWORDs in native byte order, 4 bytes */
	return put(len, val, &v, sizeof(v));
}

static RESPONSECODE put_str(PDWORD len, PUCHAR val, const char *s)
{
	return put(len, val, s, strlen(s) + 1);
}

/* Ask the remote reader for attribute @tag. */
static RESPONSECODE remote_attr(struct ifd_slot *s, DWORD tag, PDWORD len,
				PUCHAR val)
{
	struct vscard_xfer x = {
		.rx_ptr = (uintptr_t)val,
		.rx_len = (uint32_t)*len,
		.code = (uint32_t)tag,
	};
	int err = ifd_slot_xfer(s, VSCARD_IOC_GET_ATTRIB, &x);

	if (err == -ENOMEDIUM) {
		*len = 0;
		return IFD_ERROR_TAG;	/* nobody to ask */
	}
	*len = err ? 0 : x.rx_len;
	return ifd_errmap(IFD_OP_GET_ATTRIB, err, x.result);
}

static RESPONSECODE slot_attr(struct ifd_slot *s, DWORD tag, PDWORD len,
			      PUCHAR val)
{
	struct vscard_status st;
	bool have = ifd_slot_status(s, &st);
	char buf[64];

	switch (tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING: {
		/*
		 * The same answer as pcsc-lite's CCID driver (ccid 1.5.2,
		 * Debian 12's libccid; unchanged in later releases):
		 * src/ifdhandler.c, IFDHGetCapabilities(), case TAG_IFD_ATR /
		 * SCARD_ATTR_ATR_STRING copies the slot's cached ATR
		 * (nATRLength bytes) and returns IFD_SUCCESS.  That cache is
		 * empty from IFDHCreateChannelByName() until a power up and is
		 * emptied again when IFDHICCPresence() finds no card, so with
		 * no card CCID answers IFD_SUCCESS with *Length 0, and pcscd
		 * 1.9.9 (winscard.c, SCardGetAttrib()) turns that into
		 * SCARD_S_SUCCESS with 0 bytes.  Checked through pcscd 1.9.9
		 * with Debian's libccidtwin.so on an emulated reader with no
		 * card.  Here: no card (none bound, none inserted, removed)
		 * is IFD_SUCCESS with 0 bytes too.  One difference: CCID also
		 * empties its cache at IFD_POWER_DOWN; this handler keeps the
		 * ATR of a present card after pcscd's power down, because the
		 * remote card stays powered (the agent disconnects with
		 * LEAVE_CARD).
		 */
		uint8_t atr[VSCARD_ATR_MAX];
		uint32_t n;

		pthread_mutex_lock(&s->lock);
		n = s->seen.present ? s->atr_len : 0;
		memcpy(atr, s->atr, n);
		if (s->seen.present && !n) {	/* not powered yet */
			n = s->seen.atr_len;
			memcpy(atr, s->seen.atr, n);
		}
		pthread_mutex_unlock(&s->lock);
		return put(len, val, atr, n);
	}
	case SCARD_ATTR_ICC_PRESENCE:
		/* 0 absent, 2 present (never swallowed) */
		return put_byte(len, val, have && ifd_status_card(&st) ? 2 : 0);
	case SCARD_ATTR_ICC_INTERFACE_STATUS:
		return put_byte(len, val, have && ifd_status_card(&st) &&
				(st.flags & VSCARD_STATUS_POWERED) ? 1 : 0);
	case SCARD_ATTR_CURRENT_PROTOCOL_TYPE: {
		uint32_t p;

		pthread_mutex_lock(&s->lock);
		p = s->protocol;
		pthread_mutex_unlock(&s->lock);
		if (!p)
			return remote_attr(s, tag, len, val);
		return put_dword(len, val, p);
	}
	case SCARD_ATTR_VENDOR_IFD_SERIAL_NO:
		snprintf(buf, sizeof(buf), "pool%u-slot%u", s->pool, s->index);
		return put_str(len, val, buf);
	case SCARD_ATTR_CHANNEL_ID:
		/* the slot index within the pool: stable across reloads */
		return put_dword(len, val, IFD_CHANNEL_TYPE << 16 | s->index);
	case SCARD_ATTR_DEVICE_FRIENDLY_NAME_A:
	case SCARD_ATTR_DEVICE_FRIENDLY_NAME_W:
	case SCARD_ATTR_DEVICE_SYSTEM_NAME_W:
		/*
		 * The display name is the name SCardListReaders shows.  pcscd
		 * fixes it ("vscard 00 01") before it loads the driver and
		 * never tells the driver; on IFD_ERROR_TAG, pcscd 1.9.9
		 * answers FRIENDLY_NAME (_A: pcscd is built without UNICODE)
		 * with it itself (winscard.c, SCardGetAttrib()), as for CCID,
		 * which does not know the tag.  The _W forms are unsupported,
		 * as with CCID.  None of them goes to the remote reader: its
		 * answer would be the client's name.
		 */
		return IFD_ERROR_TAG;
	case SCARD_ATTR_DEVICE_SYSTEM_NAME_A:
		/* the name of the remote reader on the client's system, while
		 * one is bound; otherwise pcscd answers with its reader name
		 * (same special case as above) */
		if (!ifd_slot_status_fresh(s, &st) ||
		    !(st.flags & VSCARD_STATUS_BOUND) || !st.reader_name[0])
			return IFD_ERROR_TAG;
		st.reader_name[sizeof(st.reader_name) - 1] = '\0';
		return put_str(len, val, st.reader_name);
	default:
		break;
	}
	/* Attributes of the SCARD_ATTR_VALUE() form go to the remote side;
	 * anything else is an unknown driver tag. */
	if (tag >> 16)
		return remote_attr(s, tag, len, val);
	return IFD_ERROR_TAG;
}

static RESPONSECODE get_cap(struct ifd_driver *d, struct ifd_slot *s,
			    DWORD lun, DWORD tag, PDWORD len, PUCHAR val)
{
	void *fn;

	switch (tag) {
	case TAG_IFD_SLOTS_NUMBER:
		return put_byte(len, val, (UCHAR)ifd_driver_nslots(d, lun));
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		return put_byte(len, val, IFD_MAX_READERS);
	case TAG_IFD_THREAD_SAFE:
	case TAG_IFD_SLOT_THREAD_SAFE:
		return put_byte(len, val, 1);
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		return put_byte(len, val, 0);
	case TAG_IFD_DEVICE_REMOVED:
		return put_byte(len, val, 1);	/* supported */
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT:
		fn = (void *)ifd_poll_event;
		return put(len, val, &fn, sizeof(fn));
	case TAG_IFD_STOP_POLLING_THREAD:
		fn = (void *)ifd_poll_stop;
		return put(len, val, &fn, sizeof(fn));
	case SCARD_ATTR_VENDOR_NAME:
		return put_str(len, val, IFD_VENDOR_NAME);
	case SCARD_ATTR_VENDOR_IFD_TYPE:
		return put_str(len, val, IFD_VENDOR_IFD_TYPE);
	case SCARD_ATTR_VENDOR_IFD_VERSION:
		return put_dword(len, val, IFD_VENDOR_IFD_VERSION);
	case SCARD_ATTR_MAXINPUT:
		return put_dword(len, val, VSCARD_DATA_MAX);
	default:
		return slot_attr(s, tag, len, val);
	}
}

RESPONSECODE ifd_caps_get(struct ifd_driver *d, DWORD lun, DWORD tag,
			  PDWORD len, PUCHAR val)
{
	struct ifd_slot *s = ifd_driver_slot(d, lun);
	RESPONSECODE rv;
	DWORD size;

	if (!len || (!val && *len))
		return IFD_COMMUNICATION_ERROR;
	if (!s) {
		*len = 0;
		return IFD_COMMUNICATION_ERROR;
	}
	size = *len;
	rv = get_cap(d, s, lun, tag, len, val);
	/*
	 * IFD_ERROR_TAG leaves *len as pcscd passed it, as CCID's
	 * IFDHGetCapabilities() does for a tag it does not know: for
	 * DEVICE_FRIENDLY_NAME and DEVICE_SYSTEM_NAME, pcscd 1.9.9 then
	 * writes its reader name into the same buffer and takes *len as the
	 * buffer's size (winscard.c, SCardGetAttrib()); 0 there made it
	 * answer SCARD_E_INSUFFICIENT_BUFFER instead of the name.
	 */
	if (rv == IFD_ERROR_TAG)
		*len = size;
	return rv;
}

RESPONSECODE ifd_caps_set(struct ifd_driver *d, DWORD lun, DWORD tag,
			  DWORD len, const UCHAR *val)
{
	struct ifd_slot *s = ifd_driver_slot(d, lun);
	struct vscard_xfer x = { 0 };
	int err;

	if (!s)
		return IFD_COMMUNICATION_ERROR;
	if (tag == TAG_IFD_DEVICE_REMOVED) {
		/* only sent for hotplug readers; forget the node anyway */
		ifd_slot_destroy(s);
		return IFD_SUCCESS;
	}
	if (!(tag >> 16) || (len && !val) || len > VSCARD_DATA_MAX)
		return IFD_ERROR_TAG;
	x.tx_ptr = (uintptr_t)val;
	x.tx_len = (uint32_t)len;
	x.code = (uint32_t)tag;
	err = ifd_slot_xfer(s, VSCARD_IOC_SET_ATTRIB, &x);
	if (err == -ENOMEDIUM)
		return IFD_ERROR_TAG;
	return ifd_errmap(IFD_OP_SET_ATTRIB, err, x.result);
}
