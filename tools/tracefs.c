// SPDX-License-Identifier: MIT
/*
 * Event payloads decoded by their tracefs format files
 * (events/<sys>/<name>/format): one line per field,
 *	field:<type> <name>[<n>];	offset:<o>;	size:<s>;	signed:<0|1>;
 * The payload is untrusted like the rest of the mapping: every field is
 * checked against the payload size before it is read. Also where tracefs is
 * and the writing of its control files. Only `ringbuf trace` sets up
 * instances and decodes events (the library reads the buffers and delivers
 * raw payloads), so this is the tool's own file, built on libc alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tracefs.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static const char *line_value(const char *line, const char *end, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = line; p + kl <= end; p++)
		if (!memcmp(p, key, kl))
			return p + kl;
	return NULL;
}

static int parse_field(const char *line, const char *end, struct trace_field *f)
{
	const char *decl = line_value(line, end, "field:"), *semi, *v, *name_end, *name;
	size_t tl, nl;

	if (!decl)
		return -EINVAL;
	semi = memchr(decl, ';', (size_t)(end - decl));
	if (!semi)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	/* The name is the last identifier of the declaration, before any [n]. */
	name_end = semi;
	for (const char *b = decl; b < semi; b++)
		if (*b == '[') {
			name_end = b;
			break;
		}
	while (name_end > decl && isspace((unsigned char)name_end[-1]))
		name_end--;
	name = name_end;
	while (name > decl && (isalnum((unsigned char)name[-1]) || name[-1] == '_'))
		name--;
	nl = (size_t)(name_end - name);
	tl = (size_t)(name - decl);
	if (!nl || nl >= sizeof(f->name) || tl >= sizeof(f->type))
		return -EINVAL;
	memcpy(f->name, name, nl);
	memcpy(f->type, decl, tl);
	while (tl && isspace((unsigned char)f->type[tl - 1]))
		f->type[--tl] = 0;
	f->is_data_loc = !strncmp(f->type, "__data_loc", 10) ? 1 :
			 !strncmp(f->type, "__rel_loc", 9) ? 2 : 0;
	f->is_string = strstr(f->type, "char") != NULL &&
		       (f->is_data_loc || memchr(decl, '[', (size_t)(semi - decl)) != NULL);
	v = line_value(semi, end, "offset:");
	if (!v)
		return -EINVAL;
	f->offset = (uint32_t)strtoul(v, NULL, 10);
	v = line_value(semi, end, "size:");
	if (!v)
		return -EINVAL;
	f->size = (uint32_t)strtoul(v, NULL, 10);
	v = line_value(semi, end, "signed:");
	f->is_signed = v ? atoi(v) != 0 : 0;
	return 0;
}

int trace_format_parse(const char *text, size_t len, struct trace_format *f)
{
	const char *p = text, *end = text + len;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *v;

		if ((size_t)(le - p) > 5 && !strncmp(p, "name: ", 6)) {
			size_t n = (size_t)(le - p - 6);

			if (n >= sizeof(f->name))
				n = sizeof(f->name) - 1;
			memcpy(f->name, p + 6, n);
			f->name[n] = 0;
		} else if ((v = line_value(p, le, "ID: ")) && v - p == 4) {
			f->id = (uint32_t)strtoul(v, NULL, 10);
		} else if (line_value(p, le, "field:") && f->nfields < (int)(sizeof(f->fields) / sizeof(f->fields[0]))) {
			if (parse_field(p, le, &f->fields[f->nfields]) == 0)
				f->nfields++;
		}
		p = le + 1;
	}
	return f->id && f->nfields ? 0 : -EINVAL;
}

int trace_format_load(const char *tracefs, const char *sys, const char *name,
		      struct trace_format *f)
{
	char path[1024], *buf;
	size_t cap = 16384, len = 0;
	ssize_t n;
	int fd, r;

