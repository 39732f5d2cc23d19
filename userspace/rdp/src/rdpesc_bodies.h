/* SPDX-License-Identifier: MIT */
/* NDR bodies of the RDPESC calls and returns (internal). */
#ifndef RDPCODEC_RDPESC_BODIES_H
#define RDPCODEC_RDPESC_BODIES_H

#include "ndr.h"

/*
 * Call decoders.  The agent only sends calls; these decoders serve the
 * tests and the fuzzer, and every call they accept re-encodes.  What the
 * clients that decode calls do with a wrong length, and what we do:
 *
 *  cbContext / cbHandle (IDL 0..16): FreeRDP's client takes a context of 0,
 *    4 or 8 and a handle of 4 or 8 bytes, MaxCount equal, referents exactly
 *    0x20000 + 4k; rdesktop 1.9.0 reads the 4 value bytes at fixed offsets,
 *    so any other size misplaces every later field.  Ours: 0..16.
 *  [string] MaxCount / Offset / ActualCount: FreeRDP wants MaxCount ==
 *    Offset + ActualCount and reads MaxCount characters; rdesktop skips
 *    both, reads ActualCount characters and allocates from it unchecked.
 *    Ours: Offset + ActualCount <= MaxCount (NDR's rule for a conformant
 *    varying array, without overflow), ActualCount checked against the bytes
 *    left, a missing terminator tolerated (ndr_get_string()).
 *  GetStatusChange cReaders (IDL 0..11), cbAtr (0..36): FreeRDP has no
 *    range, wants MaxCount == cReaders and cbAtr <= 36, and fails a NULL
 *    array even for 0 readers; it allocates the states before checking
 *    that their bytes are there, rdesktop allocates them unchecked.  Ours:
 *    both ranges (states[] holds 11), MaxCount, NULL with a count an error.
 *  Transmit cbSendLength (0..66560), cbExtraBytes (0..1024): FreeRDP
 *    enforces both ranges and fails a NULL pbExtraBytes with a size;
 *    rdesktop allocates from MaxCount.  cbRecvLength and Control's
 *    cbOutBufferSize carry no IDL range: FreeRDP passes them on, rdesktop
 *    clamps the first to its reply buffer (OutputBufferLength - 20) and
 *    ignores the second (it always offers 1024 bytes).  Ours:
 *    the IDL ranges, and 66560 for cbRecvLength and cbOutBufferSize too, a
 *    policy of the encoder (never SCARD_AUTOALLOCATE, which mstsc does not
 *    survive; the reply buffer is sized from them) kept by the decoder so
 *    that what decodes re-encodes.
 *  ListReaders cBytes (0..65536), Control cbInBufferSize (0..66560),
 *    SetAttrib cbAttrLen (0..65536): FreeRDP has no range, takes a NULL
 *    array with a size as empty (SetAttrib even cuts cbAttrLen to the
 *    bytes sent).  Ours: the ranges, MaxCount == size, and a NULL array
 *    with a size an error, which the encoders refuse to produce as well
 *    (a size without data is a caller's mistake there, and no IsNULL form
 *    exists for these inputs).
 */

/* rdpesc_context.c: contexts, reader lists, status change */
void enc_establish_call(struct ndr_enc *e, const struct rdpesc_establish_context_call *c);
void dec_establish_call(struct ndr_dec *d, struct rdpesc_establish_context_call *c);
void enc_context_call(struct ndr_enc *e, const struct rdpesc_context_call *c);
void dec_context_call(struct ndr_dec *d, struct rdpesc_context_call *c);
void enc_list_groups_call(struct ndr_enc *e, const struct rdpesc_list_reader_groups_call *c);
void dec_list_groups_call(struct ndr_dec *d, struct rdpesc_list_reader_groups_call *c);
void enc_list_readers_call(struct ndr_enc *e, const struct rdpesc_list_readers_call *c);
void dec_list_readers_call(struct ndr_dec *d, struct rdpesc_list_readers_call *c);
void enc_gsc_call(struct ndr_enc *e, const struct rdpesc_get_status_change_call *c);
void dec_gsc_call(struct ndr_dec *d, struct rdpesc_get_status_change_call *c);
void enc_reader_call(struct ndr_enc *e, const struct rdpesc_context_and_reader_call *c);
void dec_reader_call(struct ndr_dec *d, struct rdpesc_context_and_reader_call *c);

/*
 * Return decoders: what the peers that decode *_Return structures do with a
 * wrong length (beyond its IDL [range], beyond the bytes received, a
 * MaxCount other than its size field, a size of 0 with a referent, a NULL
 * referent with a size), and what we do.
 *
 *  Windows servers, per MS-RPCE (not observed): the NDR engine fails the
 *    whole unmarshal, hence the call, on a [range] violation, on a
 *    conformance that differs from its size_is field (correlation check,
 *    MS-RPCE 3.1.1.5.3) and on data beyond the buffer.  A NULL [unique]
 *    pointer with a non-zero size is valid NDR (rejecting it is an opt-in
 *    rule MS-RDPESC does not ask for), and MS-RDPESC requires it for a
 *    length-only answer.  Referent values other than 0 are not checked.
 *  FreeRDP 3.28+ server (rdpdr_main.c over smartcard_operations.c and
 *    smartcard_pack.c's unpack_*_return): no [range] checks; every count is
 *    compared with the bytes left before it is read or allocated; MaxCount
 *    must equal a non-zero size field; referents must be exactly 0x20000 +
 *    4k (rdesktop's fail); a NULL array with a size reads as empty.  Any
 *    failure drops the reply unanswered (the completion callback is not
 *    called) and ends its rdpdr server thread.
 *  xrdp chansrv (smartcard_pcsc.c, 0.9.21 and devel): reads fixed offsets,
 *    takes each MaxCount for the length, ignores the size fields, the
 *    referents and ReturnCode (it trusts IoStatus), and checks no bound
 *    outside developer builds.
 *
 * Ours, in every return: each size is held to its IDL range before
 * anything is read for it (fixed arrays and arena space are sized by
 * those ranges), MaxCount must equal its size field, no count reaches past
 * the received bytes (ndr.c), the pad after a final array may be missing,
 * bytes after the last field are ignored, any non-zero referent means
 * present, and a NULL array with a non-zero size decodes as a length-only
 * answer: the size as sent and a NULL pointer, so no caller reads through
 * it.  Where a structure differs (contexts, handles, reader states), its
 * decoder says so, with what the peers and rdesktop 1.9.0 send.
 */
