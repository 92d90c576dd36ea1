// SPDX-License-Identifier: MIT
/*
 * ringbuf stat — show a ring: size, flags, positions, fill, statistics, the
 * owner and mode, the consumer and producers by pid and command name. Works
 * on named rings and on kernel BPF ring buffers (a pinned map path, or
 * --map-id N). Consumes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <ringbuf.h>

#include "cli.h"
#include "rings.h"

static const char stat_help[] =
"Usage: ringbuf stat [--json] NAME\n"
"       ringbuf stat [--json] --map-id ID\n"
"Show a ring: size, flags, positions, fill, statistics, owner and mode, the\n"
"consumer and the producers (pid and command). Consumes nothing. NAME may\n"
"be a kernel BPF ring buffer map pinned on the BPF filesystem\n"
"(/sys/fs/bpf/...); --map-id reads one by its id (see 'bpftool map').\n"
"\n"
"  -i, --map-id ID  a kernel BPF_MAP_TYPE_RINGBUF map by id\n"
"  -j, --json       one JSON object instead of text\n"
"  -h, --help       show this help\n";

static void print_json(const char *name, struct ringbuf *rb, const struct ringbuf_stats *st,
		       const struct ring_info *ri, const struct cli_bpf_map *map)
{
	uint64_t size = ringbuf_query(rb, RINGBUF_RING_SIZE);
	uint64_t avail = ringbuf_query(rb, RINGBUF_AVAIL_DATA);
	char owner[64];

	printf("{\"name\":");
	cli_json_str(stdout, name, strlen(name));
	if (map) {
		printf(",\"kind\":\"bpf\",\"map_id\":%u,\"map_name\":", map->id);
		cli_json_str(stdout, map->name, strlen(map->name));
	} else {
		printf(",\"kind\":\"named\"");
	}
	printf(",\"size\":%llu,\"overwrite\":%s,\"consumer_pos\":%llu,\"producer_pos\":%llu,"
	       "\"pending_pos\":%llu,\"overwrite_pos\":%llu,\"available\":%llu,\"fill_pct\":%.1f,",
	       (unsigned long long)size, ri && ri->flags & RINGBUF_F_OVERWRITE ? "true" : "false",
	       (unsigned long long)ringbuf_query(rb, RINGBUF_CONS_POS),
	       (unsigned long long)ringbuf_query(rb, RINGBUF_PROD_POS),
	       (unsigned long long)ringbuf_query(rb, RINGBUF_PENDING_POS),
	       (unsigned long long)ringbuf_query(rb, RINGBUF_OVERWRITE_POS),
	       (unsigned long long)avail, size ? 100.0 * (double)avail / (double)size : 0.0);
	printf("\"stats\":{\"delivered_records\":%llu,\"delivered_bytes\":%llu,"
	       "\"discarded_records\":%llu,\"dropped_records\":%llu,\"orphaned_records\":%llu,"
	       "\"corrupt_events\":%llu,\"overwritten_records\":%llu,\"overwritten_bytes\":%llu,"
	       "\"wakeups\":%llu}",
	       (unsigned long long)st->delivered_records, (unsigned long long)st->delivered_bytes,
	       (unsigned long long)st->discarded_records, (unsigned long long)st->dropped_records,
	       (unsigned long long)st->orphaned_records, (unsigned long long)st->corrupt_events,
	       (unsigned long long)st->overwritten_records, (unsigned long long)st->overwritten_bytes,
	       (unsigned long long)st->wakeups);
	if (ri && ri->valid) {
		ring_owner(ri->st.st_uid, owner, sizeof(owner));
		printf(",\"owner\":");
		cli_json_str(stdout, owner, strlen(owner));
		printf(",\"uid\":%u,\"mode\":\"0%o\",\"consumer\":", (unsigned)ri->st.st_uid, ri->mode);
		ring_print_procs(stdout, ri, 1, 1);
		printf(",\"producers\":");
		ring_print_procs(stdout, ri, 0, 1);
	}
	printf("}\n");
}

static void print_text(const char *name, struct ringbuf *rb, const struct ringbuf_stats *st,
		       const struct ring_info *ri, const struct cli_bpf_map *map)
{
	uint64_t size = ringbuf_query(rb, RINGBUF_RING_SIZE);
	uint64_t avail = ringbuf_query(rb, RINGBUF_AVAIL_DATA);
	int overwrite = ri && ri->flags & RINGBUF_F_OVERWRITE;
	char b1[32], owner[64];

	printf("ring:          %s\n", name);
	if (map)
		printf("kernel map:    id %u%s%s%s (BPF_MAP_TYPE_RINGBUF)\n", map->id,
		       map->name[0] ? ", name '" : "", map->name, map->name[0] ? "'" : "");
	printf("size:          %s (%llu bytes)\n", cli_fmt_size(size, b1, sizeof(b1)),
	       (unsigned long long)size);
	printf("flags:         %s\n", overwrite ? "overwrite" : "-");
	if (ri && ri->valid)
		printf("owner:         %s, mode 0%o\n", ring_owner(ri->st.st_uid, owner, sizeof(owner)),
		       ri->mode);
	printf("consumer_pos:  %llu\n", (unsigned long long)ringbuf_query(rb, RINGBUF_CONS_POS));
	printf("producer_pos:  %llu\n", (unsigned long long)ringbuf_query(rb, RINGBUF_PROD_POS));
	printf("pending_pos:   %llu\n", (unsigned long long)ringbuf_query(rb, RINGBUF_PENDING_POS));
	if (overwrite)
		printf("overwrite_pos: %llu\n", (unsigned long long)ringbuf_query(rb, RINGBUF_OVERWRITE_POS));
	printf("available:     %llu bytes (%.1f%% full)\n", (unsigned long long)avail,
	       size ? 100.0 * (double)avail / (double)size : 0.0);
	printf("delivered:     %llu records, %llu bytes\n",
	       (unsigned long long)st->delivered_records, (unsigned long long)st->delivered_bytes);
	printf("discarded:     %llu records\n", (unsigned long long)st->discarded_records);
	printf("dropped:       %llu records (ring full)\n", (unsigned long long)st->dropped_records);
	printf("orphaned:      %llu records (dead producers)\n", (unsigned long long)st->orphaned_records);
	printf("corrupt:       %llu events\n", (unsigned long long)st->corrupt_events);
	if (overwrite)
		printf("overwritten:   %llu records, %llu bytes\n",
		       (unsigned long long)st->overwritten_records, (unsigned long long)st->overwritten_bytes);
	printf("wakeups:       %llu\n", (unsigned long long)st->wakeups);
	if (ri && ri->valid) {
		printf("consumer:      ");
		ring_print_procs(stdout, ri, 1, 0);
		printf("\nproducers:     ");
		ring_print_procs(stdout, ri, 0, 0);
		printf("\n");
	}
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "map-id", required_argument, NULL, 'i' },
		CLI_COMMON_OPTIONS,
	};
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct cli_bpf_map map, *mapp = NULL;
	struct ring_info ri, *rip = NULL;
	uint64_t map_id = 0;
	int c, err, by_id = 0;
	char label[32];
	const char *name;
	struct ringbuf *rb;

	while ((c = getopt_long(argc, argv, ":i:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (cli_parse_u64(optarg, 0, &map_id) || map_id > UINT32_MAX)
				return cli_usage(argv[0], "invalid map id '%s'", optarg);
			by_id = 1;
			break;
		case 'j': cli_json = 1; break;
		case 'h': fputs(stat_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	if (optind != argc - !by_id)
		return cli_usage(argv[0], by_id ? "--map-id takes no ring NAME" : "expected exactly one ring NAME");
	if (by_id) {
		snprintf(label, sizeof(label), "map id %u", (unsigned)map_id);
		name = label;
		rb = cli_open_bpf_id(argv[0], (uint32_t)map_id, &map);
		mapp = &map;
	} else if (cli_is_bpffs(argv[optind])) {
		name = argv[optind];
		rb = cli_open_bpf_path(argv[0], name, &map);
		mapp = &map;
	} else {
		name = argv[optind];
		/* An observer: read permission is enough, and we take no
		 * slot and no claim, so the lists are the ring's, not ours. */
		rb = cli_open_ring(argv[0], name, RINGBUF_OBSERVER);
		if (rb && !ring_info_load(name, &ri))
			rip = &ri;
	}
	if (!rb)
		return CLI_EXIT_FAIL;
	err = ringbuf_get_stats(rb, &st);
	if (err) {
		cli_errf(argv[0], name, "cannot read the statistics: %s", cli_strerror(err));
		ringbuf_free(rb);
		return CLI_EXIT_FAIL;
	}
	if (cli_json)
		print_json(name, rb, &st, rip, mapp);
	else
		print_text(name, rb, &st, rip, mapp);
	ringbuf_free(rb);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return CLI_EXIT_OK;
}
