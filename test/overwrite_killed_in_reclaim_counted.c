// SPDX-License-Identifier: MIT
/* An overwrite producer SIGKILLed inside reclaim — holding the lock, just
 * after taking records from the consumer (reclaim:taken), just after
 * storing their count (reclaim:counted) — and a producer that takes the
 * dead holder's lock over: the counts add up. delivered + overwritten +
 * orphaned + discarded equals the records committed, and every delivered
 * record is whole. Before the reclaim journal, a kill at reclaim:taken left
 * one chunk neither delivered nor counted. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crossproc.h"
#include "ringbuf.h"
#include "testutil.h"

#define REC 40

/* A producer: writes n records, appending one byte to the log per commit. */
static void producer(const char *name, long n, const char *log)
{
	struct ringbuf *rb = ringbuf_open(name, RINGBUF_PRODUCER);
	int fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	uint8_t buf[REC];

	CHECK(rb && fd >= 0);
	for (long s = 0; s < n; s++) {
		test_rec_fill(buf, REC, 0, (uint64_t)s);
		CHECK_EQ(ringbuf_output(rb, buf, REC, RINGBUF_NO_WAKEUP), 0);
		CHECK(write(fd, "c", 1) == 1);
	}
	ringbuf_free(rb);
	_exit(0);
}

static pid_t spawn(const char *name, long n, const char *log, const char *testpoint)
{
	char ns[32];
	char *argv[] = { "producer", "--producer", (char *)name, ns, (char *)log, NULL };

	snprintf(ns, sizeof(ns), "%ld", n);
	return cp_spawn_self(testpoint, argv);
}

static int check_rec(void *ctx, void *data, size_t size)
{
	CHECK_EQ(size, REC);
	CHECK_EQ(test_rec_verify(data, size), 0);
	++*(long *)ctx;
	return 0;
}

static void one(const char *name, const char *testpoint)
{
	RINGBUF_OPTS(o, .flags = RINGBUF_F_OVERWRITE);
	struct ringbuf_stats st = { .sz = sizeof(st) };
	char log[128];
	struct ringbuf *rb;
	long delivered = 0, committed;
	struct stat sb;
	int status, fd;
	pid_t kid;

	snprintf(log, sizeof(log), "/tmp/%s.log", name);
	CHECK((fd = open(log, O_CREAT | O_TRUNC | O_WRONLY, 0600)) >= 0 && !close(fd));
	ringbuf_unlink(name);
	rb = ringbuf_create(name, test_page_size(), &o);
	CHECK(rb);
	/* The consumer reads some first, so reclaim has records of both
	 * kinds to pass: read ones and unread ones. */
	kid = spawn(name, 40, log, NULL);
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	CHECK(ringbuf_consume_n(rb, check_rec, &delivered, 20) == 20);

	kid = spawn(name, 100000, log, testpoint);
	test_watchdog(20, "waiting for the producer to be killed inside reclaim");
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	test_watchdog(0, NULL);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		fprintf(stderr, "%s: the producer was not killed (status 0x%x)\n", testpoint, status);
		exit(1);
	}
	/* Another producer takes the dead holder's lock over. */
	kid = spawn(name, 500, log, NULL);
	CHECK_EQ(waitpid(kid, &status, 0), kid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	while (ringbuf_consume(rb, check_rec, &delivered) > 0)
		;
	CHECK_EQ(stat(log, &sb), 0);
	committed = (long)sb.st_size;
	CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
	printf("%-22s committed %ld = delivered %ld + overwritten %llu + orphaned %llu + "
	       "discarded %llu\n", testpoint, committed, delivered,
	       (unsigned long long)st.overwritten_records, (unsigned long long)st.orphaned_records,
	       (unsigned long long)st.discarded_records);
	CHECK_EQ(st.corrupt_events, 0);
	CHECK_EQ((long long)(delivered + (long)st.overwritten_records + (long)st.orphaned_records +
			     (long)st.discarded_records), committed);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);
	unlink(log);
}

int main(int argc, char **argv)
{
	char name[64];

	if (argc == 5 && !strcmp(argv[1], "--producer"))
		producer(argv[2], atol(argv[3]), argv[4]);
	snprintf(name, sizeof(name), "rbtest-reclaimkill-%d", (int)getpid());
	one(name, "reclaim:locked=kill@3");
	one(name, "reclaim:taken=kill@3");
	one(name, "reclaim:counted=kill@3");
	return 0;
}