void enc_long_ret(struct ndr_enc *e, const struct rdpesc_long_return *r);
void dec_long_ret(struct ndr_dec *d, struct rdpesc_long_return *r);
void enc_establish_ret(struct ndr_enc *e, const struct rdpesc_establish_context_return *r);
void dec_establish_ret(struct ndr_dec *d, struct rdpesc_establish_context_return *r);
void enc_list_readers_ret(struct ndr_enc *e, const struct rdpesc_list_readers_return *r);
void dec_list_readers_ret(struct ndr_dec *d, struct rdpesc_list_readers_return *r);
void enc_gsc_ret(struct ndr_enc *e, const struct rdpesc_get_status_change_return *r);
void dec_gsc_ret(struct ndr_dec *d, struct rdpesc_get_status_change_return *r);
void enc_device_type_id_ret(struct ndr_enc *e, const struct rdpesc_get_device_type_id_return *r);
void dec_device_type_id_ret(struct ndr_dec *d, struct rdpesc_get_device_type_id_return *r);

/* rdpesc_card.c: card handles and I/O */
void enc_connect_call(struct ndr_enc *e, const struct rdpesc_connect_call *c);
void dec_connect_call(struct ndr_dec *d, struct rdpesc_connect_call *c);
void enc_reconnect_call(struct ndr_enc *e, const struct rdpesc_reconnect_call *c);
void dec_reconnect_call(struct ndr_dec *d, struct rdpesc_reconnect_call *c);
void enc_hcard_call(struct ndr_enc *e, const struct rdpesc_hcard_disposition_call *c);
void dec_hcard_call(struct ndr_dec *d, struct rdpesc_hcard_disposition_call *c);
void enc_state_call(struct ndr_enc *e, const struct rdpesc_state_call *c);
void dec_state_call(struct ndr_dec *d, struct rdpesc_state_call *c);
void enc_status_call(struct ndr_enc *e, const struct rdpesc_status_call *c);
void dec_status_call(struct ndr_dec *d, struct rdpesc_status_call *c);
void enc_transmit_call(struct ndr_enc *e, const struct rdpesc_transmit_call *c);
void dec_transmit_call(struct ndr_dec *d, struct rdpesc_transmit_call *c);
void enc_control_call(struct ndr_enc *e, const struct rdpesc_control_call *c);
void dec_control_call(struct ndr_dec *d, struct rdpesc_control_call *c);
void enc_get_attrib_call(struct ndr_enc *e, const struct rdpesc_get_attrib_call *c);
void dec_get_attrib_call(struct ndr_dec *d, struct rdpesc_get_attrib_call *c);
void enc_set_attrib_call(struct ndr_enc *e, const struct rdpesc_set_attrib_call *c);
void dec_set_attrib_call(struct ndr_dec *d, struct rdpesc_set_attrib_call *c);
void enc_transmit_count_call(struct ndr_enc *e, const struct rdpesc_get_transmit_count_call *c);
void dec_transmit_count_call(struct ndr_dec *d, struct rdpesc_get_transmit_count_call *c);

void enc_connect_ret(struct ndr_enc *e, const struct rdpesc_connect_return *r);
void dec_connect_ret(struct ndr_dec *d, struct rdpesc_connect_return *r);
void enc_reconnect_ret(struct ndr_enc *e, const struct rdpesc_reconnect_return *r);
void dec_reconnect_ret(struct ndr_dec *d, struct rdpesc_reconnect_return *r);
void enc_state_ret(struct ndr_enc *e, const struct rdpesc_state_return *r);
void dec_state_ret(struct ndr_dec *d, struct rdpesc_state_return *r);
void enc_status_ret(struct ndr_enc *e, const struct rdpesc_status_return *r);
void dec_status_ret(struct ndr_dec *d, struct rdpesc_status_return *r);
void enc_transmit_ret(struct ndr_enc *e, const struct rdpesc_transmit_return *r);
void dec_transmit_ret(struct ndr_dec *d, struct rdpesc_transmit_return *r);
/* max: the IDL bound of cb for this IOCTL */
void enc_buffer_ret(struct ndr_enc *e, const struct rdpesc_buffer_return *r, uint32_t max);
void dec_buffer_ret(struct ndr_dec *d, struct rdpesc_buffer_return *r, uint32_t max);
void enc_transmit_count_ret(struct ndr_enc *e, const struct rdpesc_get_transmit_count_return *r);
void dec_transmit_count_ret(struct ndr_dec *d, struct rdpesc_get_transmit_count_return *r);

#endif
