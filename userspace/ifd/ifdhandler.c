// SPDX-License-Identifier: MIT
/*
 * libifdvscard: pcscd IFD handler (API v3) entry points.
 *
 * A reader.conf.d entry "DEVICENAME /dev/vscard:pool=P:slots=N" is one
 * pcscd reader with N slots; slot i is the vscard slot i of pool P.  An
 * unbound slot, a lingering one or a node that cannot be opened (module not
 * loaded) is "no card", never an error: the reader set pcscd sees stays
 * fixed for its lifetime.
 */
#include <errno.h>
#include <string.h>
#include <reader.h>

#include "caps.h"
#include "driver.h"

static RESPONSECODE open_channel(struct ifd_driver *d, DWORD lun,
				 const struct ifd_devname *cfg)
{
	struct ifd_reader *r = ifd_driver_reader(d, lun);
	DWORD i = lun & 0xffff;
	struct ifd_slot *s;
	struct vscard_status st;

	if (!r || i >= cfg->slots) {
		ifd_log(IFD_LOG_CRITICAL, "vscard: Lun 0x%lx out of range",
			(unsigned long)lun);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_lock(&d->lock);
	if (i == 0) {
		r->cfg = *cfg;
		r->configured = true;
	} else if (!r->configured || r->cfg.pool != cfg->pool) {
		pthread_mutex_unlock(&d->lock);
		return IFD_COMMUNICATION_ERROR;
	}
	s = &r->slots[i];
	if (!r->inited[i]) {
		if (ifd_slot_init(s, cfg->pool, (uint32_t)i, d->sysfs,
				  d->devdir)) {
			pthread_mutex_unlock(&d->lock);
			return IFD_COMMUNICATION_ERROR;
		}
		r->inited[i] = true;
	} else {
		/* reopened after a close: start from a clean slate */
		ifd_slot_destroy(s);
		pthread_mutex_lock(&s->lock);
		s->pool = cfg->pool;
		memset(&s->seen, 0, sizeof(s->seen));
		s->atr_len = 0;
		s->protocol = 0;
		pthread_mutex_unlock(&s->lock);
	}
	r->open[i] = true;
	pthread_mutex_unlock(&d->lock);

	/* Read the full state afresh (pcscd may have just been restarted). */
	if (!ifd_slot_status_fresh(s, &st))
		ifd_log(IFD_LOG_INFO,
			"vscard: pool %u slot %lu not available yet: no card",
			cfg->pool, (unsigned long)i);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	struct ifd_devname cfg;

	if (ifd_devname_parse(DeviceName, &cfg)) {
		ifd_log(IFD_LOG_CRITICAL,
			"vscard: bad DEVICENAME \"%s\" (want /dev/vscard:pool=P:slots=N)",
			DeviceName ? DeviceName : "");
		return IFD_COMMUNICATION_ERROR;
	}
	return open_channel(ifd_driver_get(), Lun, &cfg);
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	/* No DEVICENAME: CHANNELID is the pool, with the default slots. */
	struct ifd_devname cfg = { .pool = (uint32_t)Channel,
				   .slots = IFD_DEFAULT_SLOTS };

	return open_channel(ifd_driver_get(), Lun, &cfg);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	struct ifd_driver *d = ifd_driver_get();
	struct ifd_reader *r = ifd_driver_reader(d, Lun);
	DWORD i = Lun & 0xffff;
	bool was_open = false;

	if (!r || i >= IFD_MAX_SLOTS)
		return IFD_SUCCESS;
	pthread_mutex_lock(&d->lock);
	if (r->open[i]) {
		r->open[i] = false;
		was_open = true;
	}
	pthread_mutex_unlock(&d->lock);
	/* Threads still inside finish on the slot, which is never freed;
	 * the node is closed once the last of them leaves. */
	if (was_open)
		ifd_slot_destroy(&r->slots[i]);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length,
				 PUCHAR Value)
{
	return ifd_caps_get(ifd_driver_get(), Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length,
				 PUCHAR Value)
{
	return ifd_caps_set(ifd_driver_get(), Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol,
				       UCHAR Flags, UCHAR PTS1, UCHAR PTS2,
				       UCHAR PTS3)
{
	struct ifd_slot *s = ifd_driver_slot(ifd_driver_get(), Lun);
	struct vscard_status st;
	uint32_t allowed;

	if (!s)
		return IFD_COMMUNICATION_ERROR;
	if (!ifd_slot_status_fresh(s, &st) || !ifd_status_card(&st))
		return IFD_ICC_NOT_PRESENT;
	/* The protocol the remote side negotiated, else what it offers. */
	allowed = st.active_protocol ? st.active_protocol : st.protocols;
	if (!allowed)
		allowed = VSCARD_PROTO_T0 | VSCARD_PROTO_T1;
	/* SCARD_PROTOCOL_T0/T1 have the values of VSCARD_PROTO_T0/T1 */
	if (Protocol != SCARD_PROTOCOL_T0 && Protocol != SCARD_PROTOCOL_T1)
		return IFD_PROTOCOL_NOT_SUPPORTED;
	if (!(allowed & Protocol))
		return IFD_PROTOCOL_NOT_SUPPORTED;
	pthread_mutex_lock(&s->lock);
	s->protocol = (uint32_t)Protocol;
	pthread_mutex_unlock(&s->lock);
	return IFD_SUCCESS;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr,
			  PDWORD AtrLength)
{
	struct ifd_slot *s = ifd_driver_slot(ifd_driver_get(), Lun);
	uint8_t atr[VSCARD_ATR_MAX + 8];
	struct vscard_xfer x = {
		.rx_ptr = (uintptr_t)atr,
		.rx_len = sizeof(atr),
	};
	enum ifd_op op = IFD_OP_POWER_UP;
	uint32_t n;
	int err;

	if (AtrLength)
		*AtrLength = 0;	/* pcscd passes NULL for its auto power-off */
	if (!s)
		return IFD_COMMUNICATION_ERROR;
	switch (Action) {
	case IFD_POWER_UP:
		x.code = VSCARD_POWER_UP;
		break;
	case IFD_RESET:
		x.code = VSCARD_POWER_RESET;
		break;
	case IFD_POWER_DOWN:
		x.code = VSCARD_POWER_DOWN;
		x.rx_len = 0;
		op = IFD_OP_POWER_DOWN;
		break;
	default:
		return IFD_NOT_SUPPORTED;
	}
	err = ifd_slot_xfer(s, VSCARD_IOC_POWER, &x);
	pthread_mutex_lock(&s->lock);
	s->atr_len = 0;
	s->protocol = 0;
	if (!err && op == IFD_OP_POWER_UP) {
		n = x.rx_len;
		if (!n) {	/* the remote gave none: the card's ATR */
			n = s->seen.atr_len;
			memcpy(atr, s->seen.atr, n);
		}
		if (n > MAX_ATR_SIZE)
			n = MAX_ATR_SIZE;
		memcpy(s->atr, atr, n);
		s->atr_len = n;
		if (Atr && AtrLength) {
			memcpy(Atr, atr, n);
			*AtrLength = n;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (err && err != -ENOMEDIUM)
		ifd_log(IFD_LOG_ERROR, "vscard: power %lu on pool %u slot %u: %s",
			(unsigned long)Action, s->pool, s->index,
			strerror(-err));
	return ifd_errmap(op, err, x.result);
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci,
			       PUCHAR TxBuffer, DWORD TxLength,
			       PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	struct ifd_slot *s = ifd_driver_slot(ifd_driver_get(), Lun);
	struct vscard_xfer x = { 0 };
	DWORD cap;
	int err;

	if (!RxLength)
		return IFD_COMMUNICATION_ERROR;
	cap = *RxLength;
	*RxLength = 0;
	if (!s || (TxLength && !TxBuffer) || (cap && !RxBuffer) ||
	    TxLength > VSCARD_DATA_MAX)
		return IFD_COMMUNICATION_ERROR;
	/* SendPci.Protocol: 0 = T=0, 1 = T=1, SCARD_PROTOCOL_RAW */
	switch (SendPci.Protocol) {
	case 0:
		x.code = VSCARD_PROTO_T0;
		break;
	case 1:
		x.code = VSCARD_PROTO_T1;
		break;
	case SCARD_PROTOCOL_RAW:
		x.code = VSCARD_PROTO_RAW;
		break;
	default:
		return IFD_PROTOCOL_NOT_SUPPORTED;
	}
	x.tx_ptr = (uintptr_t)TxBuffer;
	x.tx_len = (uint32_t)TxLength;
	x.rx_ptr = (uintptr_t)RxBuffer;
	x.rx_len = cap > VSCARD_DATA_MAX ? VSCARD_DATA_MAX : (uint32_t)cap;
	err = ifd_slot_xfer(s, VSCARD_IOC_TRANSMIT, &x);
	if (err)
		return ifd_errmap(IFD_OP_TRANSMIT, err, x.result);
	*RxLength = x.rx_len;
	if (RecvPci) {
		RecvPci->Protocol = SendPci.Protocol;
		RecvPci->Length = 0;
	}
	return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer,
			 DWORD TxLength, PUCHAR RxBuffer, DWORD RxLength,
			 LPDWORD pdwBytesReturned)
{
	struct ifd_slot *s = ifd_driver_slot(ifd_driver_get(), Lun);
	struct vscard_xfer x = { 0 };
	int err;

	if (pdwBytesReturned)
		*pdwBytesReturned = 0;
	if (!s || (TxLength && !TxBuffer) || (RxLength && !RxBuffer) ||
	    TxLength > VSCARD_DATA_MAX)
		return IFD_COMMUNICATION_ERROR;
	/* pcsc-lite control codes (SCARD_CTL_CODE(n)) pass through as they
	 * are, CM_IOCTL_GET_FEATURE_REQUEST included; the agent translates
	 * them for the remote side. */
	x.code = (uint32_t)dwControlCode;
	x.tx_ptr = (uintptr_t)TxBuffer;
	x.tx_len = (uint32_t)TxLength;
	x.rx_ptr = (uintptr_t)RxBuffer;
	x.rx_len = RxLength > VSCARD_DATA_MAX ? VSCARD_DATA_MAX :
		   (uint32_t)RxLength;
	err = ifd_slot_xfer(s, VSCARD_IOC_CONTROL, &x);
	if (err)
		return ifd_errmap(IFD_OP_CONTROL, err, x.result);
	if (pdwBytesReturned)
		*pdwBytesReturned = x.rx_len;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct ifd_slot *s = ifd_driver_slot(ifd_driver_get(), Lun);

	/* Never IFD_NO_SUCH_DEVICE or an error: an unusable slot is empty. */
	if (!s || !ifd_slot_presence(s))
		return IFD_ICC_NOT_PRESENT;
	return IFD_ICC_PRESENT;
}
