// SPDX-License-Identifier: MIT
/* Splitting request/response data into VSCARD_A_DATA chunks. */
#include <errno.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "vscard_nl.h"

static size_t chunk_size(size_t chunk)
{
	if (!chunk || chunk > VSCARD_DATA_CHUNK)
		return VSCARD_DATA_CHUNK;
	return chunk;
}

size_t vscard_data_room(size_t len, size_t chunk)
{
	size_t c = chunk_size(chunk);
	size_t n = (len + c - 1) / c;

	return len + n * (NLA_HDRLEN + NLA_ALIGNTO);
}

int vscard_put_data(struct nl_msg *msg, const void *data, size_t len,
		    size_t chunk)
{
	const unsigned char *p = data;
	size_t c = chunk_size(chunk);
	int n = 0;

	while (len) {
		size_t part = len < c ? len : c;

		if (nla_put(msg, VSCARD_A_DATA, (int)part, p) < 0)
			return -EMSGSIZE;
		p += part;
		len -= part;
		n++;
	}
	return n;
}
