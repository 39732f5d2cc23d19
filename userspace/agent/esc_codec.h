/* SPDX-License-Identifier: MIT */
/*
 * The RDPESC calls the agent sends and the returns it parses.
 *
 * Encoders write the whole DR_CONTROL_REQ InputBuffer (RPCE type headers +
 * NDR body) in the canonical Windows layout (referent ids 0x00020000 + 4k,
 * 0xCCCCCCCC filler, body padded to 8).  Decoders are lenient and bounds
 * checked (Documentation/agent.rst, rdpdr-rdpesc notes section 7.2).
 *
 * This is the agent's private subset.  It is meant to be replaced by the
 * project codec (userspace/rdp) once that exposes the same calls.
 */
#ifndef AGENT_ESC_CODEC_H
#define AGENT_ESC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define SCARD_IOCTL_ESTABLISHCONTEXT	0x00090014
#define SCARD_IOCTL_RELEASECONTEXT	0x00090018
#define SCARD_IOCTL_ISVALIDCONTEXT	0x0009001C
#define SCARD_IOCTL_LISTREADERSW	0x0009002C
#define SCARD_IOCTL_GETSTATUSCHANGEW	0x000900A4
#define SCARD_IOCTL_CANCEL		0x000900A8
#define SCARD_IOCTL_CONNECTW		0x000900B0
#define SCARD_IOCTL_RECONNECT		0x000900B4
#define SCARD_IOCTL_DISCONNECT		0x000900B8
#define SCARD_IOCTL_BEGINTRANSACTION	0x000900BC
#define SCARD_IOCTL_ENDTRANSACTION	0x000900C0
#define SCARD_IOCTL_STATUSW		0x000900CC
#define SCARD_IOCTL_TRANSMIT		0x000900D0
#define SCARD_IOCTL_CONTROL		0x000900D4
#define SCARD_IOCTL_GETATTRIB		0x000900D8
#define SCARD_IOCTL_SETATTRIB		0x000900DC
#define SCARD_IOCTL_ACCESSSTARTEDEVENT	0x000900E0

#define SCARD_SCOPE_USER		0
#define SCARD_SCOPE_SYSTEM		2
#define SCARD_SHARE_SHARED		2
#define SCARD_PROTOCOL_T0		1
#define SCARD_PROTOCOL_T1		2
#define SCARD_LEAVE_CARD		0
#define SCARD_RESET_CARD		1
#define SCARD_UNPOWER_CARD		2
#define SCARD_AUTOALLOCATE		0xFFFFFFFFu
#define SCARD_INFINITE			0xFFFFFFFFu

#define SCARD_STATE_CHANGED		0x0002
#define SCARD_STATE_UNKNOWN		0x0004
#define SCARD_STATE_UNAVAILABLE		0x0008
#define SCARD_STATE_EMPTY		0x0010
#define SCARD_STATE_PRESENT		0x0020
#define SCARD_STATE_MUTE		0x0200

#define SCARD_S_SUCCESS			0x00000000u
#define SCARD_F_INTERNAL_ERROR		0x80100001u
#define SCARD_E_CANCELLED		0x80100002u
#define SCARD_E_INVALID_HANDLE		0x80100003u
#define SCARD_E_INSUFFICIENT_BUFFER	0x80100008u
#define SCARD_E_UNKNOWN_READER		0x80100009u
#define SCARD_E_TIMEOUT			0x8010000Au
#define SCARD_E_SHARING_VIOLATION	0x8010000Bu
#define SCARD_E_NO_SMARTCARD		0x8010000Cu
#define SCARD_E_PROTO_MISMATCH		0x8010000Fu
#define SCARD_E_SYSTEM_CANCELLED	0x80100012u
#define SCARD_F_COMM_ERROR		0x80100013u
#define SCARD_E_READER_UNAVAILABLE	0x80100017u
#define SCARD_E_NO_SERVICE		0x8010001Du
#define SCARD_E_SERVICE_STOPPED		0x8010001Eu
#define SCARD_E_NO_READERS_AVAILABLE	0x8010002Eu
#define SCARD_W_UNRESPONSIVE_CARD	0x80100066u
#define SCARD_W_UNPOWERED_CARD		0x80100067u
#define SCARD_W_RESET_CARD		0x80100068u
#define SCARD_W_REMOVED_CARD		0x80100069u

#define ESC_BLOB_MAX	16
#define ESC_ATR_MAX	36
#define ESC_STATES_MAX	10	/* per GetStatusChange, PnP entry included */
#define ESC_RECV_MAX	66560	/* IDL bound of cbRecvLength / cbOutBufferSize */

struct esc_blob {
	uint32_t len;
	uint8_t b[ESC_BLOB_MAX];
};

struct esc_handle {
	struct esc_blob ctx;
	struct esc_blob card;
};

struct esc_state {
	uint32_t cur;
	uint32_t ev;
	uint32_t atr_len;
	uint8_t atr[ESC_ATR_MAX];
};

struct esc_call_state {
	const char *name;	/* UTF-8 */
	uint32_t cur;
};

void esc_enc_establish(struct bytebuf *b, uint32_t scope);
/* ReleaseContext, IsValidContext and Cancel. */
void esc_enc_context(struct bytebuf *b, const struct esc_blob *ctx);
void esc_enc_list_readers_w(struct bytebuf *b, const struct esc_blob *ctx);
void esc_enc_gsc_w(struct bytebuf *b, const struct esc_blob *ctx,
		   uint32_t timeout, const struct esc_call_state *st, uint32_t n);
void esc_enc_connect_w(struct bytebuf *b, const struct esc_blob *ctx,
		       const char *reader, uint32_t share, uint32_t protocols);
void esc_enc_reconnect(struct bytebuf *b, const struct esc_handle *h,
		       uint32_t share, uint32_t protocols, uint32_t init);
/* Disconnect, BeginTransaction and EndTransaction. */
void esc_enc_hcard_disp(struct bytebuf *b, const struct esc_handle *h,
			uint32_t disposition);
void esc_enc_status_w(struct bytebuf *b, const struct esc_handle *h);
void esc_enc_transmit(struct bytebuf *b, const struct esc_handle *h,
		      uint32_t protocol, const uint8_t *send, uint32_t send_len,
		      uint32_t recv_len);
void esc_enc_control(struct bytebuf *b, const struct esc_handle *h,
		     uint32_t code, const uint8_t *in, uint32_t in_len,
		     uint32_t out_len);
void esc_enc_get_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, uint32_t len);
void esc_enc_set_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, const uint8_t *data, uint32_t len);
void esc_enc_access_started(struct bytebuf *b);

struct esc_return {
	uint32_t rc;
	struct esc_blob ctx;		/* EstablishContext, Connect */
	struct esc_blob card;		/* Connect */
	uint32_t protocol;		/* Connect, Reconnect, Status */
	uint32_t state;			/* Status (enum 0..6, normalised) */
	uint32_t atr_len;		/* Status */
	uint8_t atr[ESC_ATR_MAX];
	const uint8_t *data;		/* Transmit, Control, GetAttrib, ListReaders */
	uint32_t data_len;
	uint32_t n_states;		/* GetStatusChange */
	struct esc_state states[ESC_STATES_MAX];
};

/*
 * Parses the OutputBuffer of a completion for @ioctl.  0 on success,
 * -EBADMSG if it is malformed.  data points into @p.
 */
int esc_dec_return(uint32_t ioctl, const uint8_t *p, size_t len,
		   struct esc_return *r);
const char *esc_ioctl_name(uint32_t ioctl);

#endif
