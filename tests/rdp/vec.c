// SPDX-License-Identifier: MIT
/* Loader for the .hex byte vectors (see shared/data/rdpesc-vectors/README.md). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

const char *vec_dir(void)
{
	const char *d = getenv("RDP_VECTORS_DIR");

	return d && *d ? d : NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct vec *vec_load(const char *name)
{
	const char *dir = vec_dir();
	char path[1024], line[4096];
	struct vec *v;
	size_t cap = 256;
	FILE *f;

	if (!dir) {
		fprintf(stderr, "RDP_VECTORS_DIR is not set\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.hex", dir, name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	v->data = malloc(cap);
	snprintf(v->name, sizeof(v->name), "%s", name);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#') {
			char *sep = strstr(line, ": ");

			if (!sep || v->nkeys >= VEC_MAX_KEYS)
				continue;
			*sep = 0;
			v->key[v->nkeys] = strdup(line + 2);
			v->val[v->nkeys] = strdup(sep + 2);
			v->nkeys++;
			continue;
		}
		for (char *p = line; *p; ) {
			int hi, lo;

			if (isspace((unsigned char)*p)) {
				p++;
				continue;
			}
			hi = hexval(p[0]);
			lo = p[1] ? hexval(p[1]) : -1;
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "%s: bad hex\n", path);
				fclose(f);
				vec_free(v);
				return NULL;
			}
			if (v->len == cap)
				v->data = realloc(v->data, cap *= 2);
			v->data[v->len++] = (uint8_t)(hi << 4 | lo);
			p += 2;
		}
	}
	fclose(f);
	if (vec_num(v, "length") != (long long)v->len) {
		fprintf(stderr, "%s: length header %lld != %zu bytes\n", path,
			vec_num(v, "length"), v->len);
		vec_free(v);
		return NULL;
	}
	return v;
}

void vec_free(struct vec *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->nkeys; i++) {
		free(v->key[i]);
		free(v->val[i]);
	}
	free(v->data);
	free(v);
}

const char *vec_get(const struct vec *v, const char *key)
{
	for (int i = 0; i < v->nkeys; i++)
		if (!strcmp(v->key[i], key))
			return v->val[i];
	return NULL;
}

long long vec_num(const struct vec *v, const char *key)
{
	const char *s = vec_get(v, key);
	char *end;
	long long n;

	if (!s)
		return -1;
	n = strtoll(s, &end, 0);
	return end == s ? -1 : n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vec_list(char ***names)
{
	const char *dir = vec_dir();
	struct dirent *de;
	int n = 0, cap = 16;
	DIR *d;

	*names = NULL;
	if (!dir || !(d = opendir(dir)))
		return 0;
	*names = malloc(sizeof(char *) * (size_t)cap);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".hex"))
			continue;
		if (n == cap)
			*names = realloc(*names, sizeof(char *) * (size_t)(cap *= 2));
		(*names)[n++] = strndup(de->d_name, l - 4);
	}
	closedir(d);
	qsort(*names, (size_t)n, sizeof(char *), cmp_str);
	return n;
}

void vec_list_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
