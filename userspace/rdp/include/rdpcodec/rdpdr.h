/* SPDX-License-Identifier: MIT */
/*
 * RDPDR core PDUs (MS-RDPEFS) needed for smart-card redirection, both
 * directions: the agent (RDP server) encodes S->C and decodes C->S; a test
 * client does the opposite.
 *
 * Encoders append one whole PDU (starting at the 4-byte RDPDR header) to a
 * struct rdp_wr and return 0 or a negative enum rdp_err.  Decoders take a
 * whole PDU (as delivered in one SVCPORT_DATA frame) and are lenient about
 * trailing bytes but never read past len.  Views (const uint8_t *) point
 * into the input buffer.
 */
#ifndef RDPCODEC_RDPDR_H
#define RDPCODEC_RDPDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define RDPDR_CTYP_CORE			0x4472
#define RDPDR_CTYP_PRN			0x5052

#define PAKID_CORE_SERVER_ANNOUNCE	0x496E
#define PAKID_CORE_CLIENTID_CONFIRM	0x4343
#define PAKID_CORE_CLIENT_NAME		0x434E
#define PAKID_CORE_DEVICELIST_ANNOUNCE	0x4441
#define PAKID_CORE_DEVICE_REPLY		0x6472
#define PAKID_CORE_DEVICE_IOREQUEST	0x4952
#define PAKID_CORE_DEVICE_IOCOMPLETION	0x4943
#define PAKID_CORE_SERVER_CAPABILITY	0x5350
#define PAKID_CORE_CLIENT_CAPABILITY	0x4350
#define PAKID_CORE_DEVICELIST_REMOVE	0x444D
#define PAKID_CORE_USER_LOGGEDON	0x554C

#define RDPDR_HDR_SIZE			4
#define RDPDR_IOREQ_HDR_SIZE		24
#define RDPDR_CONTROL_REQ_HDR_SIZE	56
#define RDPDR_IOCOMPLETION_HDR_SIZE	16

#define RDPDR_VERSION_MAJOR		1
#define RDPDR_VERSION_MINOR		0x000C

#define RDPDR_CAP_GENERAL		1
#define RDPDR_CAP_PRINTER		2
#define RDPDR_CAP_PORT			3
#define RDPDR_CAP_DRIVE			4
#define RDPDR_CAP_SMARTCARD		5
#define RDPDR_CAP_MAX_TYPE		5

#define RDPDR_GENERAL_CAPS_V1		1	/* 40-byte set */
#define RDPDR_GENERAL_CAPS_V2		2	/* 44-byte set (+SpecialTypeDeviceCap) */

/* GENERAL_CAPS_SET.extendedPDU bits */
#define RDPDR_DEVICE_REMOVE_PDUS	0x1
#define RDPDR_CLIENT_DISPLAY_NAME_PDU	0x2
#define RDPDR_USER_LOGGEDON_PDU		0x4

#define RDPDR_DTYP_SERIAL		0x01
#define RDPDR_DTYP_PARALLEL		0x02
#define RDPDR_DTYP_PRINT		0x04
#define RDPDR_DTYP_FILESYSTEM		0x08
#define RDPDR_DTYP_SMARTCARD		0x20

#define IRP_MJ_CREATE			0x00
#define IRP_MJ_CLOSE			0x02
#define IRP_MJ_READ			0x03
#define IRP_MJ_WRITE			0x04
#define IRP_MJ_DEVICE_CONTROL		0x0E

/* Windows always asks for up to 2048 bytes of output. */
#define RDPDR_DEFAULT_OUTPUT_LEN	0x800

struct rdpdr_hdr {
	uint16_t component;
	uint16_t packet_id;
};

/* Reads the 4-byte header of any RDPDR PDU. */
int rdpdr_decode_hdr(const void *buf, size_t len, struct rdpdr_hdr *h);

/*
 * Server Announce Request (S->C, rDnI), Client Announce Reply (C->S,
 * rDCC) and Server Client ID Confirm (S->C, rDCC) share this layout.
 */
struct rdpdr_announce {
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t client_id;
};

