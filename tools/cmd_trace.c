// SPDX-License-Identifier: MIT
/*
 * ringbuf trace — a small zero-copy `trace-cmd stream`: enable events in a
 * tracefs instance of our own, read its per-CPU buffers through the mmap
 * source (ringbuf_consumer_add_ftrace, merged in timestamp order) and print
 * each event decoded by its format file. The instance is removed on exit,
 * also on SIGINT/SIGTERM/SIGHUP and when the reader of stdout goes away.
 *
 * Public API only: the instance's setup and the events' decoding by their
 * format files are the tool's own (tracefs.c).
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

#include "cli.h"
#include "rings.h"
#include "trace_print.h"
#include "tracefs.h"

#define MAX_EVENTS 32
#define MAX_CPUS   256

static const char trace_help[] =
"Usage: ringbuf trace [--event [SYS:]NAME]... [--cpu N]... [--duration S]\n"
"                     [--count N] [--buffer-kb K] [--interval MS] [--stats]\n"
"       ringbuf trace --list-events [PATTERN]\n"
"       ringbuf trace --reset\n"
"Enable kernel trace events in a private tracefs instance\n"
"(ringbuf-PID-STARTTIME-PIDNS) and print them as they happen, read zero-copy from\n"
"the mmap'ed per-CPU ftrace ring buffers (Linux 6.10+), all CPUs merged in\n"
"timestamp order. The instance is removed on exit. Needs root.\n"
"\n"
"  -e, --event [SYS:]NAME  event to enable (repeatable): sched:sched_switch,\n"
"                        sched_switch (the system is looked up), or SYS:*\n"
"                        for a whole system. Default sched:sched_switch\n"
"  -c, --cpu N           read only CPU N (repeatable). Default: all\n"
"  -d, --duration S      stop after S seconds (decimals allowed)\n"
"  -n, --count N         stop after N events\n"
"  -b, --buffer-kb K     per-CPU buffer size of the instance (default 1024)\n"
"  -i, --interval MS     after a batch, wait MS before waking again, so that\n"
"                        tracing the scheduler does not feed on our own\n"
"                        wakeups (default 100; 0: wake on every event)\n"
"  -s, --stats           print the per-source statistics to stderr at the end\n"
"  -l, --list-events     list the events this kernel offers (SYS:NAME), only\n"
"                        those containing PATTERN when given, and exit\n"
"  -R, --reset           remove the tracefs instances left by ringbuf trace\n"
"                        processes that are gone (after a kill -9), and exit\n"
"  -j, --json            one JSON object per event (errors as JSON too)\n"
"  -h, --help            show this help\n"
"\n"
"Writes to the instance's own trace_marker\n"
"(TRACEFS/instances/ringbuf-.../trace_marker) are shown as ftrace:print\n"
"events; the global trace_marker goes to the top-level buffer, not here.\n"
"\n"
"Output, as 'trace-cmd report' prints the common fields:\n"
"  COMM-PID [CPU] SECONDS.USEC: EVENT: field=value ...\n"
"with sched_switch's prev_state as the kernel prints it (R, S, D, R+, ...).\n"
"Exit status: 0 done (also on Ctrl-C or a closed pipe), 1 error, 2 usage.\n";

static volatile sig_atomic_t stop_sig;
static char inst_dir[PATH_MAX + 512];
static char inst_name[96];

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int inst_write(const char *file, const char *val)
{
	char path[PATH_MAX + 512];

	/* Cannot be too long for the names we write; checked, since GCC
	 * cannot tell once the write is no longer inlined here. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", inst_dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	return tracefs_write(path, val);
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

/* Is CPU n one the tracefs knows? */
static int cpu_exists(const char *tracefs, int n)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/per_cpu/cpu%d", tracefs, n);
	return access(path, F_OK) == 0;
}

/* "sched_switch" without its system: the one system that has it. */
static int find_system(const char *tracefs, const char *name, char *sys, size_t len)
{
	char path[PATH_MAX * 2];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/events", tracefs);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, de->d_name, name);
		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			if (found++) {
				closedir(d);
				return -EEXIST;  /* in two systems: ambiguous */
			}
			snprintf(sys, len, "%.*s", (int)len - 1, de->d_name);
		}
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

static int list_events(const char *tracefs, const char *pattern)
{
	char path[PATH_MAX + 32], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/available_events", tracefs);
	f = fopen(path, "re");
	if (!f) {
		cli_errf("trace", path, "%s", cli_strerror(errno));
		return CLI_EXIT_FAIL;
	}
	while (getline(&line, &cap, f) > 0)
		if (!pattern || strstr(line, pattern))
			fputs(line, stdout);
	free(line);
	fclose(f);
	return cli_flush(stdout) ? cli_output_failed("trace") : CLI_EXIT_OK;
}

/* Our instance's name: ringbuf-PID-STARTTIME-PIDNS, so that --reset can
 * tell a live owner from a dead one whose pid was reused, and leaves alone
 * an owner in another pid namespace, whose pid means nothing here. */
static void instance_name(char *buf, size_t len)
{
	pid_t pid = getpid();

	snprintf(buf, len, "ringbuf-%d-%llu-%llu", (int)pid,
		 (unsigned long long)ring_proc_start(pid), (unsigned long long)ring_pidns());
}

/* trace --reset: remove the instances of ringbuf trace processes that are
 * gone. Returns an exit code. */
