// SPDX-License-Identifier: MIT
/*
 * ringbuf trace — a small zero-copy `trace-cmd stream`: enable events in a
 * tracefs instance of our own, read its per-CPU buffers through the mmap
 * source (ringbuf_consumer_add_ftrace, merged in timestamp order) and print
 * each event decoded by its format file. The instance is removed on exit,
 * also on SIGINT/SIGTERM/SIGHUP and when the reader of stdout goes away.
 *
 * Uses the library's internal format decoder (src/ftrace_format.c), which
 * the static library provides.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

#include "../src/ftrace.h"  /* the format decoder: library internals */
#include "cli.h"

#define MAX_EVENTS 32
#define MAX_CPUS   256

static const char trace_help[] =
"Usage: ringbuf trace [--event SYS:NAME]... [--cpu N]... [--duration S]\n"
"                     [--count N] [--buffer-kb K] [--interval MS] [--stats]\n"
"Enable kernel trace events in a private tracefs instance (ringbuf-<pid>)\n"
"and print them as they happen, read zero-copy from the mmap'ed per-CPU\n"
"ftrace ring buffers (Linux 6.10+), all CPUs merged in timestamp order.\n"
"The instance is removed on exit. Needs root.\n"
"\n"
"  -e, --event SYS:NAME  event to enable (repeatable; SYS:* for a whole\n"
"                        system). Default sched:sched_switch\n"
"  -c, --cpu N           read only CPU N (repeatable). Default: all\n"
"  -d, --duration S      stop after S seconds (decimals allowed)\n"
"  -n, --count N         stop after N events\n"
"  -b, --buffer-kb K     per-CPU buffer size of the instance (default 1024)\n"
"  -i, --interval MS     after a batch, wait MS before waking again, so that\n"
"                        tracing the scheduler does not feed on our own\n"
"                        wakeups (default 100; 0: wake on every event)\n"
"                        ftrace:print (trace_marker) is always recorded\n"
"  -s, --stats           print the per-source statistics to stderr at the end\n"
"  -j, --json            one JSON object per event (errors as JSON too)\n"
"  -h, --help            show this help\n"
"\n"
"Output: PID [CPU] SECONDS.USEC: EVENT: field=value ...\n"
"Exit status: 0 done (also on Ctrl-C or a closed pipe), 1 error, 2 usage.\n";

static volatile sig_atomic_t stop_sig;
static char inst_dir[PATH_MAX + 64];

static void on_signal(int sig)
{
	stop_sig = sig;
}

struct fmt_tab {
	struct rb_ft_format *f;
	int n, cap;
	const char *tracefs;
};

struct trace_ctx {
	struct fmt_tab fmts;
	uint64_t count, max_count;
	int out_error;              /* errno of a failed write to stdout */
	char line[8192];
};

static const struct rb_ft_format *fmt_find(struct fmt_tab *t, uint32_t id)
{
	for (int i = 0; i < t->n; i++)
		if (t->f[i].id == id)
			return &t->f[i];
	return NULL;
}

static int fmt_add(struct fmt_tab *t, const char *sys, const char *name)
{
	struct rb_ft_format f;
	int r = rb_ft_format_load(t->tracefs, sys, name, &f);

	if (r < 0)
		return r;
	if (fmt_find(t, f.id))
		return 0;
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct rb_ft_format *nf = realloc(t->f, (size_t)cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		t->f = nf;
		t->cap = cap;
	}
	t->f[t->n++] = f;
	return 0;
}

/* All formats of a system (for SYS:*). */
static int fmt_add_system(struct fmt_tab *t, const char *sys)
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

