// SPDX-License-Identifier: MIT
/* ringbuf create — create a named ring. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"

static const char create_help[] =
"Usage: ringbuf create [--size SIZE] [--overwrite] [--mode MODE] NAME\n"
"Create a named ring that other processes open by NAME.\n"
"A NAME without '/' (or '/NAME', as shm_open(3) writes it) is a POSIX shared\n"
"memory object in /dev/shm; any other NAME with '/' is a file path.\n"
"\n"
"  -s, --size SIZE   data bytes (default 1M): a power of two, a multiple of\n"
"                    the page size, at most 4G; suffixes K, M, G (x1024)\n"
"  -O, --overwrite   when full, producers overwrite the oldest records\n"
"  -m, --mode MODE   permissions, octal, at most 0777 (default 0600)\n"
"  -j, --json        errors as JSON objects on standard output\n"
"  -h, --help        show this help\n";

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "mode", required_argument, NULL, 'm' },
		CLI_COMMON_OPTIONS,
	};
	uint64_t size = 1 << 20, mode = 0600;
	const char *size_arg = "1M", *name;
	long page = sysconf(_SC_PAGESIZE);
	int c, overwrite = 0;
	struct ringbuf *rb;

	/* -o: the old spelling of --overwrite, kept quietly. */
	while ((c = getopt_long(argc, argv, ":s:Oom:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			size_arg = optarg;
			if (cli_parse_size(optarg, &size))
				return cli_usage(argv[0], "invalid size '%s' (examples: 4096, 64K, 16M, 1G)", optarg);
			break;
		case 'O': case 'o': overwrite = 1; break;
		case 'm':
			/* Permission bits only: never setuid, setgid or
			 * sticky on a file other users map. */
			if (cli_parse_u64(optarg, 8, &mode) || mode > 0777)
				return cli_usage(argv[0], "invalid mode '%s' (octal permission bits "
						 "up to 0777, e.g. 0640)", optarg);
			break;
		case 'j': cli_json = 1; break;
		case 'h': fputs(create_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	if (size < (uint64_t)page || (size & (size - 1)) || size % (uint64_t)page || size > (1ULL << 32))
		return cli_usage(argv[0], "invalid size '%s': must be a power of two between the page size (%ldK) and 4G",
				 size_arg, page / 1024);
	RINGBUF_OPTS(o, .flags = overwrite ? RINGBUF_F_OVERWRITE : 0, .mode = (uint32_t)mode);
	rb = ringbuf_create(name, size, &o);
	if (!rb) {
		cli_ring_error(argv[0], name, errno);
		return CLI_EXIT_FAIL;
	}
	ringbuf_free(rb);
	return CLI_EXIT_OK;
}
