/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the subcommands of the `ringbuf` tool (tools/main.c,
 * tools/cmd_*.c, bench/). Use them so that every subcommand speaks the same
 * way:
 *
 *  - exit codes: CLI_EXIT_OK (0), CLI_EXIT_FAIL (1, runtime failure),
 *    CLI_EXIT_USAGE (2, bad command line);
 *  - errors on stderr as "ringbuf SUBCMD: RING: cause" with cli_err();
 *  - sizes with K/M/G suffixes (powers of 1024) with cli_parse_size();
 *  - records printed in one of the output formats (text, hex, json, binary)
 *    with cli_print_record(), which reports write errors (EPIPE) instead of
 *    dying on SIGPIPE: call cli_init() first, it ignores SIGPIPE.
 *
 * Typical subcommand:
 *
 *	int cmd_dump(int argc, char **argv)     // argv[0] == "dump"
 *	{
 *		enum cli_format fmt = CLI_FMT_TEXT;
 *		... getopt_long(); on --format: if (cli_parse_format(optarg, &fmt))
 *			return cli_usage(argv[0], "bad format '%s'", optarg);
 *		... on failure: cli_err(argv[0], name, -err); return CLI_EXIT_FAIL;
 *		... per record: if (cli_print_record(stdout, fmt, i, data, len) < 0)
 *			return cli_output_failed(argv[0]);
 *	}
 */
#ifndef RINGBUF_CLI_H
#define RINGBUF_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1
#define CLI_EXIT_USAGE 2

/* Ignore SIGPIPE (writes then fail with EPIPE, which we report), turn a
 * SIGBUS from a ring truncated under us into a message and exit status 1
 * (never a signal death), and remember the program name for messages.
 * Call once from main. */
void cli_init(const char *prog);
const char *cli_prog(void);

/* Set by --json (any subcommand, or `ringbuf --json COMMAND`): errors are
 * printed as {"error":"cause","command":"SUBCMD","ring":"RING"} lines on
 * stdout instead of text on stderr. */
extern int cli_json;

/* The options every subcommand takes, last in its getopt_long table: handle
 * 'j' (cli_json = 1) and 'h' (print the help). */
#define CLI_COMMON_OPTIONS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }

/* "ringbuf SUBCMD: RING: cli_strerror(err)" on stderr; err is a positive or
 * negative errno. ring may be NULL. */
void cli_err(const char *subcmd, const char *ring, int err);
/* "ringbuf SUBCMD: RING: message" on stderr; ring may be NULL. */
void cli_errf(const char *subcmd, const char *ring, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "ringbuf SUBCMD: message" and a hint to --help; returns
 * CLI_EXIT_USAGE so callers can `return cli_usage(...)`. */
int cli_usage(const char *subcmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The default branch of every getopt_long loop (optstring starting with
 * ':'): "unknown option '--x'" or "option '-n' needs a value", then the hint
 * to --help. Returns CLI_EXIT_USAGE. */
int cli_bad_option(const char *subcmd, char **argv, int c);
/* strerror, in the tool's words where they differ (E2BIG: "record larger
 * than the ring"); err positive or negative. */
const char *cli_strerror(int err);
/* Report a failed write to stdout. Returns CLI_EXIT_OK when the reader went
 * away (EPIPE: the normal end of `ringbuf cat | head`), CLI_EXIT_FAIL
 * otherwise. Uses errno. */
int cli_output_failed(const char *subcmd);

/* Parse "4096", "64K", "16M", "1G", "16MiB", "2k": powers of 1024. Returns
 * 0, or -EINVAL for bad syntax, -ERANGE for overflow. */
int cli_parse_size(const char *s, uint64_t *out);
/* Format bytes as "16M", "4K" when exact, otherwise "1.5M" / "123". */
const char *cli_fmt_size(uint64_t bytes, char *buf, size_t len);
/* Parse an unsigned decimal (or 0x.. / 0.. octal with base 0) integer. */
int cli_parse_u64(const char *s, int base, uint64_t *out);

enum cli_format {
	CLI_FMT_TEXT,    /* the payload, non-printable bytes as \xNN, newline */
	CLI_FMT_HEX,     /* "record N, L bytes" then a hexdump -C style dump */
	CLI_FMT_JSON,    /* one JSON object per line: {"n":N,"len":L,"text":".."} or "hex" */
	CLI_FMT_BINARY,  /* u32 little-endian length, then the payload (what
			    `ringbuf write --binary` reads) */
};
/* "text", "hex", "json", "binary" → 0, else -EINVAL. */
int cli_parse_format(const char *s, enum cli_format *fmt);
const char *cli_format_name(enum cli_format fmt);
/* Print record number n of len bytes. Returns 0, or -1 with errno set when
 * writing failed (the stream is flushed for --follow callers by
 * cli_flush()). */
int cli_print_record(FILE *out, enum cli_format fmt, uint64_t n, const void *data, size_t len);
/* Write s as a JSON string literal (with quotes). */
void cli_json_str(FILE *out, const void *s, size_t len);
/* fflush + error check: 0, or -1 with errno. */
int cli_flush(FILE *out);

/* A progress line on stderr, only when stderr is a terminal:
 * cli_progress("round 2/5: user busy 8 B") rewrites the line;
 * cli_progress_done() clears it. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

/* Write all of buf to fd, retrying on EINTR and short writes: 0 or -errno. */
int cli_write_all(int fd, const void *buf, size_t len);

/* The subcommands (commands.def): int cmd_NAME(int argc, char **argv),
 * argv[0] is the subcommand's name; returns an exit code. */
#define CLI_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef CLI_COMMAND

/* Set by SIGINT/SIGTERM once cli_catch_stop() installed the handler (no
 * SA_RESTART: a blocking call returns EINTR and loops check this flag). */
extern volatile sig_atomic_t cli_stop_requested;
void cli_catch_stop(void);

struct ringbuf;
/* "ringbuf SUBCMD: NAME: cause (library detail)" for a failed open/create;
 * err is a positive or negative errno. */
void cli_ring_error(const char *subcmd, const char *name, int err);
/* ringbuf_open(name, role), reporting a failure with cli_ring_error(). A
 * NAME on the BPF filesystem is opened as a pinned kernel ring buffer
 * (cli_open_bpf_path) whatever the role. Names the ring in the SIGBUS
 * message (cli_init). */
struct ringbuf *cli_open_ring(const char *subcmd, const char *name, int role);

/* Kernel BPF ring buffers (bpfmap.c). */
struct cli_bpf_map {
	uint32_t id, type, max_entries;
	char name[32];
};
/* Is path on the BPF filesystem (a pinned object)? */
int cli_is_bpffs(const char *path);
int cli_bpf_map_info(int fd, struct cli_bpf_map *out);
/* Open a pinned BPF_MAP_TYPE_RINGBUF map, or one by id, reporting failures
 * ("ringbuf SUBCMD: PATH: cause"); map receives its id, name and size. */
struct ringbuf *cli_open_bpf_path(const char *subcmd, const char *path, struct cli_bpf_map *map);
struct ringbuf *cli_open_bpf_id(const char *subcmd, uint32_t id, struct cli_bpf_map *map);

#endif /* RINGBUF_CLI_H */
