// SPDX-License-Identifier: MIT
/*
 * ringbuf stat — show a ring: size, positions, statistics, producers, consumer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>
#include <ringbuf_format.h>
#include <sys/mman.h>

#include "cli.h"

/* Map the meta page of a named ring read-only, to list its producers and
 * consumer (published format, ringbuf_format.h). NULL when not possible. */
static const struct ringbuf_meta *map_meta(const char *name, size_t *len)
{
	char path[4096];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const struct ringbuf_meta *m;
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/dev/shm/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	if (m->magic != RINGBUF_MAGIC) {
		munmap((void *)m, page);
		return NULL;
	}
	*len = page;
	return m;
}

/* The pid of producer slot i, 0 when free or when it is us. */
static uint32_t slot_pid(const struct ringbuf_meta *m, int i)
{
	uint32_t pid = m->producers[i].pid & ~RINGBUF_OWNER_INIT;

	return pid == (uint32_t)getpid() ? 0 : pid;
}

static const char stat_help[] =
"Usage: ringbuf stat [--json] NAME\n"
"Show a ring: size, flags, positions, available bytes, statistics, the\n"
"attached producers and consumer. Does not consume anything.\n"
"\n"
"  -j, --json   one JSON object instead of text\n"
"  -h, --help   show this help\n";

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ringbuf_stats st = { .sz = sizeof(st) };
	const struct ringbuf_meta *m;
	size_t mlen = 0;
	char b1[32];
	int c, json = 0, err, np = 0;
	const char *name;
	struct ringbuf *rb;
	uint64_t size, cons, prod, pend, over, avail;
	int overwrite;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(stat_help, stdout); return CLI_EXIT_OK;
		default: return cli_usage(argv[0], "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0], "expected exactly one ring NAME");
	name = argv[optind];
	/* There is no observer role: attach as a producer (which takes
	 * nothing from the ring) and leave ourselves out of the list. */
	rb = cli_open_ring(argv[0], name, RINGBUF_PRODUCER);
	if (!rb)
		return CLI_EXIT_FAIL;
	err = ringbuf_get_stats(rb, &st);
	if (err) {
		cli_err(argv[0], name, err);
		ringbuf_free(rb);
		return CLI_EXIT_FAIL;
	}
	size = ringbuf_query(rb, RINGBUF_RING_SIZE);
	cons = ringbuf_query(rb, RINGBUF_CONS_POS);
	prod = ringbuf_query(rb, RINGBUF_PROD_POS);
	pend = ringbuf_query(rb, RINGBUF_PENDING_POS);
	over = ringbuf_query(rb, RINGBUF_OVERWRITE_POS);
	avail = ringbuf_query(rb, RINGBUF_AVAIL_DATA);
	m = map_meta(name, &mlen);
	overwrite = m ? !!(m->flags & RINGBUF_F_OVERWRITE) : over != cons && over != 0;

	if (json) {
		printf("{\"name\":");
		cli_json_str(stdout, name, strlen(name));
		printf(",\"size\":%llu,\"overwrite\":%s,\"consumer_pos\":%llu,\"producer_pos\":%llu,"
		       "\"pending_pos\":%llu,\"overwrite_pos\":%llu,\"available\":%llu,",
		       (unsigned long long)size, overwrite ? "true" : "false",
		       (unsigned long long)cons, (unsigned long long)prod,
		       (unsigned long long)pend, (unsigned long long)over,
		       (unsigned long long)avail);
		printf("\"stats\":{\"delivered_records\":%llu,\"delivered_bytes\":%llu,"
		       "\"discarded_records\":%llu,\"dropped_records\":%llu,\"orphaned_records\":%llu,"
		       "\"corrupt_events\":%llu,\"overwritten_records\":%llu,\"overwritten_bytes\":%llu,"
		       "\"wakeups\":%llu}",
		       (unsigned long long)st.delivered_records, (unsigned long long)st.delivered_bytes,
		       (unsigned long long)st.discarded_records, (unsigned long long)st.dropped_records,
		       (unsigned long long)st.orphaned_records, (unsigned long long)st.corrupt_events,
		       (unsigned long long)st.overwritten_records, (unsigned long long)st.overwritten_bytes,
		       (unsigned long long)st.wakeups);
		if (m) {
			printf(",\"mode\":\"0%o\",\"consumer_pid\":%u,\"producers\":[",
			       m->mode, m->consumer_pid);
			for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
				if (slot_pid(m, i))
					printf("%s%u", np++ ? "," : "", slot_pid(m, i));
			printf("]");
		}
		printf("}\n");
	} else {
		printf("ring:          %s\n", name);
		printf("size:          %s (%llu bytes)\n", cli_fmt_size(size, b1, sizeof(b1)),
		       (unsigned long long)size);
		printf("flags:         %s\n", overwrite ? "overwrite" : "-");
		if (m)
			printf("mode:          0%o\n", m->mode);
		printf("consumer_pos:  %llu\n", (unsigned long long)cons);
		printf("producer_pos:  %llu\n", (unsigned long long)prod);
		printf("pending_pos:   %llu\n", (unsigned long long)pend);
		if (overwrite)
			printf("overwrite_pos: %llu\n", (unsigned long long)over);
		printf("available:     %llu bytes (%.1f%% full)\n", (unsigned long long)avail,
		       size ? 100.0 * (double)avail / (double)size : 0.0);
		printf("delivered:     %llu records, %llu bytes\n",
		       (unsigned long long)st.delivered_records, (unsigned long long)st.delivered_bytes);
		printf("discarded:     %llu records\n", (unsigned long long)st.discarded_records);
		printf("dropped:       %llu records (ring full)\n", (unsigned long long)st.dropped_records);
		printf("orphaned:      %llu records (dead producers)\n", (unsigned long long)st.orphaned_records);
		printf("corrupt:       %llu events\n", (unsigned long long)st.corrupt_events);
		if (overwrite)
			printf("overwritten:   %llu records, %llu bytes\n",
			       (unsigned long long)st.overwritten_records,
			       (unsigned long long)st.overwritten_bytes);
		printf("wakeups:       %llu\n", (unsigned long long)st.wakeups);
		if (m) {
			if (m->consumer_pid)
				printf("consumer:      pid %u\n", m->consumer_pid);
			else
				printf("consumer:      none\n");
			for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
				if (slot_pid(m, i))
					printf("producer:      pid %u\n", slot_pid(m, i)), np++;
			if (!np)
				printf("producers:     none\n");
		}
	}
	if (m)
		munmap((void *)m, mlen);
	ringbuf_free(rb);
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return CLI_EXIT_OK;
}
