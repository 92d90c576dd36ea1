// SPDX-License-Identifier: MIT
/* A producer whose descriptor table is full cannot open the wake FIFO; it
 * must not look attached while unable to wake a sleeping consumer. With
 * RLIMIT_NOFILE lowered and 0, 1, 2, ... descriptors left free,
 * ringbuf_open(PRODUCER) either fails with EMFILE, or succeeds and then its
 * record really wakes the consumer armed to sleep (poll on ringbuf_fd). */
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define MAX_FDS 64

int main(void)
{
	struct rlimit rl = { MAX_FDS, MAX_FDS };
	int spare[MAX_FDS], nspare = 0, refused = 0, opened = 0;
	struct ringbuf *cons, *prod;
	char name[64];

	snprintf(name, sizeof(name), "rbtest-emfile-%d", (int)getpid());
	ringbuf_unlink(name);
	cons = ringbuf_create(name, 4 * test_page_size(), NULL);
	CHECK(cons);
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);

	for (int free_fds = 0; free_fds <= 6; free_fds++) {
		struct pollfd pfd = { .fd = ringbuf_fd(cons), .events = POLLIN };
		long n = 0;
		int fd;

		/* Fill the table, then give back free_fds descriptors. */
		while ((fd = dup(0)) >= 0)
			spare[nspare++] = fd;
		CHECK(errno == EMFILE);
		for (int i = 0; i < free_fds; i++)
			close(spare[--nspare]);

		errno = 0;
		prod = ringbuf_open(name, RINGBUF_PRODUCER);
		if (!prod) {
			printf("%d free: open refused: %s (%s)\n", free_fds, strerror(errno),
			       ringbuf_strerror_detail());
			CHECK(errno == EMFILE || errno == ENFILE);
			refused++;
		} else {
			/* Attached: it must wake the consumer, with the table
			 * still full (no second chance to open the FIFO). */
			CHECK_EQ(ringbuf_wait_prepare(cons), 0);
			CHECK_EQ(ringbuf_output(prod, "wake", 4, 0), 0);
			CHECK(poll(&pfd, 1, 2000) == 1);
			printf("%d free: opened, and its record woke the consumer\n", free_fds);
			ringbuf_free(prod);
			CHECK_EQ(ringbuf_consume(cons, test_count_long, &n), 1);
			opened++;
		}
		while (nspare)
			close(spare[--nspare]);
	}
	/* Both outcomes were reached: the sweep crossed the point where the
	 * ring opens and the FIFO does not. */
	CHECK(refused > 0 && opened > 0);
	ringbuf_free(cons);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
