// SPDX-License-Identifier: MIT
/*
 * ringbuf — create, inspect, read, write and remove named rings, and run the
 * benchmark. One function per subcommand; shared helpers in cli.h. Only the
 * public API (ringbuf.h) and the published shared-memory format
 * (ringbuf_format.h, for `stat`'s producer and consumer list) are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>
#include <ringbuf_format.h>

#include "bench.h"
#include "cli.h"

/* Subcommands other engineers provide; absent from some builds. */
int cmd_dump(int argc, char **argv) __attribute__((weak));
int cmd_trace(int argc, char **argv) __attribute__((weak));

static volatile sig_atomic_t stop_requested;
static void report_ring_error(const char *subcmd, const char *name, int err);

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGINT/SIGTERM end --follow loops cleanly (no SA_RESTART: poll returns
 * EINTR). */
static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

/* ---- create ---- */

static const char create_help[] =
"Usage: ringbuf create NAME --size SIZE [--overwrite] [--mode MODE]\n"
"Create a named ring that other processes open by NAME.\n"
"A NAME without '/' is a POSIX shared memory object, a path is a file.\n"
"\n"
"  -s, --size SIZE   data bytes: a power of two, a multiple of the page\n"
"                    size; suffixes K, M, G (powers of 1024). Default 1M\n"
"  -o, --overwrite   when full, producers overwrite the oldest records\n"
"  -m, --mode MODE   permissions, octal (default 0600)\n"
"  -h, --help        show this help\n";

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "overwrite", no_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t size = 1 << 20, mode = 0600;
	int c, overwrite = 0;
	const char *name;
	struct ringbuf *rb;

	while ((c = getopt_long(argc, argv, "s:om:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_size(optarg, &size))
				return cli_usage(argv[0], "invalid size '%s' (examples: 4096, 64K, 16M, 1G)", optarg);
			break;
		case 'o': overwrite = 1; break;
		case 'm':
			if (cli_parse_u64(optarg, 8, &mode) || mode > 07777)
				return cli_usage(argv[0], "invalid mode '%s' (octal, e.g. 0640)", optarg);
			break;
		case 'h': fputs(create_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	{
		long page = sysconf(_SC_PAGESIZE);

		if (size < (uint64_t)page || (size & (size - 1)) || size % (uint64_t)page ||
		    size > (1ULL << 32))
			return cli_usage(argv[0], "invalid size %llu: must be a power of two between the page size (%ld) and 4G",
					 (unsigned long long)size, page);
	}
	RINGBUF_OPTS(o, .flags = overwrite ? RINGBUF_F_OVERWRITE : 0, .mode = (uint32_t)mode);
	rb = ringbuf_create(name, size, &o);
	if (!rb) {
		report_ring_error(argv[0], name, errno);
		return CLI_EXIT_FAIL;
	}
	ringbuf_free(rb);
	return CLI_EXIT_OK;
}

/* ---- open helpers ---- */

/* "ringbuf SUBCMD: NAME: cause (library detail)". */
static void report_ring_error(const char *subcmd, const char *name, int err)
{
	const char *detail = ringbuf_strerror_detail();

	if (err == EOPNOTSUPP)
		cli_errf(subcmd, name, "named rings are not available in this build (%s)", strerror(err));
	else if (err == EBADMSG || err == EPROTO)
		cli_errf(subcmd, name, "not a ring (%s)%s%s", strerror(err),
			 detail && *detail ? ": " : "", detail ? detail : "");
	else if (detail && *detail)
		cli_errf(subcmd, name, "%s (%s)", strerror(err), detail);
	else
		cli_err(subcmd, name, err);
}

static struct ringbuf *open_ring(const char *subcmd, const char *name, int role)
{
	struct ringbuf *rb = ringbuf_open(name, role);

	if (!rb) {
		int err = errno;

		report_ring_error(subcmd, name, err);
	}
	return rb;
}

/* Map the meta page of a named ring read-only, to list its producers and
 * consumer (published format, ringbuf_format.h). NULL when not possible. */
static const struct ringbuf_meta *map_meta(const char *name, size_t *len)
{
	char path[4096];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const struct ringbuf_meta *m;
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/dev/shm/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	if (m->magic != RINGBUF_MAGIC) {
		munmap((void *)m, page);
		return NULL;
	}
	*len = page;
	return m;
}

/* ---- stat ---- */

/* The pid of producer slot i, 0 when free or when it is us. */
static uint32_t slot_pid(const struct ringbuf_meta *m, int i)
{
	uint32_t pid = m->producers[i].pid & ~RINGBUF_OWNER_INIT;

	return pid == (uint32_t)getpid() ? 0 : pid;
}

static const char stat_help[] =
"Usage: ringbuf stat [--json] NAME\n"
"Show a ring: size, flags, positions, available bytes, statistics, the\n"
"attached producers and consumer. Does not consume anything.\n"
"\n"
"  -j, --json   one JSON object instead of text\n"
"  -h, --help   show this help\n";

static int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ringbuf_stats st = { .sz = sizeof(st) };
	const struct ringbuf_meta *m;
	size_t mlen = 0;
	char b1[32];
	int c, json = 0, err, np = 0;
	const char *name;
	struct ringbuf *rb;
	uint64_t size, cons, prod, pend, over, avail;
	int overwrite;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(stat_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	/* There is no observer role: attach as a producer (which takes
	 * nothing from the ring) and leave ourselves out of the list. */
	rb = open_ring(argv[0], name, RINGBUF_PRODUCER);
	if (!rb)
		return CLI_EXIT_FAIL;
	err = ringbuf_get_stats(rb, &st);
	if (err) {
		cli_err(argv[0], name, err);
		ringbuf_free(rb);
		return CLI_EXIT_FAIL;
	}
	size = ringbuf_query(rb, RINGBUF_RING_SIZE);
	cons = ringbuf_query(rb, RINGBUF_CONS_POS);
	prod = ringbuf_query(rb, RINGBUF_PROD_POS);
	pend = ringbuf_query(rb, RINGBUF_PENDING_POS);
	over = ringbuf_query(rb, RINGBUF_OVERWRITE_POS);
	avail = ringbuf_query(rb, RINGBUF_AVAIL_DATA);
	m = map_meta(name, &mlen);
	overwrite = m ? !!(m->flags & RINGBUF_F_OVERWRITE) : over != cons && over != 0;

	if (json) {
		printf("{\"name\":");
		cli_json_str(stdout, name, strlen(name));
		printf(",\"size\":%llu,\"overwrite\":%s,\"consumer_pos\":%llu,\"producer_pos\":%llu,"
		       "\"pending_pos\":%llu,\"overwrite_pos\":%llu,\"available\":%llu,",
		       (unsigned long long)size, overwrite ? "true" : "false",
		       (unsigned long long)cons, (unsigned long long)prod,
		       (unsigned long long)pend, (unsigned long long)over,
		       (unsigned long long)avail);
		printf("\"stats\":{\"delivered_records\":%llu,\"delivered_bytes\":%llu,"
		       "\"discarded_records\":%llu,\"dropped_records\":%llu,\"orphaned_records\":%llu,"
		       "\"corrupt_events\":%llu,\"overwritten_records\":%llu,\"overwritten_bytes\":%llu,"
		       "\"wakeups\":%llu}",
		       (unsigned long long)st.delivered_records, (unsigned long long)st.delivered_bytes,
		       (unsigned long long)st.discarded_records, (unsigned long long)st.dropped_records,
		       (unsigned long long)st.orphaned_records, (unsigned long long)st.corrupt_events,
		       (unsigned long long)st.overwritten_records, (unsigned long long)st.overwritten_bytes,
		       (unsigned long long)st.wakeups);
		if (m) {
			printf(",\"mode\":\"0%o\",\"consumer_pid\":%u,\"producers\":[",
			       m->mode, m->consumer_pid);
			for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
				if (slot_pid(m, i))
					printf("%s%u", np++ ? "," : "", slot_pid(m, i));
			printf("]");
		}
		printf("}\n");
	} else {
		printf("ring:          %s\n", name);
		printf("size:          %s (%llu bytes)\n", cli_fmt_size(size, b1, sizeof(b1)),
		       (unsigned long long)size);
		printf("flags:         %s\n", overwrite ? "overwrite" : "-");
		if (m)
			printf("mode:          0%o\n", m->mode);
		printf("consumer_pos:  %llu\n", (unsigned long long)cons);
		printf("producer_pos:  %llu\n", (unsigned long long)prod);
		printf("pending_pos:   %llu\n", (unsigned long long)pend);
		if (overwrite)
			printf("overwrite_pos: %llu\n", (unsigned long long)over);
		printf("available:     %llu bytes (%.1f%% full)\n", (unsigned long long)avail,
		       size ? 100.0 * (double)avail / (double)size : 0.0);
		printf("delivered:     %llu records, %llu bytes\n",
		       (unsigned long long)st.delivered_records, (unsigned long long)st.delivered_bytes);
		printf("discarded:     %llu records\n", (unsigned long long)st.discarded_records);
		printf("dropped:       %llu records (ring full)\n", (unsigned long long)st.dropped_records);
		printf("orphaned:      %llu records (dead producers)\n", (unsigned long long)st.orphaned_records);
		printf("corrupt:       %llu events\n", (unsigned long long)st.corrupt_events);
		if (overwrite)
			printf("overwritten:   %llu records, %llu bytes\n",
			       (unsigned long long)st.overwritten_records,
			       (unsigned long long)st.overwritten_bytes);
		printf("wakeups:       %llu\n", (unsigned long long)st.wakeups);
		if (m) {
			if (m->consumer_pid)
				printf("consumer:      pid %u\n", m->consumer_pid);
			else
				printf("consumer:      none\n");
			for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
				if (slot_pid(m, i))
					printf("producer:      pid %u\n", slot_pid(m, i)), np++;
			if (!np)
				printf("producers:     none\n");
		}
	}
	if (m)
		munmap((void *)m, mlen);
	ringbuf_free(rb);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return CLI_EXIT_OK;
}

/* ---- cat ---- */

static const char cat_help[] =
"Usage: ringbuf cat [--follow] [--format FMT] [--count N] NAME\n"
"Consume the records of a ring and print them, oldest first.\n"
"Consumed records are gone from the ring. One consumer per ring at a time.\n"
"\n"
"  -f, --follow        keep waiting for new records (until SIGINT/SIGTERM)\n"
"  -F, --format FMT    text (default: payload, non-printable bytes as \\xNN,\n"
"                      one line per record), hex, json (one object per line),\n"
"                      binary (u32 little-endian length + payload, what\n"
"                      'ringbuf write --binary' reads)\n"
"  -n, --count N       stop after N records\n"
"  -h, --help          show this help\n"
"Exit status 0 also when the reader of standard output goes away.\n";

struct cat_ctx {
	enum cli_format fmt;
	uint64_t n, max;
	int out_err;
};

static int cat_record(void *vctx, void *data, size_t size)
{
	struct cat_ctx *ctx = vctx;

	if (cli_print_record(stdout, ctx->fmt, ctx->n, data, size) < 0) {
		ctx->out_err = errno;
		return -EPIPE;
	}
	if (++ctx->n >= ctx->max)
		return -ECANCELED; /* counted as consumed: exactly max records */
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cat_ctx ctx = { .fmt = CLI_FMT_TEXT, .max = UINT64_MAX };
	int c, follow = 0, ret, rc = CLI_EXIT_OK;
	const char *name;
	struct ringbuf *rb;

	while ((c = getopt_long(argc, argv, "fF:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = 1; break;
		case 'F':
			if (cli_parse_format(optarg, &ctx.fmt))
				return cli_usage(argv[0], "invalid format '%s' (text, hex, json, binary)", optarg);
			break;
		case 'n':
			if (cli_parse_u64(optarg, 10, &ctx.max))
				return cli_usage(argv[0], "invalid count '%s'", optarg);
			break;
		case 'h': fputs(cat_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	if (ctx.max == 0)
		return CLI_EXIT_OK;
	rb = open_ring(argv[0], name, RINGBUF_CONSUMER);
	if (!rb)
		return CLI_EXIT_FAIL;
	catch_stop_signals();
	for (;;) {
		if (follow)
			ret = ringbuf_poll(rb, cat_record, &ctx, 500);
		else
			ret = ringbuf_consume(rb, cat_record, &ctx);
		if (ret == -EPIPE && ctx.out_err) {
			errno = ctx.out_err;
			rc = cli_output_failed(argv[0]);
			break;
		}
		if (ret == -ECANCELED)
			break;
		if (ret == -EINTR)
			ret = 0;
		if (ret < 0) {
			cli_err(argv[0], name, ret);
			rc = CLI_EXIT_FAIL;
			break;
		}
		if (!follow || stop_requested)
			break;
		if (ret > 0 && cli_flush(stdout)) {
			rc = cli_output_failed(argv[0]);
			break;
		}
	}
	ringbuf_free(rb);
	if (rc == CLI_EXIT_OK && !ctx.out_err && cli_flush(stdout))
		rc = cli_output_failed(argv[0]);
	return rc;
}

/* ---- write ---- */

static const char write_help[] =
"Usage: ringbuf write [--binary] [--wait] [--flags FLAGS] NAME\n"
"Write records read from standard input into a ring: one record per line\n"
"(without its newline), or with --binary a u32 little-endian length then\n"
"that many bytes per record (what 'ringbuf cat --format binary' prints).\n"
"\n"
"  -b, --binary        length-prefixed records\n"
"  -w, --wait          when the ring is full, wait for the consumer instead\n"
"                      of failing\n"
"      --no-wakeup     commit with RINGBUF_NO_WAKEUP\n"
"  -h, --help          show this help\n"
"Exit status 1 when the ring is full (without --wait), or a record is\n"
"larger than the ring.\n";

static int write_one(const char *subcmd, const char *name, struct ringbuf *rb,
		     const void *p, size_t len, int wait, uint64_t flags, uint64_t nrec)
{
	struct timespec ts = { 0, 100000 };

	for (;;) {
		int err = ringbuf_output(rb, p, len, flags);

		if (!err)
			return 0;
		if (err == -ENOSPC && wait && !stop_requested) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (err == -ENOSPC)
			cli_errf(subcmd, name, "ring is full after %llu records (%s); use --wait to wait for a consumer",
				 (unsigned long long)nrec, strerror(ENOSPC));
		else if (err == -E2BIG)
			cli_errf(subcmd, name, "record %llu of %zu bytes can never fit (%s)",
				 (unsigned long long)nrec, len, strerror(E2BIG));
		else
			cli_err(subcmd, name, err);
		return -1;
	}
}

static int cmd_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "binary", no_argument, NULL, 'b' },
		{ "wait", no_argument, NULL, 'w' },
		{ "no-wakeup", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, binary = 0, wait = 0, rc = CLI_EXIT_OK;
	uint64_t flags = 0, nrec = 0;
	const char *name;
	struct ringbuf *rb;
	char *buf = NULL;
	size_t cap = 0;

	while ((c = getopt_long(argc, argv, "bwh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': binary = 1; break;
		case 'w': wait = 1; break;
		case 'N': flags = RINGBUF_NO_WAKEUP; break;
		case 'h': fputs(write_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	rb = open_ring(argv[0], name, RINGBUF_PRODUCER);
	if (!rb)
		return CLI_EXIT_FAIL;
	catch_stop_signals();
	while (!stop_requested) {
		size_t len;

		if (binary) {
			unsigned char le[4];
			size_t got = fread(le, 1, 4, stdin);

			if (got == 0 && feof(stdin))
				break;
			if (got != 4) {
				if (ferror(stdin))
					cli_errf(argv[0], name, "standard input: %s", strerror(errno));
				else
					cli_errf(argv[0], name, "standard input: truncated length prefix after %llu records",
						 (unsigned long long)nrec);
				rc = CLI_EXIT_FAIL;
				break;
			}
			len = (size_t)le[0] | (size_t)le[1] << 8 | (size_t)le[2] << 16 | (size_t)le[3] << 24;
			if (len > ringbuf_query(rb, RINGBUF_RING_SIZE)) {
				cli_errf(argv[0], name, "record %llu of %zu bytes can never fit (%s)",
					 (unsigned long long)nrec, len, strerror(E2BIG));
				rc = CLI_EXIT_FAIL;
				break;
			}
			if (len > cap) {
				char *nb = realloc(buf, len);

				if (!nb) {
					cli_err(argv[0], name, ENOMEM);
					rc = CLI_EXIT_FAIL;
					break;
				}
				buf = nb;
				cap = len;
			}
			if (fread(buf, 1, len, stdin) != len) {
				cli_errf(argv[0], name, "standard input: truncated record %llu (%zu bytes expected)",
					 (unsigned long long)nrec, len);
				rc = CLI_EXIT_FAIL;
				break;
			}
		} else {
			ssize_t n = getline(&buf, &cap, stdin);

			if (n < 0) {
				if (ferror(stdin)) {
					cli_errf(argv[0], name, "standard input: %s", strerror(errno));
					rc = CLI_EXIT_FAIL;
				}
				break;
			}
			len = (size_t)n;
			if (len && buf[len - 1] == '\n')
				len--;
		}
		if (write_one(argv[0], name, rb, buf, len, wait, flags, nrec)) {
			rc = CLI_EXIT_FAIL;
			break;
		}
		nrec++;
	}
	free(buf);
	ringbuf_free(rb);
	return rc;
}

/* ---- rm ---- */

static const char rm_help[] =
"Usage: ringbuf rm [--force] NAME...\n"
"Remove named rings. Processes that have a ring open keep using it.\n"
"\n"
"  -f, --force   no error for rings that do not exist\n"
"  -h, --help    show this help\n";

static int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, force = 0, rc = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'h': fputs(rm_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage(argv[0], "expected at least one ring NAME");
	for (int i = optind; i < argc; i++) {
		int err = ringbuf_unlink(argv[i]);

		if (!err || (force && err == -ENOENT))
			continue;
		if (err == -EOPNOTSUPP)
			cli_errf(argv[0], argv[i], "named rings are not available in this build (%s)",
				 strerror(EOPNOTSUPP));
		else
			cli_err(argv[0], argv[i], err);
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}

/* ---- dump, trace: provided by other files when built in ---- */

/* A subcommand another file provides when built in (weak symbol): run it,
 * or say clearly that this build lacks it. */
static int run_optional(int (*fn)(int, char **), int argc, char **argv, const char *usage)
{
	if (fn)
		return fn(argc, argv);
	if (want_help(argc, argv)) {
		puts(usage);
		return CLI_EXIT_OK;
	}
	cli_errf(argv[0], NULL, "not available in this build");
	return CLI_EXIT_FAIL;
}

static int cmd_dump_stub(int argc, char **argv)
{
	return run_optional(cmd_dump, argc, argv,
			    "Usage: ringbuf dump NAME\nSnapshot an overwrite-mode ring (not available in this build).");
}

static int cmd_trace_stub(int argc, char **argv)
{
	return run_optional(cmd_trace, argc, argv,
			    "Usage: ringbuf trace\nRead kernel ftrace ring buffers (not available in this build).");
}

/* ---- main ---- */

static const struct subcmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} subcmds[] = {
	{ "create", cmd_create, "create a named ring" },
	{ "stat", cmd_stat, "show a ring's size, positions, statistics, producers" },
	{ "cat", cmd_cat, "consume records and print them" },
	{ "write", cmd_write, "write records from standard input" },
	{ "dump", cmd_dump_stub, "print the newest records of an overwrite ring (no consume)" },
	{ "trace", cmd_trace_stub, "read kernel ftrace ring buffers" },
	{ "rm", cmd_rm, "remove named rings" },
	{ "bench", bench_main, "benchmark user rings against the kernel ring buffer and others" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: ringbuf COMMAND [OPTIONS] [ARGS]\n"
		     "       ringbuf --version | --help\n"
		     "Tool of libringbuf, the Linux BPF ring buffer in user space.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(out, "  %-8s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(out, "\n'ringbuf COMMAND --help' describes each command; see also ringbuf(1).\n");
}

int main(int argc, char **argv)
{
	cli_init("ringbuf");
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("ringbuf %s (libringbuf %s)\n", RINGBUF_VERSION_STRING, ringbuf_version());
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (!strcmp(argv[1], subcmds[i].name)) {
			optind = 1;
			return subcmds[i].fn(argc - 1, argv + 1);
		}
	return cli_usage(NULL, "unknown command '%s'", argv[1]);
}
