// SPDX-License-Identifier: MIT
/*
 * ringbuf — the command-line tool of libringbuf. This file only dispatches:
 * global options (--help, --version) and the subcommand table built from
 * commands.def; each subcommand lives in its own tools/cmd_NAME.c and the
 * helpers they share in cli.h.
 */
#include <stdio.h>
#include <string.h>
#include <getopt.h>

#include <ringbuf.h>

#include "bench.h"
#include "cli.h"

static const struct subcmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} subcmds[] = {
#define CLI_COMMAND(name, fn, summary) { #name, fn, summary },
#include "commands.def"
#undef CLI_COMMAND
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: ringbuf COMMAND [OPTIONS] [ARGS]\n"
		     "       ringbuf [--json] COMMAND ...    (errors as JSON objects too)\n"
		     "       ringbuf --version | --help\n"
		     "Tool of libringbuf, the Linux BPF ring buffer in user space.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(out, "  %-8s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(out, "\n'ringbuf COMMAND --help' describes each command; see also ringbuf(1).\n");
}

int main(int argc, char **argv)
{
	cli_init("ringbuf");
	opterr = 0;  /* every subcommand reports bad options itself: cli_bad_option() */
	/* Global options before the command: -j/--json (as bpftool). */
	while (argc > 1 && (!strcmp(argv[1], "-j") || !strcmp(argv[1], "--json"))) {
		cli_json = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
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
