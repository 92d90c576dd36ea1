// SPDX-License-Identifier: MIT
/* Helpers shared by the subcommands of the ringbuf tool: see cli.h. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringbuf.h>

#include "cli.h"

static const char *prog = "ringbuf";
static int progress_shown;

/* What a SIGBUS says, formatted in advance (a handler may only write). */
static char sigbus_msg[512] = "ringbuf: a ring's file was truncated by another process "
			      "while mapped (SIGBUS); stopping\n";

/*
 * A process that can write a ring's file can truncate it; our next access
 * to a page past the new end raises SIGBUS (include/ringbuf.h, "Limits").
 * The tool must not die of that: the access is abandoned — nothing after it
 * touches the ring again, so no state half-updated by the interrupted call
 * is ever used — a message is written and we exit with status 1. BUS_ADRERR
 * and BUS_OBJERR are what a mapping past end-of-file and a failed page-in
 * give; anything else is a real bug and keeps its default action.
 */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code == BUS_ADRERR || si->si_code == BUS_OBJERR) {
		if (write(2, sigbus_msg, strlen(sigbus_msg)) < 0)
			_exit(CLI_EXIT_FAIL);
		_exit(CLI_EXIT_FAIL);
	}
	signal(sig, SIG_DFL); /* the faulting access repeats and kills us */
}

static void catch_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void cli_init(const char *p)
{
	const char *slash = p ? strrchr(p, '/') : NULL;

	if (p)
		prog = slash ? slash + 1 : p;
	/* Writes to a closed pipe fail with EPIPE instead of killing us, so
	 * output loops end cleanly and say so. */
	signal(SIGPIPE, SIG_IGN);
	catch_sigbus();
}

const char *cli_prog(void)
{
	return prog;
}

int cli_json;

/* One error, either "ringbuf SUBCMD: RING: message" on stderr or, under
 * --json, {"error":"message","command":"SUBCMD","ring":"RING"} on stdout
 * (like bpftool: a JSON reader of stdout sees the failure too). */
static void verr(const char *subcmd, const char *ring, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cli_progress_done();
	if (cli_json) {
		fflush(stdout);
		fputs("{\"error\":", stdout);
		cli_json_str(stdout, msg, strlen(msg));
		if (subcmd) {
			fputs(",\"command\":", stdout);
			cli_json_str(stdout, subcmd, strlen(subcmd));
		}
		if (ring) {
			fputs(",\"ring\":", stdout);
			cli_json_str(stdout, ring, strlen(ring));
		}
		fputs("}\n", stdout);
		fflush(stdout);
		return;
	}
	fprintf(stderr, "%s%s%s: %s%s%s\n", prog, subcmd ? " " : "", subcmd ? subcmd : "",
		ring ? ring : "", ring ? ": " : "", msg);
}

void cli_err(const char *subcmd, const char *ring, int err)
{
	cli_errf(subcmd, ring, "%s", cli_strerror(err));
}

void cli_errf(const char *subcmd, const char *ring, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(subcmd, ring, fmt, ap);
	va_end(ap);
}

int cli_usage(const char *subcmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(subcmd, NULL, fmt, ap);
	va_end(ap);
	if (!cli_json)
		fprintf(stderr, "Try '%s%s%s --help' for more information.\n", prog,
			subcmd ? " " : "", subcmd ? subcmd : "");
	return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *subcmd, char **argv, int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		return cli_usage(subcmd, "option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		return cli_usage(subcmd, "unknown option '-%c'", optopt);
	return cli_usage(subcmd, "unknown option '%s'", arg);
}

const char *cli_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == E2BIG)
		return "record larger than the ring";
	return strerror(err);
}

int cli_output_failed(const char *subcmd)
{
	if (errno == EPIPE)
		return CLI_EXIT_OK;
	cli_errf(subcmd, NULL, "standard output: %s", strerror(errno));
	return CLI_EXIT_FAIL;
}

