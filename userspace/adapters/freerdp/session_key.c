// SPDX-License-Identifier: MIT
/*
 * Session keys.  The key of a connection is
 *
 *   HMAC-SHA256(server secret, "vscard-rdp-session-v1" 0 user 0 domain 0
 *               client name)
 *
 * so a reconnect of the same user from the same client (RDP client name)
 * gets the same key and the agent rebinds the same slots, while another
 * client name or another user is another session, whatever the source
 * address (many clients can share one address behind NAT).  The secret
 * is random per server process unless --secret-file keeps it, so keys
 * survive a server restart only with that option, and are not guessable
 * by whoever knows a user and a client name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <winpr/crypto.h>

#include "rdp_server.h"

static const char key_label[] = "vscard-rdp-session-v1";

static int read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int secret_load_or_create(const char *path, uint8_t secret[RDPSRV_SECRET_LEN])
{
	int fd;

	if (!path)
		return winpr_RAND(secret, RDPSRV_SECRET_LEN) < 0 ? -1 : 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int rc = read_full(fd, secret, RDPSRV_SECRET_LEN);

		close(fd);
		if (rc)
			srv_log("secret file %s: shorter than %d bytes", path, RDPSRV_SECRET_LEN);
		return rc;
	}
	if (errno != ENOENT) {
		srv_log("secret file %s: %s", path, strerror(errno));
		return -1;
	}
	if (winpr_RAND(secret, RDPSRV_SECRET_LEN) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, secret, RDPSRV_SECRET_LEN) != RDPSRV_SECRET_LEN) {
		srv_log("secret file %s: cannot create: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

int session_key_derive(const uint8_t secret[RDPSRV_SECRET_LEN], const char *user,
		       const char *domain, const char *client_name,
		       uint8_t key[RDPSRV_KEY_LEN])
{
	const char *parts[] = { key_label, user, domain, client_name };
	WINPR_HMAC_CTX *h = winpr_HMAC_New();
	const uint8_t zero = 0;
	size_t i;
	int rc = -1;

	if (!h)
		return -1;
	if (!winpr_HMAC_Init(h, WINPR_MD_SHA256, secret, RDPSRV_SECRET_LEN))
		goto out;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const char *s = parts[i] ? parts[i] : "";

		if (i && !winpr_HMAC_Update(h, &zero, 1))
			goto out;
		if (!winpr_HMAC_Update(h, (const BYTE *)s, strlen(s)))
			goto out;
	}
	if (winpr_HMAC_Final(h, key, RDPSRV_KEY_LEN))
		rc = 0;
out:
	winpr_HMAC_Free(h);
	return rc;
}

void key_hex(const uint8_t *key, size_t len, char *out, size_t outlen)
{
	size_t i;

	out[0] = 0;
	for (i = 0; i < len && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}
