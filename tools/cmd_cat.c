// SPDX-License-Identifier: MIT
/*
 * ringbuf cat — consume the records of a ring and print them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"

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

int cmd_cat(int argc, char **argv)
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
	rb = cli_open_ring(argv[0], name, RINGBUF_CONSUMER);
	if (!rb)
		return CLI_EXIT_FAIL;
	cli_catch_stop();
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
		if (!follow || cli_stop_requested)
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