static int reset_instances(const char *tracefs)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	int rc = CLI_EXIT_OK, n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", tracefs);
	d = opendir(path);
	if (!d) {
		cli_errf("trace", path, "%s", cli_strerror(errno));
		return CLI_EXIT_FAIL;
	}
	while ((de = readdir(d))) {
		unsigned long long start = 0, ns = 0;
		int pid = 0, fields;
		const char *why = NULL;

		fields = sscanf(de->d_name, "ringbuf-%d-%llu-%llu", &pid, &start, &ns);
		if (strncmp(de->d_name, "ringbuf-", 8) || fields < 1 || pid <= 0)
			continue;
		if (fields == 3 && ns && ring_pidns() && ns != ring_pidns()) {
			printf("kept %s: its process is in another pid namespace\n", de->d_name);
			continue;
		}
		if (kill(pid, 0) && errno == ESRCH)
			why = "process gone";
		else if (fields >= 2 && start && ring_proc_start(pid) && ring_proc_start(pid) != start)
			why = "pid reused by another process";
		if (!why) {
			printf("kept %s: process %d is alive\n", de->d_name, pid);
			continue;
		}
		snprintf(inst_dir, sizeof(inst_dir), "%s/instances/%s", tracefs, de->d_name);
		remove_instance();
		snprintf(path, sizeof(path), "%s/instances/%s", tracefs, de->d_name);
		if (access(path, F_OK) == 0) {
			rc = CLI_EXIT_FAIL;
		} else {
			printf("removed %s (%s)\n", de->d_name, why);
			n++;
		}
	}
	closedir(d);
	if (!n)
		printf("no stale instances\n");
	return rc;
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
		{ "list-events", no_argument, NULL, 'l' },
		{ "reset", no_argument, NULL, 'R' },
		CLI_COMMON_OPTIONS,
	};
	const char *events[MAX_EVENTS];
	int nevents = 0, cpus[MAX_CPUS], ncpus = 0, opt, r, rc = 1, show_stats = 0, list = 0, reset = 0;
	double duration = 0, t_end = 0;
	long buffer_kb = 1024, interval_ms = 100;
	char tracefs[PATH_MAX], path[PATH_MAX + 256], num[32];
	struct ringbuf_consumer *c = NULL;
	struct trace_ctx *t;
	struct sigaction sa;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":e:c:d:n:b:i:slRjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (nevents == MAX_EVENTS || !*optarg)
				return cli_usage("trace", "invalid --event '%s' (want [SYS:]NAME)", optarg);
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
		case 'l':
			list = 1;
			break;
		case 'R':
			reset = 1;
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
	if (optind < argc - (list && optind == argc - 1))
		return cli_usage("trace", "unexpected argument '%s'", argv[optind]);
	if (list || reset) {
		r = tracefs_find(tracefs, sizeof(tracefs));
		if (r < 0) {
			cli_errf("trace", NULL, "tracefs not found and not mountable: %s", cli_strerror(r));
			return CLI_EXIT_FAIL;
		}
		return list ? list_events(tracefs, optind < argc ? argv[optind] : NULL)
			    : reset_instances(tracefs);
	}
	if (!nevents)
		events[nevents++] = "sched:sched_switch";

	t = calloc(1, sizeof(*t));
	if (!t)
		return 1;
	/* Re-parse --count now that we know it is valid. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":e:c:d:n:b:i:slRjh", opts, NULL)) != -1)
		if (opt == 'n')
			t->max_count = strtoull(optarg, NULL, 10);

	r = tracefs_find(tracefs, sizeof(tracefs));
	if (r < 0) {
		cli_errf("trace", NULL, "tracefs not found and not mountable: %s", cli_strerror(-r));
		free(t);
		return 1;
	}
	t->fmts.tracefs = tracefs;
	for (int i = 0; i < ncpus; i++)
		if (!cpu_exists(tracefs, cpus[i])) {
			free(t);
			return cli_usage("trace", "no CPU %d", cpus[i]);
		}

	/* Signals: stop the loop and clean up; a closed pipe shows as EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	instance_name(inst_name, sizeof(inst_name));
	snprintf(inst_dir, sizeof(inst_dir), "%s/instances/%s", tracefs, inst_name);
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
		size_t sl;

		if (!colon) {
			char found[128];

			r = find_system(tracefs, events[i], found, sizeof(found));
			if (r < 0) {
				if (r == -EEXIST)
					cli_errf("trace", NULL, "event %s is in several systems: say SYS:%s",
						 events[i], events[i]);
				else
					cli_errf("trace", NULL, "no event %s (see --list-events)", events[i]);
				rc = 2;
				goto out;
			}
			snprintf(sys, sizeof(sys), "%s", found);
			snprintf(name, sizeof(name), "%s", events[i]);
			goto have_name;
		}
		sl = (size_t)(colon - events[i]);

		if (sl == 0 || sl >= sizeof(sys) || strlen(colon + 1) == 0 ||
		    strlen(colon + 1) >= sizeof(name) || strchr(colon + 1, '/') || memchr(events[i], '/', sl)) {
			cli_errf("trace", NULL, "bad --event '%s'", events[i]);
			rc = 2;
			goto out;
		}
		memcpy(sys, events[i], sl);
		sys[sl] = 0;
		snprintf(name, sizeof(name), "%s", colon + 1);
have_name:
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
		o.instance = inst_name;
		if (ncpus) {
			o.cpus = cpus;
			o.ncpus = ncpus;
		}
		r = ringbuf_consumer_add_ftrace(c, &o, trace_on_event, t);
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
