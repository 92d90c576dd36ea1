// SPDX-License-Identifier: MIT
/*
 * Two processes, one named ring: the consumer creates the ring "NAME" (a
 * POSIX shared memory object, /dev/shm/NAME), starts a producer process
 * that opens it by name, and prints what arrives; the producer writes ten
 * records, each with its pid and a sequence number, and exits.
 *
 *	cc two_processes.c $(pkg-config --cflags --libs libringbuf)
 *	./a.out                   # both: the consumer runs "./a.out produce NAME"
 *	./a.out consume NAME      # or each in its own terminal,
 *	./a.out produce NAME      # after `ringbuf create NAME`
 *
 * While it runs, `ringbuf ls` shows the ring with both processes attached.
 */
#include <errno.h>
#include <ringbuf.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg {
	int pid;
	int seq;
	char text[32];
};

static int produce(const char *name)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_PRODUCER);

	if (!rb) {
		fprintf(stderr, "open %s: %s %s\n", name, strerror(errno), ringbuf_strerror_detail());
		return 1;
	}
	for (int i = 0; i < 10; i++) {
		struct msg *m = ringbuf_reserve(rb, sizeof(*m), 0);

		if (!m) {               /* ENOSPC: the consumer is behind */
			usleep(1000);
			i--;
			continue;
		}
		m->pid = getpid();
		m->seq = i;
		snprintf(m->text, sizeof(m->text), "hello %d", i);
		ringbuf_submit(rb, m, 0); /* wakes the consumer if it sleeps */
	}
	ringbuf_free(rb);
	return 0;
}

static int on_msg(void *ctx, void *data, size_t size)
{
	const struct msg *m = data;
	int *n = ctx;

	if (size != sizeof(*m))
		return 0;           /* another writer's record: not ours to read */
	printf("from pid %d: #%d %s\n", m->pid, m->seq, m->text);
	(*n)++;
	return 0;
}

static int consume(const char *name, int want)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_CONSUMER);
	int n = 0;

	if (!rb) {
		fprintf(stderr, "open %s: %s %s\n", name, strerror(errno), ringbuf_strerror_detail());
		return 1;
	}
	while (want < 0 || n < want)
		if (ringbuf_poll(rb, on_msg, &n, 5000) == 0 && want >= 0)
			break;      /* nothing for 5 s */
	ringbuf_free(rb);
	return want < 0 || n == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	char name[64];
	pid_t pid;
	int rc, status;

	if (argc == 3 && !strcmp(argv[1], "produce"))
		return produce(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "consume"))
		return consume(argv[2], -1);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [produce|consume NAME]\n", argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "two-processes-%d", (int)getpid());
	struct ringbuf *rb = ringbuf_create(name, 1 << 16, NULL);   /* 64 KiB */

	if (!rb) {
		fprintf(stderr, "create %s: %s\n", name, strerror(errno));
		return 1;
	}
	ringbuf_free(rb);           /* the ring stays until ringbuf_unlink */
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "produce", name, (char *)NULL);
		_exit(127);
	}
	rc = consume(name, 10);
	waitpid(pid, &status, 0);
	ringbuf_unlink(name);
	return rc || !WIFEXITED(status) || WEXITSTATUS(status);
}
