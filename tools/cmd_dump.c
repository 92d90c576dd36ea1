// SPDX-License-Identifier: MIT
/*
 * ringbuf dump NAME — print the newest records of a ring without consuming
 * them: ringbuf_snapshot(), oldest first. Made for overwrite-mode rings
 * (flight recorders: what happened just before the fault), and works on any
 * ring. The ring is opened as an observer (RINGBUF_OBSERVER: read-only,
 * read permission is enough), so a live consumer is neither displaced nor
 * disturbed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "cli.h"

static const char dump_help[] =
	"Usage: ringbuf dump [OPTIONS] NAME\n"
	"Print the newest committed records of the ring NAME, oldest first, without\n"
	"consuming them. For an overwrite-mode ring (create --overwrite) this is the\n"
	"flight recorder's content; records overwritten while being copied are left out.\n"
	"\n"
	"  -o, --format FMT       text (default), hex, json or binary\n"
	"  -n, --count N          at most the N newest records (default: all)\n"
	"  -b, --max-bytes SIZE   at most SIZE bytes of payload, newest first\n"
	"                         (K, M, G suffixes; default: no limit)\n"
	"  -j, --json             same as --format json (errors as JSON too)\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 success, 1 failure (ring missing or damaged), 2 usage error.\n";

struct dump_ctx {
	enum cli_format fmt;
	uint64_t n;
	int err;          /* errno of a failed write */
};

static int print_one(void *ctx, void *data, size_t size)
{
	struct dump_ctx *d = ctx;

	if (cli_print_record(stdout, d->fmt, d->n++, data, size) < 0) {
		d->err = errno ? errno : EIO;
		return -d->err;
	}
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "max-records", required_argument, NULL, 'n' },  /* old spelling */
		{ "max-bytes", required_argument, NULL, 'b' },
		CLI_COMMON_OPTIONS,
	};
	struct dump_ctx d = { .fmt = CLI_FMT_TEXT };
	uint64_t max_records = 0, max_bytes = 0;
	const char *name;
	struct ringbuf *rb;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":o:f:n:b:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': case 'f':  /* -f: the old spelling of -o */
			if (cli_parse_format(optarg, &d.fmt))
				return cli_usage(argv[0], "invalid format '%s' (text, hex, json, binary)", optarg);
			break;
		case 'n':
			if (cli_parse_u64(optarg, 10, &max_records) || !max_records)
				return cli_usage(argv[0], "invalid record count '%s' (a positive integer)", optarg);
			break;
		case 'b':
			if (cli_parse_size(optarg, &max_bytes) || !max_bytes)
				return cli_usage(argv[0], "invalid byte count '%s' (examples: 4096, 64K, 1M)", optarg);
			break;
		case 'j':
			cli_json = 1;
			d.fmt = CLI_FMT_JSON;
			break;
		case 'h':
			fputs(dump_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];

	rb = cli_open_ring(argv[0], name, RINGBUF_OBSERVER);
	if (!rb)
		return CLI_EXIT_FAIL;
	ret = ringbuf_snapshot(rb, print_one, &d, (size_t)max_records, (size_t)max_bytes);
	ringbuf_free(rb);
	if (d.err) {
		errno = d.err;
		return cli_output_failed(argv[0]);
	}
	if (ret < 0) {
		cli_errf(argv[0], name, "cannot read the ring: %s", cli_strerror(ret));
		return CLI_EXIT_FAIL;
	}
	if (cli_flush(stdout) < 0)
		return cli_output_failed(argv[0]);
	return CLI_EXIT_OK;
}