int cli_parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B") || !strcmp(end, "ib")))
		end += strlen(end);
	else if (!shift && (!strcmp(end, "B") || !strcmp(end, "b")))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *cli_fmt_size(uint64_t b, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	double v = (double)b;

	if (b && !(b & ((1ULL << 40) - 1)))
		snprintf(buf, len, "%lluT", (unsigned long long)(b >> 40));
	else if (b && !(b & ((1ULL << 30) - 1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(b >> 30));
	else if (b && !(b & ((1ULL << 20) - 1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(b >> 20));
	else if (b && !(b & ((1ULL << 10) - 1)))
		snprintf(buf, len, "%lluK", (unsigned long long)(b >> 10));
	else if (b < 1024)
		snprintf(buf, len, "%llu", (unsigned long long)b);
	else {
		while (v >= 1024 && u < 3) {
			v /= 1024;
			u++;
		}
		snprintf(buf, len, "%.1f%c", v, units[u]);
	}
	return buf;
}

static const char *const fmt_names[] = {
	[CLI_FMT_TEXT] = "text", [CLI_FMT_HEX] = "hex",
	[CLI_FMT_JSON] = "json", [CLI_FMT_BINARY] = "binary",
};

int cli_parse_format(const char *s, enum cli_format *fmt)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (s && !strcmp(s, fmt_names[i])) {
			*fmt = (enum cli_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *cli_format_name(enum cli_format fmt)
{
	return (unsigned)fmt < sizeof(fmt_names) / sizeof(fmt_names[0]) ? fmt_names[fmt] : "?";
}

void cli_json_str(FILE *out, const void *s, size_t len)
{
	const unsigned char *p = s;

	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned c = p[i];

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc((int)c, out);
		}
	}
	fputc('"', out);
}

static int is_text(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] >= 0x7f)
			return 0;
	return 1;
}

static void hexdump(FILE *out, const unsigned char *p, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		fprintf(out, "%08zx ", off);
		for (size_t i = 0; i < 16; i++) {
			if (i == 8)
				fputc(' ', out);
			if (i < n)
				fprintf(out, " %02x", p[off + i]);
			else
				fputs("   ", out);
		}
		fputs("  |", out);
		for (size_t i = 0; i < n; i++)
			fputc(isprint(p[off + i]) ? p[off + i] : '.', out);
		fputs("|\n", out);
	}
}

int cli_print_record(FILE *out, enum cli_format fmt, uint64_t n, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char le[4];

	switch (fmt) {
	case CLI_FMT_TEXT:
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '\\')
				fputs("\\\\", out);
			else if (isprint(p[i]) || p[i] == '\t')
				fputc(p[i], out);
			else
				fprintf(out, "\\x%02x", p[i]);
		}
		fputc('\n', out);
		break;
	case CLI_FMT_HEX:
		fprintf(out, "record %llu, %zu bytes\n", (unsigned long long)n, len);
		hexdump(out, p, len);
		break;
	case CLI_FMT_JSON:
		fprintf(out, "{\"n\":%llu,\"len\":%zu,", (unsigned long long)n, len);
		if (is_text(p, len)) {
			fputs("\"text\":", out);
			cli_json_str(out, p, len);
		} else {
			fputs("\"hex\":\"", out);
			for (size_t i = 0; i < len; i++)
				fprintf(out, "%02x", p[i]);
			fputc('"', out);
		}
		fputs("}\n", out);
		break;
	case CLI_FMT_BINARY:
		le[0] = (unsigned char)len;
		le[1] = (unsigned char)(len >> 8);
		le[2] = (unsigned char)(len >> 16);
		le[3] = (unsigned char)(len >> 24);
		fwrite(le, 1, 4, out);
		fwrite(p, 1, len, out);
		break;
	}
	if (ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int cli_flush(FILE *out)
{
	if (fflush(out) || ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void cli_progress_done(void)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress_shown = 0;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

volatile sig_atomic_t cli_stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	cli_stop_requested = 1;
}

void cli_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;  /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_ring_error(const char *subcmd, const char *name, int err)
{
	const char *detail = ringbuf_strerror_detail();
	const char *cause;

	if (err < 0)
		err = -err;
	cause = cli_strerror(err);
	if (err == EOPNOTSUPP) {
		cli_errf(subcmd, name, "named rings are not available in this build");
	} else if (!detail || !*detail) {
		cli_errf(subcmd, name, "%s", cause);
	} else if (strstr(detail, strerror(err))) {
		/* "cannot open ring 'x': No such file or directory": the ring is
		 * named already, say the cause once. */
		if (!strncmp(detail, "cannot ", 7) && strstr(detail, " ring '"))
			cli_errf(subcmd, name, "%s", cause);
		else
			cli_errf(subcmd, name, "%s", detail);
	} else if (err == EBADMSG || err == EPROTO) {
		cli_errf(subcmd, name, "not a ring: %s", !strncmp(detail, "not a ring: ", 12) ? detail + 12 : detail);
	} else {
		cli_errf(subcmd, name, "%s (%s)", cause, detail);
	}
}

struct ringbuf *cli_open_ring(const char *subcmd, const char *name, int role)
{
	struct ringbuf *rb;

	if (cli_is_bpffs(name))
		return cli_open_bpf_path(subcmd, name, NULL);
	rb = ringbuf_open(name, role);
	if (!rb)
		cli_ring_error(subcmd, name, errno);
	else
		snprintf(sigbus_msg, sizeof(sigbus_msg), "%s %s: %s: the ring's file was truncated "
			 "by another process while in use (SIGBUS); stopping\n", prog, subcmd, name);
	return rb;
}
