// SPDX-License-Identifier: MIT
/* Client Device List Announce / Remove. */
#include <string.h>

#include "rdpdr_internal.h"

#define DEVICE_ANNOUNCE_FIXED	20

/* Reads one DEVICE_ANNOUNCE; d may be NULL to only validate. */
static void read_device(struct rdp_rd *r, struct rdpdr_device *d)
{
	struct rdpdr_device tmp;
	const uint8_t *name;

	if (!d)
		d = &tmp;
	memset(d, 0, sizeof(*d));
	d->device_type = rdp_rd_u32(r);
	d->device_id = rdp_rd_u32(r);
	name = rdp_rd_view(r, 8);
	if (name) {
		memcpy(d->dos_name, name, 8);
		d->dos_name[8] = 0;
	}
	d->data_len = rdp_rd_u32(r);
	d->data = rdp_rd_view(r, d->data_len);
	if (r->err || !d->data_len) {
		d->data = NULL;
		if (r->err)
			d->data_len = 0;
	}
}

int rdpdr_device_list_begin(struct rdpdr_device_iter *it, const void *buf, size_t len)
{
	struct rdp_rd check;
	uint32_t i;
	int err = rdpdr_open(&it->r, buf, len, PAKID_CORE_DEVICELIST_ANNOUNCE);

	it->count = 0;
	it->index = 0;
	if (err)
		return err;
	it->count = rdp_rd_u32(&it->r);
	if (it->r.err)
		return it->r.err;
	check = it->r;
	for (i = 0; i < it->count && !check.err; i++)
		read_device(&check, NULL);
	if (check.err) {
		it->count = 0;
		return check.err;
	}
	return RDP_OK;
}

int rdpdr_device_list_next(struct rdpdr_device_iter *it, struct rdpdr_device *d)
{
	if (it->index >= it->count || it->r.err)
		return 0;
	read_device(&it->r, d);
	if (it->r.err)
		return 0;
	it->index++;
	return 1;
}

int rdpdr_encode_device_list_announce(struct rdp_wr *w, const struct rdpdr_device *devs,
				      uint32_t count)
{
	uint32_t i;

	rdpdr_put_hdr(w, PAKID_CORE_DEVICELIST_ANNOUNCE);
	rdp_wr_u32(w, count);
	for (i = 0; i < count; i++) {
		char name[8] = { 0 };

		memcpy(name, devs[i].dos_name, strnlen(devs[i].dos_name, sizeof(name)));
		rdp_wr_u32(w, devs[i].device_type);
		rdp_wr_u32(w, devs[i].device_id);
		rdp_wr_bytes(w, name, sizeof(name));
		rdp_wr_u32(w, devs[i].data_len);
		if (devs[i].data_len) {
			if (!devs[i].data)
				return RDP_ERR_INVAL;
			rdp_wr_bytes(w, devs[i].data, devs[i].data_len);
		}
	}
	return w->err;
}

int rdpdr_decode_device_list_remove(const void *buf, size_t len, struct rdpdr_device_remove *d)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICELIST_REMOVE);

	d->count = 0;
	d->ids = NULL;
	if (err)
		return err;
	d->count = rdp_rd_u32(&r);
	if (!r.err && d->count > rdp_rd_left(&r) / 4)
		rdp_rd_fail(&r, RDP_ERR_TRUNCATED);
	d->ids = rdp_rd_view(&r, (size_t)d->count * 4);
	if (r.err) {
		d->count = 0;
		d->ids = NULL;
	}
	return r.err;
}

uint32_t rdpdr_device_remove_id(const struct rdpdr_device_remove *d, uint32_t i)
{
	const uint8_t *p;

	if (i >= d->count)
		return 0;
	p = d->ids + (size_t)i * 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int rdpdr_encode_device_list_remove(struct rdp_wr *w, const uint32_t *ids, uint32_t count)
{
	uint32_t i;

	rdpdr_put_hdr(w, PAKID_CORE_DEVICELIST_REMOVE);
	rdp_wr_u32(w, count);
	for (i = 0; i < count; i++)
		rdp_wr_u32(w, ids[i]);
	return w->err;
}
