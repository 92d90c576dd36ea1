// SPDX-License-Identifier: MIT
/*
 * ringbuf trace's output: the table of event formats (loaded from tracefs),
 * the command names trace-cmd shows (saved_cmdlines, then /proc), and each
 * event printed as `trace-cmd report` prints it, or as one JSON object.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rings.h"
#include "trace_print.h"

static const struct trace_format *fmt_find(struct fmt_tab *t, uint32_t id)
{
	for (int i = 0; i < t->n; i++)
		if (t->f[i].id == id)
			return &t->f[i];
	return NULL;
}

int fmt_add(struct fmt_tab *t, const char *sys, const char *name)
{
	struct trace_format f;
	int r = trace_format_load(t->tracefs, sys, name, &f);

	if (r < 0)
		return r;
	if (fmt_find(t, f.id))
		return 0;
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct trace_format *nf = realloc(t->f, (size_t)cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		t->f = nf;
		t->cap = cap;
	}
	t->f[t->n++] = f;
	return 0;
}

/* All formats of a system (for SYS:*). */
int fmt_add_system(struct fmt_tab *t, const char *sys)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/events/%s", t->tracefs, sys);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && fmt_add(t, sys, de->d_name) == 0)
			n++;
	closedir(d);
	return n ? 0 : -ENOENT;
}

/* The kernel's own record of pid's command: tracefs saved_cmdlines, the
 * table trace-cmd reads too (task->comm, which /proc does not always show:
 * kworkers get their workqueue appended there). */
static int saved_cmdline(const char *tracefs, int32_t pid, char *buf, size_t len)
{
	char path[PATH_MAX + 32], line[64], comm[32];
	int p, found = 0;
	FILE *f;

	if (!tracefs)
		return 0;
	snprintf(path, sizeof(path), "%s/saved_cmdlines", tracefs);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %31[^\n]", &p, comm) == 2 && p == pid) {
			snprintf(buf, len, "%s", comm);
			found = 1;
		}
	fclose(f);
	return found;
}

/* The command name of pid as trace-cmd shows it: "<idle>" for 0, "<...>"
 * when unknown. A small cache: looked up once per pid. */
static const char *comm_of(const char *tracefs, int32_t pid)
{
	static struct { int32_t pid; char comm[16]; } cache[512];
	unsigned h = (unsigned)pid % 512;
	char buf[64];

	if (pid == 0)
		return "<idle>";
	if (cache[h].pid == pid && cache[h].comm[0])
		return cache[h].comm;
	if (!saved_cmdline(tracefs, pid, buf, sizeof(buf))) {
		ring_proc_name((uint32_t)pid, 0, buf, sizeof(buf));
		if (!strcmp(buf, "?") || !strcmp(buf, "dead"))
			snprintf(buf, sizeof(buf), "<...>");
	}
	cache[h].pid = pid;
	snprintf(cache[h].comm, sizeof(cache[h].comm), "%.15s", buf);  /* TASK_COMM_LEN */
	return cache[h].comm;
}

/* sched_switch's prev_state as the kernel's print format shows it: the
 * letters of the task state bits below TASK_REPORT_MAX (0x100) joined by
 * '|', "R" when none, '+' when the TASK_REPORT_MAX bit says preempted. */
static void fix_prev_state(char *fields, size_t cap)
{
	static const char letters[] = "SDTtXZPI";
	char *p = strstr(fields, "prev_state="), *end, state[32], rest[6144];
	unsigned long v;
	size_t n = 0;

	if (!p)
		return;
	p += strlen("prev_state=");
	v = strtoul(p, &end, 0);
	if (end == p)
		return;
	for (int b = 0; b < 8; b++)
		if (v & (1UL << b))
			n += (size_t)snprintf(state + n, sizeof(state) - n, "%s%c", n ? "|" : "", letters[b]);
	if (!n)
		n = (size_t)snprintf(state, sizeof(state), "R");
	if (v & 0x100)
		snprintf(state + n, sizeof(state) - n, "+");
	snprintf(rest, sizeof(rest), "%s", end);
	snprintf(p, cap - (size_t)(p - fields), "%s%s", state, rest);
}

int trace_on_event(void *vctx, const struct ringbuf_ftrace_event *ev)
{
	struct trace_ctx *t = vctx;
	const struct trace_format *f = NULL;
	uint16_t type = 0;
	int32_t pid = 0;
	char fields[6144];

	if (ev->size >= 8) {
		memcpy(&type, ev->data, sizeof(type));
		memcpy(&pid, (const uint8_t *)ev->data + 4, sizeof(pid));
		f = fmt_find(&t->fmts, type);
	}
	if (f) {
		trace_format_print(f, ev->data, ev->size, fields, sizeof(fields));
		if (!strcmp(f->name, "sched_switch"))
			fix_prev_state(fields, sizeof(fields));
	}
	else
		snprintf(fields, sizeof(fields), "[type %u, %u bytes]", type, ev->size);
	if (cli_json) {
		printf("{\"comm\":");
		cli_json_str(stdout, comm_of(t->fmts.tracefs, pid), strlen(comm_of(t->fmts.tracefs, pid)));
		printf(",\"pid\":%d,\"cpu\":%d,\"ts_ns\":%llu,\"event\":", pid, ev->cpu,
		       (unsigned long long)ev->ts);
		cli_json_str(stdout, f ? f->name : "unknown", strlen(f ? f->name : "unknown"));
		printf(",\"fields\":");
		cli_json_str(stdout, fields, strlen(fields));
		if (printf("}\n") < 0) {
			t->out_error = errno ? errno : EIO;
			return -EPIPE;
		}
	} else if (printf("%16s-%-7d [%03d] %llu.%06llu: %s: %s\n", comm_of(t->fmts.tracefs, pid), pid, ev->cpu,
		   (unsigned long long)(ev->ts / 1000000000ull),
		   (unsigned long long)(ev->ts % 1000000000ull / 1000), f ? f->name : "unknown",
		   fields) < 0) {
		t->out_error = errno ? errno : EIO;
		return -EPIPE;
	}
	t->count++;
	if (t->max_count && t->count >= t->max_count)
		return -ECANCELED;  /* enough: stop consuming */
	return 0;
}
