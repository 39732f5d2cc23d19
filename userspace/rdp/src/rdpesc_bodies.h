/* SPDX-License-Identifier: MIT */
/* NDR bodies of the RDPESC calls and returns (internal). */
#ifndef RDPCODEC_RDPESC_BODIES_H
#define RDPCODEC_RDPESC_BODIES_H

#include "ndr.h"

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
