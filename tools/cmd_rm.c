// SPDX-License-Identifier: MIT
/*
 * ringbuf rm — remove named rings.
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

static const char rm_help[] =
"Usage: ringbuf rm [--force] NAME...\n"
"Remove named rings. Processes that have a ring open keep using it.\n"
"Only what is verified to be a ring (and its own wake FIFO) is removed: a\n"
"file that is not a ring is refused and left as it is.\n"
"\n"
"  -f, --force   no error for rings that do not exist\n"
"  -j, --json    errors as JSON objects on standard output\n"
"  -h, --help    show this help\n";

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		CLI_COMMON_OPTIONS,
	};
	int c, force = 0, rc = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":fjh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'j': cli_json = 1; break;
		case 'h': fputs(rm_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind >= argc)
		return cli_usage(argv[0], "expected at least one ring NAME");
	for (int i = optind; i < argc; i++) {
		int err = ringbuf_unlink(argv[i]);

		if (!err || (force && err == -ENOENT))
			continue;
		cli_ring_error(argv[0], argv[i], err);
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}
