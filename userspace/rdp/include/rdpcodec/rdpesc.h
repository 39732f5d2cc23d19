/* SPDX-License-Identifier: MIT */
/*
 * MS-RDPESC smart-card IOCTL bodies: the NDR-encoded *_Call structures the
 * agent (RDP server) sends in DR_CONTROL_REQ.InputBuffer and the *_Return
 * structures it receives in DR_CONTROL_RSP.OutputBuffer, both with the
 * MS-RPCE type serialisation headers (8 common + 8 private bytes).
 *
 * Encoders produce the canonical Windows encoding (referent ids 0x20000 +
 * 4k in pointer order, filler 0xCCCCCCCC, strings MaxCount = ActualCount,
 * arrays padded to 4, body padded to 8), checked byte for byte against
 * captured Windows Server traffic.
 *
 * Decoders are lenient but bounds-checked: any non-zero referent means
 * "present", ObjectBufferLength need not include the final pad, trailing
 * bytes are ignored, IDL ranges are enforced, conformant counts must match
 * their size fields, and a body that is truncated or garbled after a
 * non-zero ReturnCode decodes as that ReturnCode with every other field
 * zero.  In a return, a NULL byte array or multi-string that comes with a
 * non-zero size is a length-only answer (MS-RDPESC's *IsNULL flags): the
 * size field keeps the value sent and the pointer is NULL, so read data
 * only through a non-NULL pointer.  What each decoder does with each wrong
 * length, against Windows, FreeRDP and xrdp, is documented at the decoder
 * (src/rdpesc_bodies.h, src/rdpesc_context.c, src/rdpesc_card.c).
 *
 * Byte arrays in decoded structures point into the input buffer; strings
 * are converted to UTF-8 (wide IOCTLs) or copied (A IOCTLs) into the
 * caller's struct rdp_arena (RDP_ARENA_FOR(len) bytes suffice).
 *
 * Strings in these structures are UTF-8 for both W and A IOCTLs: the W
 * encoders convert to UTF-16LE, the A encoders write the bytes as they are.
 */
#ifndef RDPCODEC_RDPESC_H
#define RDPCODEC_RDPESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdpdr.h"
#include "scard.h"
#include "text.h"
#include "wire.h"

#define RDPESC_HDR_SIZE			16	/* common + private type header */
#define RDPESC_MAX_BLOB			16	/* cbContext / cbHandle */
#define RDPESC_MAX_ATR			36	/* ReaderState rgbAtr, State cbAtrLen */
#define RDPESC_STATUS_ATR		32	/* Status_Return pbAtr */
#define RDPESC_MAX_CALL_STATES		11	/* GetStatusChange_Call cReaders */
#define RDPESC_MAX_RET_STATES		10	/* GetStatusChange_Return cReaders */
#define RDPESC_MAX_MSZ			65536	/* cBytes */
#define RDPESC_MAX_IO			66560	/* Transmit / Control buffers */
#define RDPESC_MAX_EXTRA		1024	/* SCardIO_Request cbExtraBytes */
#define RDPESC_MAX_ATTR			65536
#define RDPESC_MAX_ICON			4194304

/* REDIR_SCARDCONTEXT: opaque bytes chosen by the client; echo verbatim. */
struct rdpesc_context {
	uint32_t cb;			/* 0..16 (4 or 8 in practice) */
	uint8_t v[RDPESC_MAX_BLOB];
};

/* REDIR_SCARDHANDLE */
struct rdpesc_handle {
	struct rdpesc_context ctx;
	uint32_t cb;			/* 0..16 */
	uint8_t v[RDPESC_MAX_BLOB];
};

/* SCardIO_Request (ioSendPci / pioRecvPci) */
struct rdpesc_io_request {
	uint32_t protocol;
	uint32_t cb_extra;		/* 0..1024 */
	const uint8_t *extra;		/* NULL pointer on the wire if NULL */
};

/* ReaderStateA/W (call side) */
struct rdpesc_reader_state {
	const char *reader;		/* UTF-8 (W) or raw bytes (A); NULL = NULL ptr */
	uint32_t current_state;
	uint32_t event_state;
	uint32_t cb_atr;		/* 0..36 */
	uint8_t atr[RDPESC_MAX_ATR];
};

/* ReaderState_Return */
struct rdpesc_reader_state_ret {
	uint32_t current_state;
	uint32_t event_state;
	uint32_t cb_atr;		/* 0..36 */
	uint8_t atr[RDPESC_MAX_ATR];
};

