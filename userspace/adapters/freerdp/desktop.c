// SPDX-License-Identifier: MIT
/*
 * The desktop: a plain gradient with a band, sent as uncompressed surface
 * bits (codec "none", 32 bpp) in strips small enough for any client's
 * fast-path reassembly limit.  Clients without surface commands see a
 * black screen; the smart-card channel does not care.
 */
#include <stdlib.h>

#include <freerdp/constants.h>
#include <freerdp/freerdp.h>
#include <freerdp/peer.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>

#include "rdp_server.h"

#define STRIP_ROWS	8

static void pixel(uint8_t *px, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t band_top = h / 2 - h / 16, band_bottom = h / 2 + h / 16;

	if (y >= band_top && y < band_bottom) {
		px[0] = 0x30;	/* B */
		px[1] = 0x90;	/* G */
		px[2] = 0xe0;	/* R */
	} else {
		px[0] = (uint8_t)(0x60 + 0x60 * y / h);
		px[1] = (uint8_t)(0x30 + 0x20 * x / w);
		px[2] = 0x18;
	}
	px[3] = 0xff;
}

int desktop_paint(void *freerdp_client)
{
	freerdp_peer *client = freerdp_client;
	rdpSettings *s = client->settings;
	rdpUpdate *update = client->update;
	uint32_t w = freerdp_settings_get_uint32(s, FreeRDP_DesktopWidth);
	uint32_t h = freerdp_settings_get_uint32(s, FreeRDP_DesktopHeight);
	SURFACE_BITS_COMMAND cmd = { 0 };
	uint32_t x, y, top, rows;
	uint8_t *buf;
	int rc = 0;

	if (!freerdp_settings_get_bool(s, FreeRDP_SurfaceCommandsEnabled) || !w || !h ||
	    w > 8192 || h > 8192 || !update->SurfaceBits)
		return -1;
	buf = malloc((size_t)w * STRIP_ROWS * 4);
	if (!buf)
		return -1;
	for (top = 0; top < h && !rc; top += STRIP_ROWS) {
		rows = h - top < STRIP_ROWS ? h - top : STRIP_ROWS;
		for (y = 0; y < rows; y++)
			for (x = 0; x < w; x++)
				pixel(buf + ((size_t)y * w + x) * 4, x, top + y, w, h);
		cmd.cmdType = CMDTYPE_SET_SURFACE_BITS;
		cmd.destLeft = 0;
		cmd.destTop = top;
		cmd.destRight = w;
		cmd.destBottom = top + rows;
		cmd.bmp.bpp = 32;
		cmd.bmp.codecID = RDP_CODEC_ID_NONE;
		cmd.bmp.width = (UINT16)w;
		cmd.bmp.height = (UINT16)rows;
		cmd.bmp.bitmapDataLength = w * rows * 4;
		cmd.bmp.bitmapData = buf;
		if (!update->SurfaceBits(update->context, &cmd))
			rc = -1;
	}
	free(buf);
	return rc;
}
