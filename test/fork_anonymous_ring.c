// SPDX-License-Identifier: MIT
/* An anonymous ring is shared with fork children: two child processes
 * produce, the parent consumes every record, blocking in ringbuf_poll. */
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

struct st { uint64_t next[2]; long n; };

static int on_rec(void *ctx, void *data, size_t size)
{
	struct st *s = ctx;
	struct test_rec r;

	CHECK_EQ(test_rec_verify(data, size), 0);
	memcpy(&r, data, sizeof(r));
	CHECK(r.producer < 2);
	CHECK_EQ(r.seq, s->next[r.producer]);
	s->next[r.producer]++;
	s->n++;
	return 0;
}

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, 16 * test_page_size(), NULL);
	long per = test_scaled(100000);
	struct st s = { { 0, 0 }, 0 };
	pid_t kids[2];

	CHECK(rb);
	for (uint32_t k = 0; k < 2; k++) {
		kids[k] = fork();
		CHECK(kids[k] >= 0);
		if (kids[k] == 0) {
			uint8_t buf[128];

			for (long i = 0; i < per; i++) {
				size_t len = sizeof(struct test_rec) + (size_t)(i % 90);

				test_rec_fill(buf, len, k, (uint64_t)i);
				while (ringbuf_output(rb, buf, len, 0) == -ENOSPC)
					usleep(10);
			}
			_exit(0);
		}
	}
	test_watchdog(60, "polling for the fork children's records");
	while (s.n < 2 * per)
		CHECK(ringbuf_poll(rb, on_rec, &s, -1) >= 0);
	for (int k = 0; k < 2; k++) {
		int status;

		CHECK(waitpid(kids[k], &status, 0) == kids[k]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_EQ(ringbuf_query(rb, RINGBUF_AVAIL_DATA), 0);
	ringbuf_free(rb);
	return 0;
}
