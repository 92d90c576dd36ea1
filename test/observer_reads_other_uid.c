// SPDX-License-Identifier: MIT
/* RINGBUF_OBSERVER: another uid with read permission only (a 0644 ring of
 * root) opens the ring read-only, queries it, reads its statistics and
 * snapshots its records, but cannot produce, consume, arm a wakeup or get
 * a wake fd (EPERM / EBADF), takes no producer slot and no consumer claim,
 * and changes no byte of the ring. Producer and consumer opens by the same
 * uid fail with EACCES, as before. */
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"
#include "ringbuf_format.h"
#include "testutil.h"

#define NREC 10

static char name[64], path[96];

static int count_rec(void *ctx, void *data, size_t size)
{
	(void)data;
	*(size_t *)ctx += size;
	return 0;
}

static int observe(void *arg)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };
	size_t bytes = 0;
	struct ringbuf *rb;
	long n = 0;

	(void)arg;
	if (ringbuf_open(name, RINGBUF_PRODUCER) || errno != EACCES)
		return 10;
	if (ringbuf_open(name, RINGBUF_CONSUMER) || errno != EACCES)
		return 11;
	if (ringbuf_open(name, RINGBUF_OBSERVER | RINGBUF_CONSUMER) || errno != EINVAL)
		return 12;
	rb = ringbuf_open(name, RINGBUF_OBSERVER);
	if (!rb) {
		fprintf(stderr, "observer open: %s (%s)\n", strerror(errno), ringbuf_strerror_detail());
		return 13;
	}
	if (ringbuf_query(rb, RINGBUF_RING_SIZE) != 4 * test_page_size())
		return 14;
	if (ringbuf_query(rb, RINGBUF_AVAIL_DATA) != NREC * 16)
		return 15;
	if (ringbuf_get_stats(rb, &st) || st.dropped_records != 1)
		return 16;
	if (ringbuf_snapshot(rb, count_rec, &bytes, 0, 0) != NREC || bytes != NREC * 8)
		return 17;
	if (ringbuf_reserve(rb, 8, 0) || errno != EPERM)
		return 18;
	if (ringbuf_output(rb, "12345678", 8, 0) != -EPERM)
		return 19;
	if (ringbuf_consume(rb, test_count_long, &n) != -EPERM || n)
		return 20;
	if (ringbuf_poll(rb, test_count_long, &n, 0) != -EPERM)
		return 21;
	if (ringbuf_wait_prepare(rb) != -EPERM || ringbuf_recover(rb) != -EPERM)
		return 22;
	if (ringbuf_fd(rb) != -EBADF)
		return 23;
	ringbuf_free(rb);
	return 0;
}

int main(void)
{
	RINGBUF_OPTS(o, .mode = 0644);
	size_t page = test_page_size(), len = (3 + 4) * page;
	struct ringbuf *rb;
	uint8_t *before, *after;
	FILE *f;

	if (geteuid() != 0)
		SKIP("needs root to run the observer as uid %d (running as uid %d)", TEST_NOBODY,
		     (int)geteuid());
	snprintf(name, sizeof(name), "rbtest-observer-%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 4 * page, &o);
	CHECK(rb);
	for (int i = 0; i < NREC; i++)
		CHECK_EQ(ringbuf_output(rb, "12345678", 8, 0), 0);
	CHECK(ringbuf_reserve(rb, 4 * page, 0) == NULL); /* one drop: E2BIG is not counted */
	CHECK(ringbuf_reserve(rb, 4 * page - 8, 0) == NULL); /* ENOSPC: counted */
	ringbuf_free(rb); /* no claim, no slot held by us either */

	/* The whole file before and after the observer: not one byte changes. */
	before = malloc(len);
	after = malloc(len);
	CHECK(before && after);
	CHECK((f = fopen(path, "rb")) && fread(before, 1, len, f) == len && !fclose(f));
	CHECK_EQ(test_as_nobody(observe, NULL), 0);
	CHECK((f = fopen(path, "rb")) && fread(after, 1, len, f) == len && !fclose(f));
	CHECK(memcmp(before, after, len) == 0);
	{
		const struct ringbuf_meta *m = (const void *)after;

		CHECK_EQ(m->consumer_pid, 0);
		for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
			CHECK_EQ(m->producers[i].pid, 0);
	}
	free(before);
	free(after);

	/* Still consumable by its owner: the observer took nothing. */
	rb = ringbuf_open(name, RINGBUF_CONSUMER);
	CHECK(rb);
	{
		long n = 0;

		CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), NREC);
	}
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	printf("observer as uid %d: query, stats, snapshot read; produce/consume refused; "
	       "the ring unchanged\n", TEST_NOBODY);
	return 0;
}
