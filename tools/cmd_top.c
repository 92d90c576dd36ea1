// SPDX-License-Identifier: MIT
/*
 * ringbuf top — watch rings: every interval, per ring, the fill and the
 * rates since the last refresh (bytes/s written by producers, records/s
 * and bytes/s delivered to the consumer, records/s dropped because the
 * ring was full), as bpftop and perf top do. Reads the rings' meta pages
 * like ls (rings.h): attaches to nothing and changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "cli.h"
#include "rings.h"

static const char top_help[] =
"Usage: ringbuf top [--interval S] [--count N] [--json] [NAME]...\n"
"Watch named rings (all of /dev/shm, or the NAMEs given): every interval,\n"
"per ring, the fill and the rates since the previous refresh:\n"
"  IN B/s     bytes producers committed (producer position)\n"
"  OUT rec/s, OUT B/s   records and bytes delivered to the consumer\n"
"  DROP/s     records refused because the ring was full\n"
"On a terminal the screen is redrawn; otherwise one block per refresh.\n"
"\n"
"  -d, --interval S  seconds between refreshes (default 1, decimals allowed)\n"
"  -n, --count N     stop after N refreshes (default: until Ctrl-C)\n"
"  -j, --json        one JSON object per refresh\n"
"  -h, --help        show this help\n";

#define MAX_RINGS 256

struct sample {
	char name[256];
	int seen;
	struct ring_info ri;
};

/* Names to watch: the given ones, or every readable ring in /dev/shm. */
static int collect(char **names, int n, struct sample *s)
{
	int k = 0;

	if (n) {
		for (int i = 0; i < n && k < MAX_RINGS; i++)
			snprintf(s[k++].name, sizeof(s[0].name), "%s", names[i]);
		return k;
	}
	DIR *d = opendir("/dev/shm");
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d)) && k < MAX_RINGS) {
		struct ring_info ri;
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || (len > 5 && !strcmp(de->d_name + len - 5, ".wake")))
			continue;
		if (!ring_info_load(de->d_name, &ri) && ri.valid)
			snprintf(s[k++].name, sizeof(s[0].name), "%s", de->d_name);
	}
	closedir(d);
	return k;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before && dt > 0 ? (double)(now - before) / dt : 0.0;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		CLI_COMMON_OPTIONS,
	};
	static struct sample prev[MAX_RINGS], cur[MAX_RINGS];
	double interval = 1, t_prev, t_now;
	uint64_t count = 0;
	int c, nprev, tty = isatty(STDOUT_FILENO);
	char *end;

	while ((c = getopt_long(argc, argv, ":d:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			interval = strtod(optarg, &end);
			if (*end || end == optarg || interval < 0.05 || interval > 3600)
				return cli_usage(argv[0], "invalid interval '%s' (seconds, 0.05 to 3600)", optarg);
			break;
		case 'n':
			if (cli_parse_u64(optarg, 10, &count) || !count)
				return cli_usage(argv[0], "invalid count '%s'", optarg);
			break;
		case 'j': cli_json = 1; break;
		case 'h': fputs(top_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	for (int i = optind; i < argc; i++) {
		struct ring_info ri;

		if (ring_info_load(argv[i], &ri) || !ri.valid) {
			cli_errf(argv[0], argv[i], "%s", cli_strerror(ring_info_load(argv[i], &ri) ?: -ri.err));
			return CLI_EXIT_FAIL;
		}
	}
	cli_catch_stop();
	nprev = collect(argv + optind, argc - optind, prev);
	for (int i = 0; i < nprev; i++)
		prev[i].seen = !ring_info_load(prev[i].name, &prev[i].ri) && prev[i].ri.valid;
	t_prev = now_s();
	for (uint64_t round = 0; !count || round < count; round++) {
		struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		int ncur;

		if (nanosleep(&ts, NULL) && cli_stop_requested)
			break;
		ncur = collect(argv + optind, argc - optind, cur);
		t_now = now_s();
		if (cli_json)
			printf("{\"interval_s\":%.3f,\"rings\":[", t_now - t_prev);
		else if (tty)
			printf("\033[H\033[2J");
		if (!cli_json)
			printf("%-24s %6s %12s %12s %12s %10s\n", "NAME", "FILL", "IN B/s", "OUT rec/s",
			       "OUT B/s", "DROP/s");
		for (int i = 0; i < ncur; i++) {
			struct sample *s = &cur[i], *p = NULL;
			double dt = t_now - t_prev, fill;
			const struct ringbuf_meta *m, *pm;

			s->seen = !ring_info_load(s->name, &s->ri) && s->ri.valid;
			for (int j = 0; j < nprev; j++)
				if (prev[j].seen && !strcmp(prev[j].name, s->name) &&
				    prev[j].ri.st.st_ino == s->ri.st.st_ino)
					p = &prev[j];
			if (!s->seen)
				continue;
			m = &s->ri.meta;
			pm = p ? &p->ri.meta : m;
			fill = 100.0 * (double)s->ri.used / (double)s->ri.size;
			if (cli_json) {
				printf("%s{\"name\":", i ? "," : "");
				cli_json_str(stdout, s->name, strlen(s->name));
				printf(",\"fill_pct\":%.1f,\"in_bytes_per_s\":%.0f,\"out_records_per_s\":%.0f,"
				       "\"out_bytes_per_s\":%.0f,\"drops_per_s\":%.0f}", fill,
				       rate(s->ri.prod, p ? p->ri.prod : s->ri.prod, dt),
				       rate(m->delivered_records, pm->delivered_records, dt),
				       rate(m->delivered_bytes, pm->delivered_bytes, dt),
				       rate(m->dropped_records, pm->dropped_records, dt));
			} else {
				printf("%-24s %5.1f%% %12.0f %12.0f %12.0f %10.0f\n", s->name, fill,
				       rate(s->ri.prod, p ? p->ri.prod : s->ri.prod, dt),
				       rate(m->delivered_records, pm->delivered_records, dt),
				       rate(m->delivered_bytes, pm->delivered_bytes, dt),
				       rate(m->dropped_records, pm->dropped_records, dt));
			}
		}
		if (cli_json)
			printf("]}\n");
		else if (!tty)
			printf("\n");
		if (cli_flush(stdout))
			return cli_output_failed(argv[0]);
		memcpy(prev, cur, sizeof(prev));
		nprev = ncur;
		t_prev = t_now;
		if (cli_stop_requested)
			break;
	}
	return CLI_EXIT_OK;
}
