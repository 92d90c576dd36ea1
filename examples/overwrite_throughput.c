// SPDX-License-Identifier: MIT
/*
 * Producer-only throughput: reserve + fill + submit (NO_WAKEUP), no consumer.
 *
 *   overwrite_throughput overwrite PRODUCERS [SECONDS] [RECORD_BYTES] [RING_BYTES]
 *   overwrite_throughput normal    1         [SECONDS] [RECORD_BYTES] [RING_BYTES]
 *
 * overwrite: the producers write continuously into a RINGBUF_F_OVERWRITE
 * ring; reclaim makes room. normal: one producer fills an empty ring until
 * ENOSPC (timed), then the ring is drained (not timed), over and over: the
 * cost of reserve/commit alone, comparable with overwrite mode. Prints one
 * line: mode, producers, records/s. Figures drift on shared VMs: compare
 * only lines taken in the same run, interleaved.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringbuf.h>

static struct ringbuf *rb;
static size_t rec_bytes = 64;
static volatile int stop;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *producer(void *arg)
{
	unsigned long long *count = arg, n = 0, fails = 0;

	while (!stop) {
		for (int i = 0; i < 256; i++) {
			unsigned char *p = ringbuf_reserve(rb, rec_bytes, 0);

			if (!p) {
				fails++;
				continue;
			}
			memset(p, (int)n, rec_bytes);
			ringbuf_submit(rb, p, RINGBUF_NO_WAKEUP);
			n++;
		}
	}
	*count = n;
	(void)fails;
	return NULL;
}

static int drop(void *ctx, void *data, size_t size)
{
	(void)ctx; (void)data; (void)size;
	return 0;
}

int main(int argc, char **argv)
{
	int overwrite = argc > 1 && !strcmp(argv[1], "overwrite");
	int nprod = argc > 2 ? atoi(argv[2]) : 1;
	double secs = argc > 3 ? atof(argv[3]) : 1.0, t0, elapsed = 0;
	size_t ring = argc > 5 ? (size_t)strtoull(argv[5], NULL, 0) : 1 << 20;
	unsigned long long total = 0, counts[16] = { 0 };
	pthread_t t[16];

	if (argc < 2 || (!overwrite && strcmp(argv[1], "normal")) || nprod < 1 || nprod > 16 ||
	    (!overwrite && nprod != 1)) {
		fprintf(stderr, "usage: %s overwrite|normal PRODUCERS [SECONDS] [RECORD_BYTES] [RING_BYTES]\n"
				"(normal mode: 1 producer)\n", argv[0]);
		return 2;
	}
	if (argc > 4)
		rec_bytes = (size_t)atoi(argv[4]);
	RINGBUF_OPTS(opts, .flags = overwrite ? RINGBUF_F_OVERWRITE : 0);
	rb = ringbuf_create(NULL, ring, &opts);
	if (!rb) {
		perror("ringbuf_create");
		return 1;
	}
	if (overwrite) {
		t0 = now_s();
		for (int i = 0; i < nprod; i++)
			pthread_create(&t[i], NULL, producer, &counts[i]);
		while (now_s() - t0 < secs) {
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL);
		}
		stop = 1;
		for (int i = 0; i < nprod; i++) {
			pthread_join(t[i], NULL);
			total += counts[i];
		}
		elapsed = now_s() - t0;
	} else {
		while (elapsed < secs) {
			double t1 = now_s();
			void *p;

			while ((p = ringbuf_reserve(rb, rec_bytes, 0))) {
				memset(p, (int)total, rec_bytes);
				ringbuf_submit(rb, p, RINGBUF_NO_WAKEUP);
				total++;
			}
			elapsed += now_s() - t1;
			ringbuf_consume(rb, drop, NULL);
		}
	}
	struct ringbuf_stats st = { .sz = sizeof(st) };

	ringbuf_get_stats(rb, &st);
	printf("%-9s producers=%d record=%zuB ring=%zuB: %.2f M records/s (overwritten %llu)\n",
	       overwrite ? "overwrite" : "normal", nprod, rec_bytes, ring, (double)total / elapsed / 1e6,
	       (unsigned long long)st.overwritten_records);
	ringbuf_free(rb);
	return 0;
}
