/* SPDX-License-Identifier: MIT */
/*
 * The RDPESC calls the agent sends and the returns it parses: a narrow
 * adapter over librdpcodec (userspace/rdp), which does the NDR work
 * (canonical Windows encoding, lenient bounds-checked decoding).
 *
 * Encoders append the whole DR_CONTROL_REQ InputBuffer to a bytebuf; on an
 * encoding error the buffer is marked failed (oom) and must not be sent.
 */
#ifndef AGENT_ESC_CODEC_H
#define AGENT_ESC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <rdpcodec/scard.h>

#include "bytebuf.h"

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
	const uint8_t *data;		/* Transmit, Control, GetAttrib */
	uint32_t data_len;
	const char *names;		/* ListReaders: UTF-8 multi-string */
	size_t names_len;
	uint32_t n_states;		/* GetStatusChange */
	struct esc_state states[ESC_STATES_MAX];
};

/*
 * Parses the OutputBuffer of a completion for @ioctl.  0 on success,
 * -EBADMSG if it is malformed.  data points into @p, names into @arena
 * (at least RDP_ARENA_FOR(len) bytes).
 */
int esc_dec_return(uint32_t ioctl, const uint8_t *p, size_t len,
		   struct esc_return *r, void *arena, size_t arena_len);
/*
 * The context an EstablishContext OutputBuffer that esc_dec_return()
 * rejected still carries, only to release it: 0 and *ctx, or -EBADMSG when
 * there is none (error code, or the context bytes themselves unreadable).
 */
int esc_salvage_context(const uint8_t *p, size_t len, struct esc_blob *ctx);
/* Likewise for a ConnectW return: the handle, only to disconnect it. */
int esc_salvage_handle(const uint8_t *p, size_t len, struct esc_handle *h);
const char *esc_ioctl_name(uint32_t ioctl);

#endif