	if (strchr(sys, '/') || strchr(name, '/') || !strcmp(sys, "..") || !strcmp(name, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, sys, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	r = trace_format_parse(buf, len, f);
	free(buf);
	if (r == 0) {
		snprintf(f->system, sizeof(f->system), "%s", sys);
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
	return r;
}

struct out {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

static void put_string(struct out *o, const uint8_t *s, uint32_t max)
{
	for (uint32_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = s[i];

		if (ch == '\n' && (i + 1 == max || !s[i + 1]))
			break;          /* trace_marker's trailing newline */
		if (isprint(ch))
			put(o, "%c", ch);
		else
			put(o, "\\x%02x", ch);
	}
}

static void put_int(struct out *o, const struct trace_field *f, const uint8_t *p)
{
	uint64_t u = 0;

	switch (f->size) {
	case 1: { uint8_t v; memcpy(&v, p, 1); u = v; if (f->is_signed) { put(o, "%d", (int8_t)v); return; } break; }
	case 2: { uint16_t v; memcpy(&v, p, 2); u = v; if (f->is_signed) { put(o, "%d", (int16_t)v); return; } break; }
	case 4: { uint32_t v; memcpy(&v, p, 4); u = v; if (f->is_signed) { put(o, "%d", (int32_t)v); return; } break; }
	case 8: { uint64_t v; memcpy(&v, p, 8); u = v; if (f->is_signed) { put(o, "%" PRId64, (int64_t)v); return; } break; }
	default:
		put(o, "0x");
		for (uint32_t i = 0; i < f->size && i < 32; i++)
			put(o, "%02x", p[i]);
		return;
	}
	if (strstr(f->type, "*") || (f->size == 8 && strstr(f->name, "ip")))
		put(o, "0x%" PRIx64, u);
	else
		put(o, "%" PRIu64, u);
}

size_t trace_format_print(const struct trace_format *f, const void *data, uint32_t size,
			  char *buf, size_t buflen)
{
	const uint8_t *d = data;
	struct out o = { buf, buflen, 0 };
	int first = 1;

	if (!buflen)
		return 0;
	buf[0] = 0;
	for (int i = 0; i < f->nfields; i++) {
		const struct trace_field *fl = &f->fields[i];

		if (!strncmp(fl->name, "common_", 7))
			continue;
		if (!first)
			put(&o, " ");
		first = 0;
		put(&o, "%s=", fl->name);
		if (fl->offset > size || fl->size > size - fl->offset) {
			put(&o, "?");
			continue;
		}
		if (fl->is_data_loc && fl->size == 4) {
			uint32_t v, off, len;

			memcpy(&v, d + fl->offset, 4);
			off = v & 0xffff;
			len = v >> 16;
			if (fl->is_data_loc == 2)           /* __rel_loc */
				off += fl->offset + 4;
			if (off > size || len > size - off) {
				put(&o, "?");
				continue;
			}
			if (fl->is_string)
				put_string(&o, d + off, len);
			else
				put(&o, "[%u bytes]", len);
		} else if (fl->is_string) {
			/* char x[N], or char x[] (size 0) up to the payload end */
			put_string(&o, d + fl->offset, fl->size ? fl->size : size - fl->offset);
		} else {
			put_int(&o, fl, d + fl->offset);
		}
	}
	return o.len;
}

/* ------------------------------------------------------------------ */
/* tracefs itself                                                      */
/* ------------------------------------------------------------------ */

static int mounted_at(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == TRACEFS_MAGIC;
}

int tracefs_find(char *out, size_t outlen)
{
	const char *dir = NULL;
	char line[1024], mnt[512], type[64];
	FILE *m;

	if (mounted_at("/sys/kernel/tracing"))
		dir = "/sys/kernel/tracing";
	else if (mounted_at("/sys/kernel/debug/tracing"))
		dir = "/sys/kernel/debug/tracing";
	if (dir) {
		snprintf(out, outlen, "%s", dir);
		return 0;
	}
	m = fopen("/proc/self/mounts", "re");
	while (m && fgets(line, sizeof(line), m)) {
		if (sscanf(line, "%*s %511s %63s", mnt, type) == 2 &&
		    !strcmp(type, "tracefs") && mounted_at(mnt)) {
			fclose(m);
			snprintf(out, outlen, "%s", mnt);
			return 0;
		}
	}
	if (m)
		fclose(m);
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0 && errno != EBUSY)
		return -errno;
	if (!mounted_at("/sys/kernel/tracing"))
		return -ENOENT;
	snprintf(out, outlen, "/sys/kernel/tracing");
	return 0;
}

int tracefs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	return n < 0 ? -e : 0;
}
