// SPDX-License-Identifier: MIT
/* A ring created 0600 cannot be opened by another user; one created 0666
 * can, and that user's records wake the owner's consumer. Needs root to
 * switch to uid/gid 65534 in a child. */
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

/* In a child running as nobody: open `name` as a producer, write one
 * record. Exit 0 on success, 10 + errno on failure. */
static int as_nobody(const char *name)
{
	pid_t kid = fork();
	int status;

	CHECK(kid >= 0);
	if (kid == 0) {
		struct ringbuf *rb;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		rb = ringbuf_open(name, RINGBUF_PRODUCER);
		if (!rb)
			_exit(10 + errno);
		_exit(ringbuf_output(rb, "hi", 2, 0) ? 3 : 0);
	}
	CHECK(waitpid(kid, &status, 0) == kid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

int main(void)
{
	char names[2][128];
	long n = 0;

	if (geteuid() != 0)
		SKIP("needs root to run a child as uid 65534 (running as uid %d)", (int)geteuid());
	snprintf(names[0], sizeof(names[0]), "rbtest-perm-%d", (int)getpid());
	snprintf(names[1], sizeof(names[1]), "/tmp/rbtest-perm-%d.ring", (int)getpid());
	for (int i = 0; i < 2; i++) {
		RINGBUF_OPTS(open_to_all, .mode = 0666);
		struct ringbuf *rb;

		ringbuf_unlink(names[i]);
		rb = ringbuf_create(names[i], 4 * test_page_size(), NULL); /* 0600 */
		CHECK(rb);
		CHECK_EQ(as_nobody(names[i]), 10 + EACCES);
		ringbuf_free(rb);
		CHECK_EQ(ringbuf_unlink(names[i]), 0);

		rb = ringbuf_create(names[i], 4 * test_page_size(), &open_to_all);
		CHECK(rb);
		CHECK_EQ(as_nobody(names[i]), 0);
		test_watchdog(10, "polling for the other uid's record");
		n = 0;
		while (n < 1)
			CHECK(ringbuf_poll(rb, test_count_long, &n, -1) >= 0);
		ringbuf_free(rb);
		CHECK_EQ(ringbuf_unlink(names[i]), 0);
	}
	return 0;
}
