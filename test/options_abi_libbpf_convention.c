// SPDX-License-Identifier: MIT
/* Options structs follow libbpf's convention: an older caller's shorter
 * struct (sz = 12) has every field past sz read as zero, whatever its
 * memory holds after it; a newer caller's non-zero bytes past the library's
 * struct are refused with EINVAL; an sz smaller than the sz field itself is
 * refused. And ringbuf_strerror_detail() never shows the detail of an
 * earlier failure for a later one. */
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

/* An options struct as an old binary lays it out, followed by memory the
 * library must not read as options. */
union caller_mem {
	struct ringbuf_opts opts;
	uint8_t bytes[sizeof(struct ringbuf_opts) + 64];
};

static void garbage_after(union caller_mem *m, size_t sz)
{
	memset(m->bytes, 0xa5, sizeof(m->bytes));
	memset(m->bytes, 0, sz);
	m->opts.sz = sz;
}

int main(void)
{
	size_t page = test_page_size();
	char name[64];
	union caller_mem m;
	struct ringbuf *rb;

	/* sz 12: sz and flags only. mode, recover_ms and start_pos read as
	 * zero: positions start at 0, not at 0xa5a5...; flags 0. */
	garbage_after(&m, 12);
	rb = ringbuf_create(NULL, 4 * page, &m.opts);
	CHECK(rb);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 0);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_CONS_POS), 0);
	CHECK_EQ(ringbuf_output(rb, "x", 1, 0), 0);
	ringbuf_free(rb);

	/* The same for a named ring: mode reads as 0 (so 0600), not 0xa5a5.. */
	snprintf(name, sizeof(name), "rbtest-opts-%d", (int)getpid());
	ringbuf_unlink(name);
	rb = ringbuf_create(name, 4 * page, &m.opts);
	CHECK(rb);
	CHECK_EQ(ringbuf_query(rb, RINGBUF_PROD_POS), 0);
	ringbuf_free(rb);
	/* open_opts with the same short struct: flags 0, accepted. */
	rb = ringbuf_open_opts(name, RINGBUF_PRODUCER, &m.opts);
	CHECK(rb);
	ringbuf_free(rb);
	CHECK_EQ(ringbuf_unlink(name), 0);

	/* A newer caller: sz larger than ours, a non-zero byte past our
	 * struct: refused, with a detail; zero bytes there: accepted. */
	memset(&m, 0, sizeof(m));
	m.opts.sz = sizeof(m.bytes);
	rb = ringbuf_create(NULL, 4 * page, &m.opts);
	CHECK(rb);
	ringbuf_free(rb);
	m.bytes[sizeof(struct ringbuf_opts) + 3] = 1;
	errno = 0;
	CHECK(ringbuf_create(NULL, 4 * page, &m.opts) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(ringbuf_strerror_detail(), "not zero"));
	errno = 0;
	CHECK(ringbuf_open_opts(name, RINGBUF_PRODUCER, &m.opts) == NULL);
	CHECK_EQ(errno, EINVAL);

	/* sz smaller than the sz field: refused. */
	memset(&m, 0, sizeof(m));
	m.opts.sz = 4;
	errno = 0;
	CHECK(ringbuf_create(NULL, 4 * page, &m.opts) == NULL);
	CHECK_EQ(errno, EINVAL);
	m.opts.sz = 0;
	CHECK(ringbuf_open_opts(name, RINGBUF_PRODUCER, &m.opts) == NULL);
	CHECK_EQ(errno, EINVAL);

	/* ftrace options: the same rule, checked before tracefs is looked at. */
	{
		struct ringbuf_consumer *c = ringbuf_consumer_new();
		union {
			struct ringbuf_ftrace_opts o;
			uint8_t bytes[sizeof(struct ringbuf_ftrace_opts) + 16];
		} f;

		CHECK(c);
		memset(&f, 0, sizeof(f));
		f.o.sz = sizeof(f.bytes);
		f.bytes[sizeof(f.o) + 1] = 7;
		CHECK_EQ(ringbuf_consumer_add_ftrace(c, &f.o, (ringbuf_ftrace_fn)1, NULL), -EINVAL);
		f.o.sz = 2;
		CHECK_EQ(ringbuf_consumer_add_ftrace(c, &f.o, (ringbuf_ftrace_fn)1, NULL), -EINVAL);
		ringbuf_consumer_free(c);
	}

	/* A detail is never stale: after a failure with one, a later failure
	 * of another call shows its own detail or none. */
	errno = 0;
	CHECK(ringbuf_open("rbtest-opts-does-not-exist", RINGBUF_PRODUCER) == NULL);
	CHECK(*ringbuf_strerror_detail());
	CHECK(ringbuf_create(NULL, 3 * page, NULL) == NULL); /* not a power of two */
	CHECK_EQ(errno, EINVAL);
	CHECK(!strstr(ringbuf_strerror_detail(), "does-not-exist"));
	CHECK(ringbuf_open("rbtest-opts-does-not-exist", RINGBUF_PRODUCER) == NULL);
	rb = ringbuf_create(NULL, 4 * page, NULL);
	CHECK(rb);
	CHECK(ringbuf_reserve(rb, 8 * page, 0) == NULL);
	CHECK_EQ(errno, E2BIG);
	CHECK_EQ(*ringbuf_strerror_detail(), 0);
	CHECK(ringbuf_open("rbtest-opts-does-not-exist", RINGBUF_PRODUCER) == NULL);
	CHECK_EQ(ringbuf_consume(rb, NULL, NULL), -EINVAL);
	CHECK_EQ(*ringbuf_strerror_detail(), 0);
	CHECK(ringbuf_open("rbtest-opts-does-not-exist", RINGBUF_PRODUCER) == NULL);
	CHECK_EQ(ringbuf_unlink(""), -EINVAL);
	CHECK(!strstr(ringbuf_strerror_detail(), "does-not-exist"));
	ringbuf_free(rb);
	printf("short struct, trailing garbage, tiny sz and stale details: all as specified\n");
	return 0;
}
