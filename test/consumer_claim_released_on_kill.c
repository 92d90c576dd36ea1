// SPDX-License-Identifier: MIT
/* One consumer at a time: while a live process holds the claim a second
 * consumer gets EBUSY (producers still attach); once that process is
 * SIGKILLed — even before it is reaped (a zombie) — the claim is taken
 * over, and the new consumer reads what was left. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

int main(void)
{
	char name[64];
	struct ringbuf *rb, *p;
	int ready[2], status;
	long n = 0;
	char c;
	pid_t kid;

	snprintf(name, sizeof(name), "rbtest-claim-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 4 * test_page_size(), NULL);
	CHECK(rb);
	CHECK_EQ(ringbuf_output(rb, "left", 4, 0), 0);
	ringbuf_free(rb); /* releases the creator's claim */

	CHECK(pipe(ready) == 0);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *mine = ringbuf_open(name, RINGBUF_CONSUMER);

		CHECK(mine);
		CHECK(write(ready[1], "r", 1) == 1);
		pause();
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);
	CHECK(ringbuf_open(name, RINGBUF_CONSUMER) == NULL);
	CHECK_EQ(errno, EBUSY);
	CHECK(strstr(ringbuf_strerror_detail(), "live process"));
	p = ringbuf_open(name, RINGBUF_PRODUCER);
	CHECK(p);

	kill(kid, SIGKILL);
	/* Not reaped yet: a zombie holds nothing. */
	test_watchdog(10, "waiting for the killed consumer's claim to be released");
	while (!(rb = ringbuf_open(name, RINGBUF_CONSUMER))) {
		CHECK_EQ(errno, EBUSY);
		usleep(1000);
	}
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(ringbuf_output(p, "more", 4, 0), 0);
	CHECK_EQ(ringbuf_consume(rb, test_count_long, &n), 2);
	ringbuf_free(p);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	return 0;
}
