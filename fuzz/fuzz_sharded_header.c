// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the header of a named sharded object is a file anyone
 * with write access could have written. The input is written as the
 * header file (two real shard rings sit beside it) and opened: whatever it
 * says, the open must fail cleanly or give an object whose shards are the
 * real rings next to it, never read past what it allocated, never hang.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static char dir[64], name[128];
static size_t page;

static void once(void)
{
	char sn[160];

	if (dir[0])
		return;
	page = (size_t)sysconf(_SC_PAGESIZE);
	snprintf(dir, sizeof(dir), "/tmp/fuzzshardXXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(name, sizeof(name), "%s/obj", dir);
	/* Two real shard rings, for headers that name them. */
	for (int i = 0; i < 2; i++) {
		snprintf(sn, sizeof(sn), "%s.s%d", name, i);
		ringbuf_free(ringbuf_create(sn, page, NULL));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ringbuf_sharded *s;
	int fd;

	once();
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	s = ringbuf_open_sharded(name, RINGBUF_PRODUCER);
	if (s) {
		/* It opened: it must be usable as far as the header allows. */
		int n = ringbuf_sharded_shard_cnt(s);

		if (n < 1 || n > RINGBUF_MAX_SHARDS)
			abort();
		for (int i = 0; i < n; i++)
			if (!ringbuf_sharded_shard(s, (unsigned int)i))
				abort();
		ringbuf_sharded_free(s);
	}
	return 0;
}
