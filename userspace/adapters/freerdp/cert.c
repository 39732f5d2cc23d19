// SPDX-License-Identifier: MIT
/*
 * A self-signed TLS certificate for when none is configured: the openssl
 * command line writes an RSA key (FreeRDP also loads it as the RDP key)
 * and a certificate into a private temporary directory.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rdp_server.h"

static int run_openssl(const struct generated_cert *g, const char *subject)
{
	pid_t pid = fork();
	int status, null;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("openssl", "openssl", "req", "-x509", "-newkey", "rsa:2048",
		       "-nodes", "-sha256", "-days", "3650", "-subj", subject,
		       "-keyout", g->key, "-out", g->cert, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int cert_generate(struct generated_cert *g)
{
	const char *tmp = getenv("TMPDIR");
	char host[HOST_NAME_MAX + 1] = "localhost", subject[HOST_NAME_MAX + 8];

	if (!tmp || !*tmp || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(g->dir, sizeof(g->dir), "%s/vscard-rdp-XXXXXX", tmp);
	if (!mkdtemp(g->dir))
		return -1;
	snprintf(g->cert, sizeof(g->cert), "%s/server.crt", g->dir);
	snprintf(g->key, sizeof(g->key), "%s/server.key", g->dir);
	gethostname(host, sizeof(host) - 1);
	snprintf(subject, sizeof(subject), "/CN=%s", host);
	if (run_openssl(g, subject)) {
		cert_cleanup(g);
		return -1;
	}
	return 0;
}

void cert_cleanup(struct generated_cert *g)
{
	if (!g->dir[0])
		return;
	unlink(g->cert);
	unlink(g->key);
	rmdir(g->dir);
	g->dir[0] = 0;
}
