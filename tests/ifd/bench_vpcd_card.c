// SPDX-License-Identifier: MIT
/*
 * bench-ifd: the vpcd back-end, a card speaking vsmartcard's vpcd socket
 * protocol (the vicc side).  vpcd in listen mode accepts 127.0.0.1:port;
 * every message is a 2-byte big-endian length + payload.  One-byte
 * payloads are control: 0x00 power off, 0x01 power on, 0x02 reset (no
 * reply to any of the three: vpcd.c sends them and then asks for the
 * ATR), 0x04 get ATR (reply: the ATR).  Longer payloads are C-APDUs
 * answered by tc_apdu_respond().  Insert = connect, remove = close: vpcd
 * notices either at its next presence check (pcscd polls every 400 ms).
 *
 * Debian's vpcd (3.3) sends the length and the payload with two send()s,
 * so Nagle holds the payload until the card ACKs the length, which a
 * plain receiver (like vicc) delays by up to 40 ms.  @quickack sets
 * TCP_QUICKACK before every receive: vpcd without that stall (upstream
 * master sends both in one call).
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vscard.h>
#include "apdu.h"
#include "bench_ifd.h"

#define VPCD_CTRL_ATR	0x04
#define VPCD_MSG_MAX	0xFFFF

struct vpcd_card_be {
	unsigned int port;
	bool quickack;
	int sock;
	uint8_t atr[VSCARD_ATR_MAX];
	size_t atr_len;
	uint8_t in[VPCD_MSG_MAX];
	uint8_t out[2 + VPCD_MSG_MAX];
};

static int recv_all(struct vpcd_card_be *v, void *buf, size_t len)
{
	int one = 1;
	ssize_t r;

	if (v->quickack)
		setsockopt(v->sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	r = recv(v->sock, buf, len, MSG_WAITALL);

	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -ECONNRESET;	/* vpcd closed */
}

static int send_msg(struct vpcd_card_be *v, const uint8_t *data, size_t len)
{
	v->out[0] = (uint8_t)(len >> 8);
	v->out[1] = (uint8_t)len;
	if (data != v->out + 2)
		memcpy(v->out + 2, data, len);
	return send(v->sock, v->out, len + 2, MSG_NOSIGNAL) == (ssize_t)len + 2 ?
	       0 : -EIO;
}

static int vpcd_serve(void *priv)
{
	struct vpcd_card_be *v = priv;
	unsigned int delay;
	uint8_t hdr[2];
	size_t len;
	long n;
	int err = recv_all(v, hdr, 2);

	if (err)
		return err;
	len = (size_t)hdr[0] << 8 | hdr[1];
	err = recv_all(v, v->in, len);
	if (err)
		return err;
	if (len == 1)	/* power off / on / reset: no reply */
		return v->in[0] == VPCD_CTRL_ATR ?
		       send_msg(v, v->atr, v->atr_len) : 0;
	n = tc_apdu_respond(v->in, len, v->out + 2, VPCD_MSG_MAX, &delay);
	return n < 0 ? -ENOBUFS : send_msg(v, v->out + 2, (size_t)n);
}

static int vpcd_insert(void *priv)
{
	struct vpcd_card_be *v = priv;
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)v->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;

	v->sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (v->sock < 0)
		return -errno;
	setsockopt(v->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(v->sock, (struct sockaddr *)&a, sizeof(a))) {
		int err = -errno;

		fprintf(stderr, "bench-ifd: connect to vpcd 127.0.0.1:%u: %s\n",
			v->port, strerror(-err));
		close(v->sock);
		v->sock = -1;
		return err;
	}
	return 0;
}

static int vpcd_remove(void *priv)
{
	struct vpcd_card_be *v = priv;

	if (v->sock >= 0)
		close(v->sock);
	v->sock = -1;
	return 0;
}

static int vpcd_fd(void *priv)
{
	return ((struct vpcd_card_be *)priv)->sock;
}

static void vpcd_destroy(void *priv)
{
	vpcd_remove(priv);
	free(priv);
}

const struct bench_backend_ops bench_vpcd_ops = {
	.insert = vpcd_insert,
	.remove = vpcd_remove,
	.fd = vpcd_fd,
	.serve = vpcd_serve,
	.destroy = vpcd_destroy,
};

void *bench_vpcd_new(unsigned int port, bool quickack)
{
	struct vpcd_card_be *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->port = port;
	v->quickack = quickack;
	v->sock = -1;
	v->atr_len = tc_atr_default(VSCARD_PROTO_T1, v->atr, sizeof(v->atr));
	return v;
}
