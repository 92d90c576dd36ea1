/* SPDX-License-Identifier: MIT */
/* ringbuf trace's output: the event formats it knows, and one event printed
 * as `trace-cmd report` prints it (or as one JSON object). */
#ifndef TRACE_PRINT_H
#define TRACE_PRINT_H

#include <stdint.h>

#include <ringbuf.h>

#include "tracefs.h"

struct fmt_tab {
	struct trace_format *f;
	int n, cap;
	const char *tracefs;
};

struct trace_ctx {
	struct fmt_tab fmts;
	uint64_t count, max_count;
	int out_error;              /* errno of a failed write to stdout */
	char line[8192];
};

/* Load the format of SYS:NAME into the table (once per event id): 0 or
 * -errno. */
int fmt_add(struct fmt_tab *t, const char *sys, const char *name);
/* All formats of a system (for SYS:*): 0, or -ENOENT when none loads. */
int fmt_add_system(struct fmt_tab *t, const char *sys);
/* The ringbuf_ftrace_fn of the trace: print ev, count it, stop (-ECANCELED)
 * at max_count, -EPIPE when stdout fails (its errno in out_error). */
int trace_on_event(void *vctx, const struct ringbuf_ftrace_event *ev);

#endif /* TRACE_PRINT_H */
