/* SPDX-License-Identifier: MIT */
/* Loader for the .hex byte vectors in shared/data/rdpesc-vectors. */
#ifndef TESTS_RDP_VEC_H
#define TESTS_RDP_VEC_H

#include <stddef.h>
#include <stdint.h>

#define VEC_MAX_KEYS	64

struct vec {
	char name[128];
	uint8_t *data;
	size_t len;
	int nkeys;
	char *key[VEC_MAX_KEYS];
	char *val[VEC_MAX_KEYS];
};

/* Directory of the vectors: $RDP_VECTORS_DIR or NULL. */
const char *vec_dir(void);
/* Loads <dir>/<name>.hex; NULL on any error (message on stderr). */
struct vec *vec_load(const char *name);
void vec_free(struct vec *v);
/* Header value or NULL. */
const char *vec_get(const struct vec *v, const char *key);
/* Leading number of a header value (0x.. or decimal); -1 if absent/n/a. */
long long vec_num(const struct vec *v, const char *key);
/* Sorted names (without .hex) of every vector; returns count, *names malloc'ed. */
int vec_list(char ***names);
void vec_list_free(char **names, int n);

#endif
