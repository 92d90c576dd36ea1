// SPDX-License-Identifier: MIT
/* Bad input gets a clear negative errno and leaves the manager as it was:
 * add_bpf with a closed fd (-EBADF), a non-BPF fd and a BPF map of another
 * type (-EINVAL), the same user ring twice (-EEXIST), NULL arguments
 * (-EINVAL). The BPF map case skips only its own part where BPF is refused. */
#include <sys/eventfd.h>
#include <unistd.h>

#include "bpfprog.h"
#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf *rb2 = ringbuf_create(NULL, test_page_size(), NULL);
	struct ringbuf_consumer *c = ringbuf_consumer_new();
	int n = 0, n2 = 0, efd, closed, arr;

	CHECK(rb && rb2 && c);
	CHECK_EQ(ringbuf_consumer_add(c, rb, test_count_int, &n), 0);

	/* NULLs. */
	CHECK_EQ(ringbuf_consumer_add(NULL, rb, test_count_int, &n), -EINVAL);
	CHECK_EQ(ringbuf_consumer_add(c, NULL, test_count_int, &n), -EINVAL);
	CHECK_EQ(ringbuf_consumer_add(c, rb2, NULL, &n), -EINVAL);
	CHECK_EQ(ringbuf_consumer_add_bpf(NULL, 0, test_count_int, &n), -EINVAL);
	CHECK_EQ(ringbuf_consumer_poll(NULL, 0), -EINVAL);
	CHECK_EQ(ringbuf_consumer_epoll_fd(NULL), -EINVAL);
	CHECK_EQ(ringbuf_consumer_ring_cnt(NULL), -EINVAL);

	/* The same ring twice. */
	CHECK_EQ(ringbuf_consumer_add(c, rb, test_count_int, &n2), -EEXIST);

	/* A closed fd, a negative one, a non-BPF fd. */
	closed = eventfd(0, 0);
	CHECK(closed >= 0);
	close(closed);
	CHECK_EQ(ringbuf_consumer_add_bpf(c, closed, test_count_int, &n), -EBADF);
	CHECK_EQ(ringbuf_consumer_add_bpf(c, -1, test_count_int, &n), -EBADF);
	efd = eventfd(0, 0);
	CHECK(efd >= 0);
	CHECK_EQ(ringbuf_consumer_add_bpf(c, efd, test_count_int, &n), -EINVAL);
	errno = 0;
	CHECK(!ringbuf_open_bpf(efd));
	CHECK_EQ(errno, EINVAL);

	/* A BPF map that is not a ring buffer. */
	arr = bpfprog_array_create();
	if (arr >= 0) {
		CHECK_EQ(ringbuf_consumer_add_bpf(c, arr, test_count_int, &n), -EINVAL);
		close(arr);
	} else if (bpfprog_refused(arr)) {
		printf("note: BPF refused, non-ringbuf map case not run: %s\n", bpfprog_error());
	} else {
		fprintf(stderr, "%s\n", bpfprog_error());
		return 1;
	}

	/* Unchanged: one ring, which still works, and rb2 can still be added. */
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 1);
	CHECK(ringbuf_consumer_ring(c, 0) == rb);
	CHECK_EQ(ringbuf_output(rb, "x", 1, 0), 0);
	CHECK_EQ(ringbuf_consumer_poll(c, 1000), 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(n2, 0);
	CHECK_EQ(ringbuf_consumer_add(c, rb2, test_count_int, &n2), 0);
	CHECK_EQ(ringbuf_consumer_ring_cnt(c), 2);
	CHECK_EQ(ringbuf_output(rb2, "x", 1, 0), 0);
	CHECK_EQ(ringbuf_consumer_consume(c), 1);
	CHECK_EQ(n2, 1);

	close(efd);
	ringbuf_consumer_free(c);
	ringbuf_free(rb);
	ringbuf_free(rb2);
	return 0;
}
