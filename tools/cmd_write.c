// SPDX-License-Identifier: MIT
/*
 * ringbuf write — write records read from standard input into a ring.
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

static const char write_help[] =
"Usage: ringbuf write [--binary] [--wait] [--no-wakeup] NAME\n"
"Write records read from standard input into a ring: one record per line\n"
"(without its newline), or with --binary a u32 little-endian length then\n"
"that many bytes per record (what 'ringbuf cat --format binary' prints).\n"
"\n"
"  -b, --binary        length-prefixed records\n"
"  -w, --wait          when the ring is full, wait for the consumer instead\n"
"                      of failing\n"
"      --no-wakeup     commit with RINGBUF_NO_WAKEUP (the consumer is not\n"
"                      woken; it finds the records at its next poll)\n"
"  -j, --json          errors as JSON objects on standard output\n"
"  -h, --help          show this help\n"
"Exit status 1 when the ring is full (without --wait), a record is larger\n"
"than the ring, or a signal interrupts --wait.\n";

static int write_one(const char *subcmd, const char *name, struct ringbuf *rb,
		     const void *p, size_t len, int wait, uint64_t flags, uint64_t nrec)
{
	struct timespec ts = { 0, 100000 };

	for (;;) {
		int err = ringbuf_output(rb, p, len, flags);

		if (!err)
			return 0;
		if (err == -ENOSPC && wait && !cli_stop_requested) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (err == -ENOSPC && wait)
			cli_errf(subcmd, name, "interrupted while waiting for room; %llu records written",
				 (unsigned long long)nrec);
		else if (err == -ENOSPC)
			cli_errf(subcmd, name, "ring is full after %llu records; use --wait to wait for a consumer",
				 (unsigned long long)nrec);
		else if (err == -E2BIG)
			cli_errf(subcmd, name, "record %llu of %zu bytes is larger than the ring",
				 (unsigned long long)nrec, len);
		else
			cli_errf(subcmd, name, "record %llu: %s", (unsigned long long)nrec, cli_strerror(err));
		return -1;
	}
}

int cmd_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "binary", no_argument, NULL, 'b' },
		{ "wait", no_argument, NULL, 'w' },
		{ "no-wakeup", no_argument, NULL, 'N' },
		CLI_COMMON_OPTIONS,
	};
	int c, binary = 0, wait = 0, rc = CLI_EXIT_OK;
	uint64_t flags = 0, nrec = 0;
	const char *name;
	struct ringbuf *rb;
	char *buf = NULL;
	size_t cap = 0;

	while ((c = getopt_long(argc, argv, ":bwjh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': binary = 1; break;
		case 'w': wait = 1; break;
		case 'N': flags = RINGBUF_NO_WAKEUP; break;
		case 'j': cli_json = 1; break;
		case 'h': fputs(write_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	rb = cli_open_ring(argv[0], name, RINGBUF_PRODUCER);
	if (!rb)
		return CLI_EXIT_FAIL;
	cli_catch_stop();
	while (!cli_stop_requested) {
		size_t len;

		if (binary) {
			unsigned char le[4];
			size_t got = fread(le, 1, 4, stdin);

			if (got == 0 && feof(stdin))
				break;
			if (got != 4) {
				if (ferror(stdin))
					cli_errf(argv[0], name, "standard input: %s", cli_strerror(errno));
				else
					cli_errf(argv[0], name, "standard input: truncated length prefix after %llu records",
						 (unsigned long long)nrec);
				rc = CLI_EXIT_FAIL;
				break;
			}
			len = (size_t)le[0] | (size_t)le[1] << 8 | (size_t)le[2] << 16 | (size_t)le[3] << 24;
			if (len > ringbuf_query(rb, RINGBUF_RING_SIZE)) {
				cli_errf(argv[0], name, "record %llu of %zu bytes is larger than the ring",
					 (unsigned long long)nrec, len);
				rc = CLI_EXIT_FAIL;
				break;
			}
			if (len > cap) {
				char *nb = realloc(buf, len);

				if (!nb) {
					cli_errf(argv[0], name, "%s", cli_strerror(ENOMEM));
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
					cli_errf(argv[0], name, "standard input: %s", cli_strerror(errno));
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