/* ---- Call structures (what the agent sends) ---- */

struct rdpesc_establish_context_call {
	uint32_t scope;			/* SCARD_SCOPE_* */
};

/* ReleaseContext, IsValidContext, Cancel */
struct rdpesc_context_call {
	struct rdpesc_context ctx;
};

struct rdpesc_list_reader_groups_call {
	struct rdpesc_context ctx;
	int32_t groups_is_null;
	uint32_t cch_groups;
};

struct rdpesc_list_readers_call {
	struct rdpesc_context ctx;
	struct rdp_msz groups;		/* {NULL,0} = NULL pointer, cBytes 0 */
	int32_t readers_is_null;
	uint32_t cch_readers;		/* SCARD_AUTOALLOCATE like Windows */
};

struct rdpesc_get_status_change_call {
	struct rdpesc_context ctx;
	uint32_t timeout;		/* ms; SCARD_INFINITE */
	uint32_t n;			/* cReaders, 0..11 (send <= 10) */
	struct rdpesc_reader_state states[RDPESC_MAX_CALL_STATES];
};

struct rdpesc_connect_call {
	const char *reader;
	struct rdpesc_context ctx;
	uint32_t share_mode;
	uint32_t preferred_protocols;
};

struct rdpesc_reconnect_call {
	struct rdpesc_handle h;
	uint32_t share_mode;
	uint32_t preferred_protocols;
	uint32_t initialization;
};

/* Disconnect, BeginTransaction, EndTransaction */
struct rdpesc_hcard_disposition_call {
	struct rdpesc_handle h;
	uint32_t disposition;
};

struct rdpesc_state_call {
	struct rdpesc_handle h;
	int32_t atr_is_null;
	uint32_t cb_atr_len;
};

struct rdpesc_status_call {
	struct rdpesc_handle h;
	int32_t reader_names_is_null;
	uint32_t cch_reader_len;
	uint32_t cb_atr_len;		/* send 32 */
};

struct rdpesc_transmit_call {
	struct rdpesc_handle h;
	struct rdpesc_io_request send_pci;
	uint32_t cb_send;		/* 0..66560 */
	const uint8_t *send;		/* NULL pointer if NULL */
	bool has_recv_pci;		/* pioRecvPci non-NULL (Windows: yes) */
	struct rdpesc_io_request recv_pci;
	int32_t recv_buffer_is_null;
	uint32_t cb_recv_length;	/* explicit; never AUTOALLOCATE */
};

struct rdpesc_control_call {
	struct rdpesc_handle h;
	uint32_t control_code;		/* Windows form (see scard_ctl_*) */
	uint32_t cb_in;			/* 0..66560 */
	const uint8_t *in;		/* NULL pointer if NULL */
	int32_t out_buffer_is_null;
	uint32_t cb_out_buffer_size;
};

struct rdpesc_get_attrib_call {
	struct rdpesc_handle h;
	uint32_t attr_id;
	int32_t attr_is_null;
	uint32_t cb_attr_len;		/* explicit; never AUTOALLOCATE */
};

struct rdpesc_set_attrib_call {
	struct rdpesc_handle h;
	uint32_t attr_id;
	uint32_t cb_attr;		/* 0..65536 */
	const uint8_t *attr;
};

/* AccessStartedEvent: 4 raw bytes, no RPCE headers. */
struct rdpesc_access_started_call {
	uint8_t raw[4];
};

struct rdpesc_get_transmit_count_call {
	struct rdpesc_handle h;
};

/* GetReaderIcon, GetDeviceTypeId */
struct rdpesc_context_and_reader_call {
	struct rdpesc_context ctx;
	const char *reader;
};

union rdpesc_call {
	struct rdpesc_establish_context_call establish;
	struct rdpesc_context_call context;
	struct rdpesc_list_reader_groups_call list_groups;
	struct rdpesc_list_readers_call list_readers;
	struct rdpesc_get_status_change_call gsc;
	struct rdpesc_connect_call connect;
	struct rdpesc_reconnect_call reconnect;
	struct rdpesc_hcard_disposition_call hcard;
	struct rdpesc_state_call state;
	struct rdpesc_status_call status;
	struct rdpesc_transmit_call transmit;
	struct rdpesc_control_call control;
	struct rdpesc_get_attrib_call get_attrib;
	struct rdpesc_set_attrib_call set_attrib;
	struct rdpesc_access_started_call access_started;
	struct rdpesc_get_transmit_count_call transmit_count;
	struct rdpesc_context_and_reader_call reader;
};