static int inst_write(const char *file, const char *val)
{
	char path[PATH_MAX + 512];

	/* Cannot be too long for the names we write; checked, since GCC
	 * cannot tell once the write is no longer inlined here. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", inst_dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	return rb_ft_write_file(path, val);
}

static void remove_instance(void)
{
	if (!inst_dir[0])
		return;
	inst_write("tracing_on", "0");
	inst_write("events/enable", "0");
	for (int i = 0; i < 50 && rmdir(inst_dir) != 0 && errno == EBUSY; i++)
		usleep(20000);
	if (access(inst_dir, F_OK) == 0)
		cli_errf("trace", NULL, "could not remove %s: %s", inst_dir, cli_strerror(errno));
	inst_dir[0] = 0;
}

static int on_event(void *vctx, const struct ringbuf_ftrace_event *ev)
{
	struct trace_ctx *t = vctx;
	const struct rb_ft_format *f = NULL;
	uint16_t type = 0;
	int32_t pid = 0;
	char fields[6144];

	if (ev->size >= 8) {
		memcpy(&type, ev->data, sizeof(type));
		memcpy(&pid, (const uint8_t *)ev->data + 4, sizeof(pid));
		f = fmt_find(&t->fmts, type);
	}
	if (f)
		rb_ft_format_print(f, ev->data, ev->size, fields, sizeof(fields));
	else
		snprintf(fields, sizeof(fields), "[type %u, %u bytes]", type, ev->size);
	if (cli_json) {
		printf("{\"pid\":%d,\"cpu\":%d,\"ts_ns\":%llu,\"event\":", pid, ev->cpu,
		       (unsigned long long)ev->ts);
		cli_json_str(stdout, f ? f->name : "unknown", strlen(f ? f->name : "unknown"));
		printf(",\"fields\":");
		cli_json_str(stdout, fields, strlen(fields));
		if (printf("}\n") < 0) {
			t->out_error = errno ? errno : EIO;
			return -EPIPE;
		}
	} else if (printf("%8d [%03d] %llu.%06llu: %s: %s\n", pid, ev->cpu,
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "interval", required_argument, NULL, 'i' },
		{ "stats", no_argument, NULL, 's' },
		CLI_COMMON_OPTIONS,
	};
	const char *events[MAX_EVENTS];
	int nevents = 0, cpus[MAX_CPUS], ncpus = 0, opt, r, rc = 1, show_stats = 0;
	double duration = 0, t_end = 0;
	long buffer_kb = 1024, interval_ms = 100;
	char tracefs[PATH_MAX], path[PATH_MAX + 256], num[32];
	struct ringbuf_consumer *c = NULL;
	struct trace_ctx *t;
	struct sigaction sa;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":e:c:d:n:b:i:sjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (nevents == MAX_EVENTS || !strchr(optarg, ':'))
				return cli_usage("trace", "invalid --event '%s' (want SYS:NAME)", optarg);
			events[nevents++] = optarg;
			break;
		case 'c': {
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 0 || v >= 65536 || ncpus == MAX_CPUS)
				return cli_usage("trace", "invalid --cpu '%s'", optarg);
			cpus[ncpus++] = (int)v;
			break;
		}
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || end == optarg || duration <= 0)
				return cli_usage("trace", "invalid --duration '%s'", optarg);
			break;
		case 'n': {
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end || end == optarg || v == 0 || optarg[0] == '-')
				return cli_usage("trace", "invalid --count '%s'", optarg);
			(void)v;
			break;
		}
		case 'b':
			buffer_kb = strtol(optarg, &end, 10);
			if (*end || end == optarg || buffer_kb <= 0 || buffer_kb > (1L << 22))
				return cli_usage("trace", "invalid --buffer-kb '%s'", optarg);
			break;
		case 'i':
			interval_ms = strtol(optarg, &end, 10);
			if (*end || end == optarg || interval_ms < 0 || interval_ms > 60000)
				return cli_usage("trace", "invalid --interval '%s'", optarg);
			break;
		case 's':
			show_stats = 1;
			break;
		case 'j':
			cli_json = 1;
			break;
		case 'h':
			fputs(trace_help, stdout);
			return 0;
		default:
			return cli_bad_option(argv[0], argv, opt);
		}
	}
	if (optind < argc)
		return cli_usage("trace", "unexpected argument '%s'", argv[optind]);
	if (!nevents)
		events[nevents++] = "sched:sched_switch";

	t = calloc(1, sizeof(*t));
	if (!t)
		return 1;
	/* Re-parse --count now that we know it is valid. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":e:c:d:n:b:i:sjh", opts, NULL)) != -1)
		if (opt == 'n')
			t->max_count = strtoull(optarg, NULL, 10);

	r = rb_ft_find_tracefs(NULL, 1, tracefs, sizeof(tracefs));
	if (r < 0) {
		cli_errf("trace", NULL, "tracefs not found and not mountable: %s", cli_strerror(-r));
		free(t);
		return 1;
	}
	t->fmts.tracefs = tracefs;

	/* Signals: stop the loop and clean up; a closed pipe shows as EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(inst_dir, sizeof(inst_dir), "%s/instances/ringbuf-%d", tracefs, (int)getpid());
	if (mkdir(inst_dir, 0700) != 0) {
		cli_errf("trace", NULL, "cannot create %s: %s", inst_dir, cli_strerror(errno));
		inst_dir[0] = 0;
		free(t);
		return 1;
	}
	snprintf(num, sizeof(num), "%ld", buffer_kb);
	if ((r = inst_write("buffer_size_kb", num)) < 0)
		cli_errf("trace", NULL, "buffer_size_kb: %s", cli_strerror(-r));
	inst_write("buffer_percent", "0");          /* wake on any data */
	fmt_add(&t->fmts, "ftrace", "print");       /* trace_marker */

	for (int i = 0; i < nevents; i++) {
		char sys[128], name[128];
		const char *colon = strchr(events[i], ':');
		size_t sl = (size_t)(colon - events[i]);

		if (sl == 0 || sl >= sizeof(sys) || strlen(colon + 1) == 0 ||
		    strlen(colon + 1) >= sizeof(name) || strchr(colon + 1, '/') || memchr(events[i], '/', sl)) {
			cli_errf("trace", NULL, "bad --event '%s'", events[i]);
			rc = 2;
			goto out;
		}
		memcpy(sys, events[i], sl);
		sys[sl] = 0;
		snprintf(name, sizeof(name), "%s", colon + 1);
		if (!strcmp(name, "*")) {
			r = fmt_add_system(&t->fmts, sys);
			snprintf(path, sizeof(path), "events/%s/enable", sys);
		} else {
			r = fmt_add(&t->fmts, sys, name);
			snprintf(path, sizeof(path), "events/%s/%s/enable", sys, name);
		}
		if (r < 0) {
			cli_errf("trace", NULL, "no event %s: %s", events[i], cli_strerror(-r));
			rc = r == -ENOENT ? 2 : 1;
			goto out;
		}
		if (!strcmp(sys, "ftrace"))
			continue;           /* always on, no enable file */
		if ((r = inst_write(path, "1")) < 0) {
			cli_errf("trace", NULL, "cannot enable %s: %s", events[i], cli_strerror(-r));
			goto out;
		}
	}

	c = ringbuf_consumer_new();
	if (!c) {
		cli_errf("trace", NULL, "%s", cli_strerror(errno));
		goto out;
	}
	{
		RINGBUF_FTRACE_OPTS(o, .tracefs = tracefs, .merge = true);
		char inst[64];

		snprintf(inst, sizeof(inst), "ringbuf-%d", (int)getpid());
		o.instance = inst;
		if (ncpus) {
			o.cpus = cpus;
			o.ncpus = ncpus;
		}
		r = ringbuf_consumer_add_ftrace(c, &o, on_event, t);
		if (r < 0) {
			cli_errf("trace", NULL, "cannot map the ftrace buffers: %s%s", cli_strerror(-r),
				r == -ENODEV || r == -EINVAL ? " (needs Linux 6.10+)" : "");
			goto out;
		}
	}
	inst_write("tracing_on", "1");

	if (duration > 0)
		t_end = now_s() + duration;
	rc = 0;
	while (!stop_sig) {
		int ms = 200;

		if (duration > 0) {
			double left = t_end - now_s();

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		r = ringbuf_consumer_poll(c, ms);
		if (r == -EINTR)
			continue;
		if (r == -ECANCELED)
			break;
		if (r == -EPIPE) {
			if (t->out_error != EPIPE) {
				cli_errf("trace", NULL, "write: %s", cli_strerror(t->out_error));
				rc = 1;
			}
			break;
		}
		if (r < 0) {
			cli_errf("trace", NULL, "%s", cli_strerror(-r));
			rc = 1;
			break;
		}
		if (fflush(stdout) != 0) {
			if (errno != EPIPE) {
				cli_errf("trace", NULL, "write: %s", cli_strerror(errno));
				rc = 1;
			}
			break;
		}
		if (r > 0 && interval_ms > 0) {
			/* Let a batch build up (a signal cuts the wait short). */
			struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };

			if (duration > 0 && (t_end - now_s()) * 1000 < interval_ms)
				continue;
			nanosleep(&ts, NULL);
		}
	}
	inst_write("tracing_on", "0");
	if (rc == 0 && fflush(stdout) != 0 && errno != EPIPE)
		rc = 1;
	if (show_stats) {
		RINGBUF_FTRACE_STATS(st);

		if (ringbuf_consumer_ftrace_stats(c, -1, &st) > 0)
			fprintf(stderr, "events %llu, bytes %llu, lost %llu, sub-buffers %llu, "
				"GET_READER %llu, corrupt %llu\n",
				(unsigned long long)st.events, (unsigned long long)st.bytes,
				(unsigned long long)st.lost_events, (unsigned long long)st.subbufs,
				(unsigned long long)st.get_reader_calls,
				(unsigned long long)st.corrupt_events);
	}
out:
	ringbuf_consumer_free(c);   /* unmaps and closes: the instance can go */
	remove_instance();
	free(t->fmts.f);
	free(t);
	return rc;
}
