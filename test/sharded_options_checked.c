// SPDX-License-Identifier: MIT
/* The options of a sharded object follow the library's convention
 * (libbpf's): a caller's smaller struct reads as zeros past its sz, a
 * larger one is refused (EINVAL, with a detail) when a byte this library
 * does not know is non-zero, an sz below the sz field is refused; unknown
 * flags, policies and modes beyond 0777 are refused. The idle policy of
 * the sharded consume is checked like ringbuf_set_idle's, and a consume
 * with RINGBUF_IDLE_NONE on empty shards returns 0. Every public call
 * clears the error detail: a success after a failure shows "". */
#include <string.h>

#include "ringbuf.h"
#include "testutil.h"

static void refused(struct ringbuf_sharded *s, const char *what)
{
	printf("%-28s errno %d (%s)\n", what, errno, ringbuf_strerror_detail());
	CHECK(s == NULL && errno == EINVAL && *ringbuf_strerror_detail());
}

int main(void)
{
	size_t sz = 4 * test_page_size();
	struct {
		struct ringbuf_sharded_opts o;
		uint64_t newer;        /* a field of a newer library */
	} big;
	struct ringbuf_sharded *s;
	int n = 0;

	{
		RINGBUF_SHARDED_OPTS(o, .flags = 0x80);
		refused(ringbuf_create_sharded(NULL, sz, 2, &o), "unknown flag");
	}
	{
		RINGBUF_SHARDED_OPTS(o, .shard_by = 7);
		refused(ringbuf_create_sharded(NULL, sz, 2, &o), "unknown policy");
	}
	{
		RINGBUF_SHARDED_OPTS(o, .mode = 04755);
		refused(ringbuf_create_sharded(NULL, sz, 2, &o), "setuid mode");
	}
	{
		RINGBUF_SHARDED_OPTS(o);
		o.sz = 4;
		refused(ringbuf_create_sharded(NULL, sz, 2, &o), "sz below the sz field");
	}
	refused(ringbuf_create_sharded(NULL, sz, 0, NULL), "no shards");
	refused(ringbuf_create_sharded(NULL, sz, RINGBUF_MAX_SHARDS + 1, NULL), "too many shards");

	/* A newer caller's struct: refused while the new field is set... */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.newer = 1;
	refused(ringbuf_create_sharded(NULL, sz, 2, &big.o), "unknown non-zero field");
	/* ...accepted when it is zero; and an older caller's (only sz and
	 * flags) reads as zeros after them. The detail is cleared. */
	big.newer = 0;
	s = ringbuf_create_sharded(NULL, sz, 2, &big.o);
	CHECK(s && !*ringbuf_strerror_detail());
	ringbuf_sharded_free(s);
	{
		RINGBUF_SHARDED_OPTS(o, .flags = RINGBUF_SHARDED_F_STAMP, .shard_by = 1, .recover_ms = 5);
		o.sz = offsetof(struct ringbuf_sharded_opts, mode);
		s = ringbuf_create_sharded(NULL, sz, 2, &o);
		CHECK(s);
		/* shard_by fell off the end: BY_CPU; flags were read: stamped. */
		CHECK_EQ(ringbuf_sharded_output_key(s, 42, "x", 1, 0), 0);
	}

	/* The idle policy of the sharded consume. */
	{
		RINGBUF_IDLE_OPTS(bad, .policy = 99);
		RINGBUF_IDLE_OPTS(none, .policy = RINGBUF_IDLE_NONE);

		CHECK_EQ(ringbuf_sharded_set_idle(NULL, NULL), -EINVAL);
		CHECK_EQ(ringbuf_sharded_set_idle(s, &bad), -EINVAL);
		printf("%-28s %s\n", "unknown idle policy", ringbuf_strerror_detail());
		CHECK(*ringbuf_strerror_detail());
		CHECK_EQ(ringbuf_sharded_set_idle(s, &none), 0);
		CHECK(!*ringbuf_strerror_detail());
		CHECK_EQ(ringbuf_sharded_consume(s, test_count_int, &n, 0), 1);
		CHECK_EQ(ringbuf_sharded_consume(s, test_count_int, &n, 0), 0);
		CHECK_EQ(ringbuf_sharded_set_idle(s, NULL), 0); /* the default */
		CHECK_EQ(ringbuf_sharded_consume(s, test_count_int, &n, 0), 0);
		CHECK_EQ(n, 1);
	}
	ringbuf_sharded_free(s);
	printf("ok\n");
	return 0;
}
