// SPDX-License-Identifier: MIT
/*
 * ringbuf create — create a named ring.
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

int cmd_create(int argc, char **argv)
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
		cli_ring_error(argv[0], name, errno);
		return CLI_EXIT_FAIL;
	}
	ringbuf_free(rb);
	return CLI_EXIT_OK;
}
