/* SPDX-License-Identifier: MIT */
/* Helpers for the ftrace tests: a private tracefs instance that is removed
 * whatever happens to the test, markers written from pinned threads, and
 * the markers' payload decoded back. */
#ifndef FTRACE_UTIL_H
#define FTRACE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <ringbuf.h>

struct ft_test {
	char tracefs[256];
	char name[64];            /* instance name: rbtest-<pid>-<tag> */
	char dir[512];            /* tracefs/instances/name */
};

/* Find (or mount) tracefs and create instances/rbtest-<pid>-<tag> with
 * buffer_size_kb per CPU (0: leave the default) and buffer_percent 0.
 * The test body then runs in a child process; the parent waits for it,
 * removes the instance (also after a crash, a failed check or SIGTERM)
 * and exits with the child's status. Returns in the child only. Skips
 * (exit 77) when tracefs, instances or the mmap interface are missing. */
void ft_test_start(struct ft_test *t, const char *tag, int buffer_kb);

/* Write a string to <instance>/<file>; 0 or -errno. */
int ft_test_write(const struct ft_test *t, const char *file, const char *val);
/* Open <instance>/trace_marker for writing; fd or -errno. */
int ft_test_marker_fd(const struct ft_test *t);
/* Pin the calling thread to cpu; 0 or -errno. */
int ft_test_pin(int cpu);
int ft_test_ncpus(void);

/* The "print" event (trace_marker): common header (8 bytes), ip (8), then
 * the text. Returns a pointer to the NUL-terminated text inside data, or
 * NULL when the payload is not a print event of size. */
const char *ft_test_marker_text(const void *data, uint32_t size, uint16_t print_id);
/* The id of ftrace:print (events/ftrace/print/id), or 0. */
uint16_t ft_test_print_id(const struct ft_test *t);

/* The common start of a test body: ft_test_start(), then point o at the
 * instance (o->instance, o->tracefs) and return the id of ftrace:print,
 * checked to be known. Returns in the child only, like ft_test_start. */
uint16_t ft_test_setup(struct ft_test *t, const char *tag, int buffer_kb,
		       struct ringbuf_ftrace_opts *o);
/* For a test on one CPU: restrict o to *cpu, pin the calling thread there
 * and open trace_marker. Returns the marker fd (checked). */
int ft_test_one_cpu(const struct ft_test *t, struct ringbuf_ftrace_opts *o, const int *cpu);
/* A new consumer with the ftrace source of o added (fn, ctx). Skips the
 * test when trace_pipe_raw cannot be mapped here (-ENODEV, -EOPNOTSUPP).
 * *added gets what ringbuf_consumer_add_ftrace returned, for the caller
 * to check against the CPUs it expects. */
struct ringbuf_consumer *ft_test_consumer(const struct ringbuf_ftrace_opts *o,
					  ringbuf_ftrace_fn fn, void *ctx, int *added);
/* A writer thread's body: pin to cpu and write count markers
 * "<prefix> <id> <seq>", seq 0..count-1, through trace_marker, each write
 * checked to be whole. */
void ft_test_write_markers(const struct ft_test *t, int cpu, const char *prefix, int id,
			   long count);

/* Write count markers "<prefix> <id> <seq>", seq first..first+count-1,
 * each padded with '.' to bytes (0: no padding), to the trace_marker fd,
 * each write checked to be whole. */
void ft_test_write_sized(int fd, const char *prefix, int id, long first, long count, int bytes);

#endif