/* ---- Return structures (what the agent receives) ---- */

/* Long_Return: Release/IsValid/Cancel/Disconnect/Begin/End/SetAttrib/AccessStarted */
struct rdpesc_long_return {
	uint32_t rc;
};

struct rdpesc_establish_context_return {
	uint32_t rc;
	struct rdpesc_context ctx;
};

/* ListReaders_Return, ListReaderGroups_Return */
struct rdpesc_list_readers_return {
	uint32_t rc;
	uint32_t cbytes;		/* decoded: as on the wire (bytes); encoded
					 * from readers, or as is if readers.p is NULL */
	struct rdp_msz readers;		/* {NULL,0} if the pointer was NULL */
};

/* GetStatusChange_Return, LocateCards_Return */
struct rdpesc_get_status_change_return {
	uint32_t rc;
	uint32_t n;			/* cReaders, 0..10 */
	struct rdpesc_reader_state_ret states[RDPESC_MAX_RET_STATES];
};

struct rdpesc_connect_return {
	uint32_t rc;
	struct rdpesc_handle h;
	uint32_t active_protocol;
};

struct rdpesc_reconnect_return {
	uint32_t rc;
	uint32_t active_protocol;
};

struct rdpesc_state_return {
	uint32_t rc;
	uint32_t state;
	uint32_t protocol;
	uint32_t cb_atr;		/* 0..36, also with atr NULL (a length) */
	const uint8_t *atr;		/* NULL pointer if NULL */
};

struct rdpesc_status_return {
	uint32_t rc;
	uint32_t cbytes;		/* as in rdpesc_list_readers_return */
	struct rdp_msz reader_names;
	uint32_t state;			/* as on the wire; see scard_state_normalize() */
	uint32_t protocol;
	uint8_t atr[RDPESC_STATUS_ATR];
	uint32_t cb_atr;		/* 0..32 */
};

struct rdpesc_transmit_return {
	uint32_t rc;
	bool has_recv_pci;
	struct rdpesc_io_request recv_pci;	/* extra may be NULL with cb_extra > 0 */
	uint32_t cb_recv;		/* 0..66560, also with recv NULL (a length) */
	const uint8_t *recv;		/* NULL pointer if NULL */
};

/* Control_Return, GetAttrib_Return, GetReaderIcon_Return, ReadCache_Return */
struct rdpesc_buffer_return {
	uint32_t rc;
	uint32_t cb;			/* also with data NULL (a length) */
	const uint8_t *data;		/* NULL pointer if NULL */
};

struct rdpesc_get_transmit_count_return {
	uint32_t rc;
	uint32_t count;
};

struct rdpesc_get_device_type_id_return {
	uint32_t rc;
	uint32_t device_id;
};

union rdpesc_return {
	uint32_t rc;			/* every return starts with ReturnCode */
	struct rdpesc_long_return lng;
	struct rdpesc_establish_context_return establish;
	struct rdpesc_list_readers_return list_readers;
	struct rdpesc_get_status_change_return gsc;
	struct rdpesc_connect_return connect;
	struct rdpesc_reconnect_return reconnect;
	struct rdpesc_state_return state;
	struct rdpesc_status_return status;
	struct rdpesc_transmit_return transmit;
	struct rdpesc_buffer_return buffer;	/* Control, GetAttrib, GetReaderIcon */
	struct rdpesc_get_transmit_count_return transmit_count;
	struct rdpesc_get_device_type_id_return device_type_id;
};

/* ---- Dispatch on IoControlCode ---- */

/* Which union member an IOCTL uses; *_NONE = not supported. */
enum rdpesc_call_kind {
	RDPESC_CALL_NONE = 0,
	RDPESC_CALL_ESTABLISH,		/* .establish */
	RDPESC_CALL_CONTEXT,		/* .context */
	RDPESC_CALL_LIST_GROUPS,	/* .list_groups */
	RDPESC_CALL_LIST_READERS,	/* .list_readers */
	RDPESC_CALL_GSC,		/* .gsc */
	RDPESC_CALL_CONNECT,		/* .connect */
	RDPESC_CALL_RECONNECT,		/* .reconnect */
	RDPESC_CALL_HCARD,		/* .hcard */
	RDPESC_CALL_STATE,		/* .state */
	RDPESC_CALL_STATUS,		/* .status */
	RDPESC_CALL_TRANSMIT,		/* .transmit */
	RDPESC_CALL_CONTROL,		/* .control */
	RDPESC_CALL_GET_ATTRIB,		/* .get_attrib */
	RDPESC_CALL_SET_ATTRIB,		/* .set_attrib */
	RDPESC_CALL_ACCESS_STARTED,	/* .access_started (no RPCE headers) */
	RDPESC_CALL_TRANSMIT_COUNT,	/* .transmit_count */
	RDPESC_CALL_READER,		/* .reader */
};