int rdpdr_encode_server_announce(struct rdp_wr *w, const struct rdpdr_announce *a);
int rdpdr_decode_server_announce(const void *buf, size_t len, struct rdpdr_announce *a);
int rdpdr_encode_client_announce_reply(struct rdp_wr *w, const struct rdpdr_announce *a);
int rdpdr_decode_client_announce_reply(const void *buf, size_t len, struct rdpdr_announce *a);
int rdpdr_encode_clientid_confirm(struct rdp_wr *w, const struct rdpdr_announce *a);
int rdpdr_decode_clientid_confirm(const void *buf, size_t len, struct rdpdr_announce *a);

/* Client Name Request (C->S, rDNC). */
#define RDPDR_NAME_MAX			256	/* UTF-8 bytes kept, incl. NUL */
struct rdpdr_client_name {
	uint32_t unicode_flag;		/* as on the wire; bit 0 = UTF-16LE */
	uint32_t code_page;
	/*
	 * Decoded: computer name as UTF-8 (ANSI bytes copied as-is), NUL
	 * terminated, cut at the first NUL and truncated on a character
	 * boundary to RDPDR_NAME_MAX - 1 bytes.  Encode: the name to send.
	 */
	char name[RDPDR_NAME_MAX];
	/* Decoded only: ComputerName exactly as on the wire. */
	const uint8_t *raw;
	uint32_t raw_len;
};

int rdpdr_encode_client_name(struct rdp_wr *w, const struct rdpdr_client_name *n);
int rdpdr_decode_client_name(const void *buf, size_t len, struct rdpdr_client_name *n);

/* GENERAL_CAPS_SET */
struct rdpdr_general_caps {
	uint32_t version;		/* RDPDR_GENERAL_CAPS_V1 or _V2 */
	uint32_t os_type;
	uint32_t os_version;
	uint16_t protocol_major;
	uint16_t protocol_minor;
	uint32_t io_code1;
	uint32_t io_code2;
	uint32_t extended_pdu;
	uint32_t extra_flags1;
	uint32_t extra_flags2;
	uint32_t special_type_device_cap; /* V2 only */
};

/*
 * Server Core Capability Request (S->C, rDPS) / Client Core Capability
 * Response (C->S, rDPC).  Encode writes general (if present) then the
 * header-only sets 2..5 that are present, in type order.  Decode walks by
 * CapabilityLength and skips unknown types; a later set of the same type
 * overrides an earlier one.
 */
struct rdpdr_caps {
	uint32_t present;		/* bit (1 << type) per set present */
	uint32_t version[RDPDR_CAP_MAX_TYPE + 1]; /* per type (header Version) */
	struct rdpdr_general_caps general; /* valid if present & (1 << 1) */
	uint16_t num_capabilities;	/* decoded: as announced */
};

#define RDPDR_CAPS_HAS(c, t)		(((c)->present >> (t)) & 1)

/* Fills c with what the agent sends: general v2 (extendedPDU 7, ioCode1
 * 0xFFFF, SpecialTypeDeviceCap 1, minor 0x000C) + smart card v1. */
void rdpdr_caps_server_default(struct rdpdr_caps *c);
int rdpdr_encode_server_caps(struct rdp_wr *w, const struct rdpdr_caps *c);
int rdpdr_decode_server_caps(const void *buf, size_t len, struct rdpdr_caps *c);
int rdpdr_encode_client_caps(struct rdp_wr *w, const struct rdpdr_caps *c);
int rdpdr_decode_client_caps(const void *buf, size_t len, struct rdpdr_caps *c);

/* Server User Logged On (S->C, rDLU): header only. */
int rdpdr_encode_user_loggedon(struct rdp_wr *w);
int rdpdr_decode_user_loggedon(const void *buf, size_t len);

/* One DEVICE_ANNOUNCE of a Client Device List Announce. */
struct rdpdr_device {
	uint32_t device_type;		/* RDPDR_DTYP_* */
	uint32_t device_id;
	char dos_name[9];		/* PreferredDosName, always NUL terminated */
	uint32_t data_len;
	const uint8_t *data;		/* view; NULL if data_len == 0 */
};

