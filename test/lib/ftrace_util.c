// SPDX-License-Identifier: MIT
/* Tests of the ftrace source: a private tracefs instance, its control files, markers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ftrace_util.h"
#include "testutil.h"

static pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int have_tracefs(const char *dir)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/instances", dir);
	return access(p, F_OK) == 0;
}

static void skip(const char *why)
{
	printf("skip: %s\n", why);
	exit(77);
}

int ft_test_write(const struct ft_test *t, const char *file, const char *val)
{
	char p[700];

	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/%s", t->dir, file);
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int ft_test_marker_fd(const struct ft_test *t)
{
	char p[700];
	int fd;

	snprintf(p, sizeof(p), "%s/trace_marker", t->dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ft_test_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int ft_test_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

uint16_t ft_test_print_id(const struct ft_test *t)
{
	char p[300], buf[32];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/events/ftrace/print/id", t->tracefs);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (uint16_t)atoi(buf);
}

const char *ft_test_marker_text(const void *data, uint32_t size, uint16_t print_id)
{
	const char *d = data;
	uint16_t type;

	if (size < 17)
		return NULL;
	memcpy(&type, d, sizeof(type));
	if (type != print_id || !memchr(d + 16, 0, size - 16))
		return NULL;
	return d + 16;
}

/* Probe that this kernel maps trace_pipe_raw (6.10+). */
static int mmap_supported(const struct ft_test *t)
{
	char p[700];
	void *m;
	int fd;

	snprintf(p, sizeof(p), "%s/per_cpu/cpu0/trace_pipe_raw", t->dir);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	m = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	munmap(m, (size_t)sysconf(_SC_PAGESIZE));
	return 1;
}

void ft_test_start(struct ft_test *t, const char *tag, int buffer_kb)
{
	static const char *const known[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char buf[32];
	int status, i, found = 0;

	memset(t, 0, sizeof(*t));
	if (geteuid() != 0)
		skip("ftrace tests need root");
	for (i = 0; i < 2 && !found; i++) {
		if (have_tracefs(known[i])) {
			snprintf(t->tracefs, sizeof(t->tracefs), "%s", known[i]);
			found = 1;
		}
	}
	if (!found) {
		if (mount("nodev", known[0], "tracefs", 0, NULL) != 0 || !have_tracefs(known[0]))
			skip("tracefs is not mounted and cannot be mounted");
		snprintf(t->tracefs, sizeof(t->tracefs), "%s", known[0]);
	}
	snprintf(t->name, sizeof(t->name), "rbtest-%d-%s", (int)getpid(), tag);
	snprintf(t->dir, sizeof(t->dir), "%s/instances/%s", t->tracefs, t->name);
	if (mkdir(t->dir, 0755) != 0)
		skip("cannot create a tracefs instance");
	if (buffer_kb > 0) {
		snprintf(buf, sizeof(buf), "%d", buffer_kb);
		ft_test_write(t, "buffer_size_kb", buf);
	}
	ft_test_write(t, "buffer_percent", "0");
	if (!mmap_supported(t)) {
		rmdir(t->dir);
		skip("this kernel does not map trace_pipe_raw (needs Linux 6.10+)");
	}

	fflush(NULL);
	child_pid = fork();
	if (child_pid < 0) {
		rmdir(t->dir);
		skip("fork failed");
	}
	if (child_pid == 0)
		return;
	signal(SIGINT, forward_signal);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The instance can be removed once nothing has it open. */
	for (i = 0; i < 50 && rmdir(t->dir) != 0 && errno == EBUSY; i++)
		usleep(20000);
	if (access(t->dir, F_OK) == 0)
		fprintf(stderr, "warning: could not remove %s\n", t->dir);
	if (WIFEXITED(status))
		exit(WEXITSTATUS(status));
	fprintf(stderr, "test body killed by signal %d\n", WTERMSIG(status));
	exit(1);
}

uint16_t ft_test_setup(struct ft_test *t, const char *tag, int buffer_kb,
		       struct ringbuf_ftrace_opts *o)
{
	uint16_t print_id;

	ft_test_start(t, tag, buffer_kb);
	o->instance = t->name;
	o->tracefs = t->tracefs;
	print_id = ft_test_print_id(t);
	CHECK(print_id != 0);
	return print_id;
}

int ft_test_one_cpu(const struct ft_test *t, struct ringbuf_ftrace_opts *o, const int *cpu)
{
	int fd;

	o->cpus = cpu;
	o->ncpus = 1;
	CHECK(ft_test_pin(*cpu) == 0);
	fd = ft_test_marker_fd(t);
	CHECK(fd >= 0);
	return fd;
}

struct ringbuf_consumer *ft_test_consumer(const struct ringbuf_ftrace_opts *o,
					  ringbuf_ftrace_fn fn, void *ctx, int *added)
{
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int r;

	CHECK(c);
	r = ringbuf_consumer_add_ftrace(c, o, fn, ctx);
	if (r == -ENODEV || r == -EOPNOTSUPP)
		SKIP("trace_pipe_raw cannot be mapped here (%d)", r);
	*added = r;
	return c;
}

void ft_test_write_sized(int fd, const char *prefix, int id, long first, long count, int bytes)
{
	char buf[4096];

	CHECK(bytes >= 0 && bytes < (int)sizeof(buf));
	for (long i = first; i < first + count; i++) {
		int n = snprintf(buf, sizeof(buf), "%s %d %ld", prefix, id, i);

		if (n < bytes) {
			memset(buf + n, '.', (size_t)(bytes - n));
			n = bytes;
		}
		CHECK(write(fd, buf, (size_t)n) == n);
	}
}

void ft_test_write_markers(const struct ft_test *t, int cpu, const char *prefix, int id,
			   long count)
{
	int fd;

	CHECK(ft_test_pin(cpu) == 0);
	fd = ft_test_marker_fd(t);
	CHECK(fd >= 0);
	ft_test_write_sized(fd, prefix, id, 0, count, 0);
	close(fd);
}
