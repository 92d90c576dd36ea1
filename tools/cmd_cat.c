// SPDX-License-Identifier: MIT
/*
 * ringbuf cat — consume the records of a ring (named, or a kernel BPF ring
 * buffer) and print them. With --follow it waits for more, and ends when
 * the ring is removed or the reader of standard output goes away.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"
#include "rings.h"

static const char cat_help[] =
"Usage: ringbuf cat [--follow] [--format FMT] [--count N] NAME\n"
"       ringbuf cat [OPTIONS] --map-id ID\n"
"Consume the records of a ring and print them, oldest first.\n"
"Consumed records are gone from the ring. One consumer per ring at a time.\n"
"NAME may be a kernel BPF ring buffer map pinned on the BPF filesystem.\n"
"\n"
"  -f, --follow        keep waiting for new records, until SIGINT/SIGTERM,\n"
"                      the ring is removed or standard output is closed\n"
"  -o, --format FMT    text (default: payload, non-printable bytes as \\xNN,\n"
"                      one line per record), hex, json (one object per line),\n"
"                      binary (u32 little-endian length + payload, what\n"
"                      'ringbuf write --binary' reads)\n"
"  -n, --count N       stop after N records: use it instead of '| head -n N',\n"
"                      which consumes the whole ring and throws the rest away\n"
"  -i, --map-id ID     a kernel BPF_MAP_TYPE_RINGBUF map by id\n"
"  -j, --json          same as --format json (errors as JSON too)\n"
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

/* The reader of standard output went away (a pipe whose read end is closed
 * reports POLLERR on the write end): no need to wait for the next record
 * to find out. */
static int stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

int cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "map-id", required_argument, NULL, 'i' },
		CLI_COMMON_OPTIONS,
	};
	struct cat_ctx ctx = { .fmt = CLI_FMT_TEXT, .max = UINT64_MAX };
	int c, follow = 0, ret, rc = CLI_EXIT_OK, by_id = 0;
	uint64_t map_id = 0;
	char label[32], path[PATH_MAX];
	const char *name;
	struct ringbuf *rb;
	struct stat st0, st1;
	int watch_file = 0;

	/* -F: the old spelling of --format, kept quietly. */
	while ((c = getopt_long(argc, argv, ":fo:F:n:i:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = 1; break;
		case 'o': case 'F':
			if (cli_parse_format(optarg, &ctx.fmt))
				return cli_usage(argv[0], "invalid format '%s' (text, hex, json, binary)", optarg);
			break;
		case 'n':
			if (cli_parse_u64(optarg, 10, &ctx.max))
				return cli_usage(argv[0], "invalid count '%s'", optarg);
			break;
		case 'i':
			if (cli_parse_u64(optarg, 0, &map_id) || map_id > UINT32_MAX)
				return cli_usage(argv[0], "invalid map id '%s'", optarg);
			by_id = 1;
			break;
		case 'j': cli_json = 1; ctx.fmt = CLI_FMT_JSON; break;
		case 'h': fputs(cat_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind != argc - !by_id)
		return cli_usage(argv[0], by_id ? "--map-id takes no ring NAME" : "expected exactly one ring NAME");
	if (ctx.max == 0)
		return CLI_EXIT_OK;
	if (by_id) {
		snprintf(label, sizeof(label), "map id %u", (unsigned)map_id);
		name = label;
		rb = cli_open_bpf_id(argv[0], (uint32_t)map_id, NULL);
	} else {
		name = argv[optind];
		rb = cli_open_ring(argv[0], name, RINGBUF_CONSUMER);
		/* Remember which file we read, to notice when it is removed. */
		if (rb && !cli_is_bpffs(name)) {
			ring_path(name, path, sizeof(path));
			watch_file = !stat(path, &st0);
		}
	}
	if (!rb)
		return CLI_EXIT_FAIL;
	cli_catch_stop();
	for (;;) {
		if (follow)
			ret = ringbuf_poll(rb, cat_record, &ctx, 200);
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
			cli_errf(argv[0], name, "cannot read the ring: %s", cli_strerror(ret));
			rc = CLI_EXIT_FAIL;
			break;
		}
		if (!follow || cli_stop_requested)
			break;
		if (ret > 0 && cli_flush(stdout)) {
			rc = cli_output_failed(argv[0]);
			break;
		}
		if (ret == 0 && stdout_gone())
			break;
		if (ret == 0 && watch_file &&
		    (stat(path, &st1) || st1.st_ino != st0.st_ino || st1.st_dev != st0.st_dev)) {
			/* Drain what producers still committed, then say so. */
			while ((ret = ringbuf_consume(rb, cat_record, &ctx)) > 0)
				;
			cli_errf(argv[0], name, "the ring was removed; stopping after %llu records",
				 (unsigned long long)ctx.n);
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	ringbuf_free(rb);
	if (rc == CLI_EXIT_OK && !ctx.out_err && cli_flush(stdout))
		rc = cli_output_failed(argv[0]);
	return rc;
}