/*
 * Client Device List Announce (C->S, rDAD).  rdpdr_device_list_begin
 * validates the whole PDU (every device fits), so _next never fails:
 * it returns 1 with the next device or 0 at the end.
 */
struct rdpdr_device_iter {
	struct rdp_rd r;
	uint32_t count;			/* DeviceCount */
	uint32_t index;
};

int rdpdr_device_list_begin(struct rdpdr_device_iter *it, const void *buf, size_t len);
int rdpdr_device_list_next(struct rdpdr_device_iter *it, struct rdpdr_device *d);
int rdpdr_encode_device_list_announce(struct rdp_wr *w, const struct rdpdr_device *devs,
				      uint32_t count);

/* Client Device List Remove (C->S, rDMD). */
struct rdpdr_device_remove {
	uint32_t count;
	const uint8_t *ids;		/* view: count little-endian u32 */
};

int rdpdr_decode_device_list_remove(const void *buf, size_t len, struct rdpdr_device_remove *r);
uint32_t rdpdr_device_remove_id(const struct rdpdr_device_remove *r, uint32_t i);
int rdpdr_encode_device_list_remove(struct rdp_wr *w, const uint32_t *ids, uint32_t count);

/* Server Device Announce Response (S->C, rDrd). */
struct rdpdr_device_reply {
	uint32_t device_id;
	uint32_t result_code;		/* NTSTATUS */
};

int rdpdr_encode_device_reply(struct rdp_wr *w, const struct rdpdr_device_reply *r);
int rdpdr_decode_device_reply(const void *buf, size_t len, struct rdpdr_device_reply *r);

/* DR_DEVICE_IOREQUEST header (S->C, rDRI). */
struct rdpdr_ioreq {
	uint32_t device_id;
	uint32_t file_id;
	uint32_t completion_id;
	uint32_t major_function;
	uint32_t minor_function;
};

int rdpdr_decode_ioreq(const void *buf, size_t len, struct rdpdr_ioreq *io);

/* DR_CONTROL_REQ (IRP_MJ_DEVICE_CONTROL). */
struct rdpdr_control_req {
	struct rdpdr_ioreq io;		/* major_function is forced to 0x0E on encode */
	uint32_t output_len;		/* OutputBufferLength */
	uint32_t input_len;		/* InputBufferLength */
	uint32_t ioctl;			/* IoControlCode */
	const uint8_t *input;		/* InputBuffer (view / bytes to send) */
};

int rdpdr_encode_control_req(struct rdp_wr *w, const struct rdpdr_control_req *r);
/* Fails unless major_function is DEVICE_CONTROL and the input fits. */
int rdpdr_decode_control_req(const void *buf, size_t len, struct rdpdr_control_req *r);

/* DR_DEVICE_IOCOMPLETION header (C->S, rDCI). */
struct rdpdr_iocompletion {
	uint32_t device_id;
	uint32_t completion_id;
	uint32_t io_status;		/* NTSTATUS */
};

int rdpdr_decode_iocompletion(const void *buf, size_t len, struct rdpdr_iocompletion *c);

/*
 * DR_CONTROL_RSP.  Decoding follows the notes' leniency: with io_status
 * != 0, OutputBufferLength is read only if 4 bytes remain and everything
 * after it is ignored (output = NULL, output_len = 0); with io_status 0,
 * OutputBufferLength is required and must fit.  Trailing bytes ignored.
 */
struct rdpdr_control_rsp {
	struct rdpdr_iocompletion c;
	uint32_t output_len;
	const uint8_t *output;
};

int rdpdr_encode_control_rsp(struct rdp_wr *w, const struct rdpdr_control_rsp *r);
int rdpdr_decode_control_rsp(const void *buf, size_t len, struct rdpdr_control_rsp *r);

/* Name of a PacketId for logs ("SERVER_ANNOUNCE", ...); never NULL. */
const char *rdpdr_packet_name(uint16_t packet_id);

#endif /* RDPCODEC_RDPDR_H */