enum rdpesc_return_kind {
	RDPESC_RET_NONE = 0,
	RDPESC_RET_LONG,		/* .lng */
	RDPESC_RET_ESTABLISH,		/* .establish */
	RDPESC_RET_LIST_READERS,	/* .list_readers */
	RDPESC_RET_GSC,			/* .gsc */
	RDPESC_RET_CONNECT,		/* .connect */
	RDPESC_RET_RECONNECT,		/* .reconnect */
	RDPESC_RET_STATE,		/* .state */
	RDPESC_RET_STATUS,		/* .status */
	RDPESC_RET_TRANSMIT,		/* .transmit */
	RDPESC_RET_BUFFER,		/* .buffer */
	RDPESC_RET_TRANSMIT_COUNT,	/* .transmit_count */
	RDPESC_RET_DEVICE_TYPE_ID,	/* .device_type_id */
};

enum rdpesc_call_kind rdpesc_call_kind(uint32_t ioctl);
enum rdpesc_return_kind rdpesc_return_kind(uint32_t ioctl);
/* True for the *W IOCTLs whose strings are UTF-16LE on the wire. */
bool rdpesc_ioctl_is_wide(uint32_t ioctl);

/* Decoder flags */
#define RDPESC_DECODE_CANONICAL	0x1	/* also require the exact Windows encoding
					 * (RDP_ERR_MISMATCH otherwise), as strict
					 * clients such as FreeRDP do */

/*
 * Encode the InputBuffer of a call (RPCE headers + NDR body + pad) into w.
 * Returns 0 or a negative rdp_err (RDP_ERR_RANGE for values outside the
 * IDL ranges, RDP_ERR_UNSUPPORTED for an IOCTL without a call kind).
 */
int rdpesc_encode_call(struct rdp_wr *w, uint32_t ioctl, const union rdpesc_call *c);
int rdpesc_decode_call(const void *buf, size_t len, uint32_t ioctl, union rdpesc_call *c,
		       struct rdp_arena *a, unsigned int flags);

/* Same for returns (DR_CONTROL_RSP.OutputBuffer). */
int rdpesc_encode_return(struct rdp_wr *w, uint32_t ioctl, const union rdpesc_return *r);
int rdpesc_decode_return(const void *buf, size_t len, uint32_t ioctl, union rdpesc_return *r,
			 struct rdp_arena *a, unsigned int flags);

/*
 * For an EstablishContext OutputBuffer that rdpesc_decode_return()
 * rejected: the context the client created anyway, so that the caller can
 * release it (never to use it).  The RPCE header values are not checked,
 * the body is still bounded by len.  0 and *ctx (cb 1..16), or a negative
 * rdp_err when there is none to release: ReturnCode not 0, cbContext 0, or
 * the context bytes themselves missing or malformed.
 */
int rdpesc_salvage_context(const void *buf, size_t len, struct rdpesc_context *ctx);
/*
 * The same for a ConnectW/ConnectA OutputBuffer: the card handle (and its
 * context) the client created anyway, so that the caller can disconnect it.
 * 0 and *h (h->cb 1..16; h->ctx.cb 0..16, 0 when the client does not echo
 * the context, as rdesktop does: then disconnect with the context of the
 * ConnectW call), or a negative rdp_err.
 */
int rdpesc_salvage_handle(const void *buf, size_t len, struct rdpesc_handle *h);

/*
 * Whole DR_CONTROL_REQ for an IOCTL: the 56-byte header from io (major
 * function DEVICE_CONTROL) and output_len, then the encoded call, with
 * InputBufferLength filled in.  This is what the agent sends.
 */
int rdpesc_encode_request(struct rdp_wr *w, const struct rdpdr_ioreq *io, uint32_t output_len,
			  uint32_t ioctl, const union rdpesc_call *c);

/*
 * Recommended OutputBufferLength for a call: max(2048, expected reply +
 * 128), so no reply ever needs a STATUS_BUFFER_TOO_SMALL retry.
 */
uint32_t rdpesc_output_len_for(uint32_t ioctl, const union rdpesc_call *c);

#endif /* RDPCODEC_RDPESC_H */
