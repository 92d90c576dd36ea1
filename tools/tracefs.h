/* SPDX-License-Identifier: MIT */
/* tracefs for `ringbuf trace`: where it is, its control files, and its
 * event format files (events/<sys>/<name>/format) parsed and payloads
 * printed by them. The tool's own: the public API reads the buffers and
 * gives raw events; setting up an instance and decoding are the tool's. */
#ifndef TRACEFS_H
#define TRACEFS_H

#include <stddef.h>
#include <stdint.h>

struct trace_field {
	char name[64];
	char type[64];
	uint32_t offset;
	uint32_t size;
	int is_signed;
	int is_string;        /* char[] or __data_loc char[] */
	int is_data_loc;      /* __data_loc: u32 = len << 16 | offset */
};
struct trace_format {
	char system[64];
	char name[96];
	uint32_t id;
	int nfields;          /* common_* fields first */
	struct trace_field fields[48];
};
/* Parse the text of a format file. 0 or -EINVAL. */
int trace_format_parse(const char *text, size_t len, struct trace_format *f);
/* Read and parse <tracefs>/events/<sys>/<name>/format. */
int trace_format_load(const char *tracefs, const char *sys, const char *name,
		      struct trace_format *f);
/* Print the non-common fields of a payload as "name=value ..." into buf
 * (always NUL terminated). Bounds-checked against size. Returns the length. */
size_t trace_format_print(const struct trace_format *f, const void *data,
			  uint32_t size, char *buf, size_t buflen);
/* Find tracefs at its usual mount points or in /proc/self/mounts; mount it
 * on /sys/kernel/tracing when it is nowhere. Writes the path to out: 0 or
 * -errno (-ENOENT: none and not mountable). */
int tracefs_find(char *out, size_t outlen);
/* Write val to a control file (buffer_size_kb, tracing_on, an event's
 * enable, ...) as `echo val > path` does: 0 or -errno. */
int tracefs_write(const char *path, const char *val);

#endif /* TRACEFS_H */
