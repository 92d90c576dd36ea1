// SPDX-License-Identifier: MIT
/* white-box: writes holders' stamps into the reclaim lock of struct ringbuf (src/internal.h) */
/* The reclaim lock (meta.reclaim_lock, the holder's stamp) of an overwrite
 * ring: a holder that died is taken over, so overwriting goes on; a live
 * holder that never lets go makes reservations that need room fail with
 * ENOSPC after a bounded wait instead of blocking; once it lets go, they
 * succeed again. The holders are fork children with slots of their own;
 * the test writes their stamp into the lock word. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"
#include "../src/internal.h"

static void fill(struct ringbuf *rb, int n)
{
	for (int i = 0; i < n; i++)
		CHECK_EQ(ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP), 0);
}

/* A fork child that takes a slot of its own (its first reserve), tells us
 * its stamp, then exits (dies without detaching) or waits to be killed. */
static pid_t child_with_stamp(struct ringbuf *rb, int stay, uint32_t *stamp)
{
	uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	CHECK(shared != MAP_FAILED);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int x = 0;

		CHECK_EQ(ringbuf_output(rb, &x, sizeof(x), RINGBUF_NO_WAKEUP), 0);
		__atomic_store_n(&shared[1], rb->owner_slot, __ATOMIC_RELAXED);
		__atomic_store_n(&shared[0], 1, __ATOMIC_RELEASE);
		while (stay)
			pause();
		_exit(0);
	}
	while (!__atomic_load_n(&shared[0], __ATOMIC_ACQUIRE))
		usleep(1000);
	*stamp = shared[1];
	munmap(shared, 4096);
	CHECK(*stamp != rb->owner_slot && RINGBUF_STAMP_SLOT(*stamp) != 0);
	return pid;
}

int main(void)
{
	RINGBUF_OPTS(opts, .flags = RINGBUF_F_OVERWRITE);
	struct ringbuf *rb = ringbuf_create(NULL, test_page_size(), &opts);
	uint32_t *lock, stamp;
	pid_t dead, alive;
	uint64_t t0;
	int status;

	CHECK(rb);
	lock = &rb->meta->reclaim_lock;
	fill(rb, 1000); /* the ring has wrapped: every lap needs reclaim */
	CHECK(ringbuf_query(rb, RINGBUF_OVERWRITE_POS) > 0);

	/* A dead holder. */
	dead = child_with_stamp(rb, 0, &stamp);
	CHECK_EQ(waitpid(dead, &status, 0), dead);
	__atomic_store_n(lock, stamp | RINGBUF_RECLAIM_HELD, __ATOMIC_RELEASE);
	uint64_t over = ringbuf_query(rb, RINGBUF_OVERWRITE_POS);
	fill(rb, 1000);
	CHECK(ringbuf_query(rb, RINGBUF_OVERWRITE_POS) > over);
	CHECK_EQ(__atomic_load_n(lock, __ATOMIC_ACQUIRE), 0);

	/* A live holder that never lets go: bounded wait, then ENOSPC. */
	alive = child_with_stamp(rb, 1, &stamp);
	__atomic_store_n(lock, stamp | RINGBUF_RECLAIM_HELD, __ATOMIC_RELEASE);
	t0 = test_now_ns();
	int refused = 0;
	for (int i = 0; i < 200 && !refused; i++)
		refused = ringbuf_output(rb, &i, sizeof(i), RINGBUF_NO_WAKEUP) == -ENOSPC;
	CHECK(refused);
	CHECK(test_now_ns() - t0 < 5000000000ULL);
	/* It lets go (or dies): overwriting goes on. */
	kill(alive, SIGKILL);
	CHECK_EQ(waitpid(alive, &status, 0), alive);
	fill(rb, 1000);
	CHECK_EQ(__atomic_load_n(lock, __ATOMIC_ACQUIRE), 0);
	printf("ok: dead holder taken over; live holder refused after %.0f ms\n",
	       (double)(test_now_ns() - t0) / 1e6);
	ringbuf_free(rb);
	return 0;
}
