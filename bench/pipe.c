// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, transport pipe_fifo: a pipe of RING_SIZE bytes (when the
 * pipe size limit allows), one write(2) per record, read(2) in 64 KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct bpipe {
	int fd[2];
};

static int pipe_open(struct run *r)
{
	struct bpipe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (pipe2(p->fd, O_CLOEXEC)) {
		free(p);
		return -errno;
	}
	/* 1 MiB like the rings; the default limit allows it for root, else
	 * the pipe keeps its default size. */
	fcntl(p->fd[1], F_SETPIPE_SZ, RING_SIZE);
	r->src = p;
	return 0;
}

static void pipe_close(struct run *r)
{
	struct bpipe *p = r->src;

	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
	free(p);
}

static void pipe_produce(struct run *r, int id)
{
	struct bpipe *p = r->src;
	uint64_t seq = 0, tag = (uint64_t)id << 56;
	uint8_t tmp[4096];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int k = 0; k < 64; k++) {
			rec_fill(tmp, r->len, tag | seq);
			/* <= PIPE_BUF: atomic, never short. */
			if (write(p->fd[1], tmp, r->len) != (ssize_t)r->len) {
				row_failed(r->res, "write to the pipe: %s", strerror(errno));
				return;
			}
			seq++;
		}
	}
}

/* After the producers stopped: close the write end so read() sees EOF. */
static void pipe_after_stop(struct run *r)
{
	struct bpipe *p = r->src;

	close(p->fd[1]);
	p->fd[1] = -1;
}

static void pipe_consume_with(struct run *r, int (*fn)(void *, void *, size_t), void *ctx)
{
	struct bpipe *p = r->src;
	static __thread uint8_t buf[1 << 16];
	size_t have = 0, len = r->len;

	for (;;) {
		ssize_t n = read(p->fd[0], buf + have, sizeof(buf) - have);
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		while (have - off >= len) {
			fn(ctx, buf + off, len);
			off += len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
}

static void pipe_consume(struct run *r)
{
	pipe_consume_with(r, check_cb, &r->chk);
}

static int pipe_lat_put(struct run *r, const void *rec)
{
	struct bpipe *p = r->src;

	return write(p->fd[1], rec, LAT_LEN) == LAT_LEN ? 0 : -1;
}

static void pipe_lat_consume(struct run *r)
{
	pipe_consume_with(r, lat_cb, r->aux);
}

const struct transport pipe_fifo = {
	.open = pipe_open,
	.produce = pipe_produce,
	.consume = pipe_consume,
	.after_stop = pipe_after_stop,
	.close = pipe_close,
	.put = pipe_lat_put,
	.lat_consume = pipe_lat_consume,
};
