// SPDX-License-Identifier: MIT
/*
 * ringbuf bench, the ftrace readers of the rows (see ftrace.c): ours, each
 * method of ringbuf_consumer_add_ftrace; the minimal mmap and read(2)
 * readers one writes by hand; libtracefs when it was there at build time.
 * Each hands every event to fcheck.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>
#ifdef HAVE_LIBTRACEFS
#include <tracefs.h>
#include <kbuffer.h>
#endif

#include "bench.h"
#include "cli.h"
#include "ftrace_rows.h"

__attribute__((noreturn, cold)) void fb_error(const struct fchk *k, const char *what,
						     uint64_t got, uint64_t want)
{
	cli_progress_done();
	fprintf(stderr, "%s bench: SEQUENCE ERROR in row '%s' (%d B markers) after %ld events: "
		"%s (got %llu, expected %llu); aborting, no result is reported\n", cli_prog(),
		k->row, k->bytes, k->count, what, (unsigned long long)got, (unsigned long long)want);
	fflush(stderr);
	_exit(1);
}

/* ---- ours ---- */

static int ours_cb(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	fcheck(ctx, ev->ts, ev->data, ev->size);
	return 0;
}

int ours_setup(struct fb *f, int method)
{
	RINGBUF_FTRACE_OPTS(o, .tracefs = f->t.tracefs, .instance = f->t.name, .method = method);
	int r;

	o.cpus = &f->cpu;
	o.ncpus = 1;
	f->c = ringbuf_consumer_new();
	if (!f->c)
		return -errno;
	r = ringbuf_consumer_add_ftrace(f->c, &o, ours_cb, &f->k);
	return r < 0 ? r : 0;
}

long ours_drain(struct fb *f)
{
	long got = 0;
	int r;

	while ((r = ringbuf_consumer_consume(f->c)) > 0)
		got += r;
	return r < 0 ? r : got;
}

void ours_teardown(struct fb *f)
{
	ringbuf_consumer_free(f->c);
	f->c = NULL;
}

/* ---- the minimal readers (anchors): what one writes by hand ---- */

/* The uapi struct trace_buffer_meta, as far as a minimal reader needs it. */
struct min_meta {
	uint32_t meta_page_size, meta_struct_len, subbuf_size, nr_subbufs;
	struct {
		uint64_t lost_events;
		uint32_t id, read;
	} reader;
};
#define MIN_GET_READER _IO('R', 0x20)

/* Walk data[pos, end) of one sub-buffer: no checks beyond the format. */
static uint32_t min_walk(const uint8_t *sb, uint32_t pos, uint32_t end, uint64_t *tsp,
			 struct fchk *k)
{
	const uint8_t *d = sb + 16;
	uint64_t ts = *tsp;

	while (pos < end) {
		uint32_t h, len, tl;

		memcpy(&h, d + pos, 4);
		tl = h & 31;
		if (tl >= 1 && tl <= 28) {
			ts += h >> 5;
			fcheck(k, ts, d + pos + 4, tl * 4);
			pos += 4 + tl * 4;
		} else if (tl == 0) {
			memcpy(&len, d + pos + 4, 4);
			ts += h >> 5;
			fcheck(k, ts, d + pos + 8, len - 4);
			pos += 4 + len;
		} else if (tl == 29) {
			if (!(h >> 5))
				break;
			memcpy(&len, d + pos + 4, 4);
			pos += 4 + ((len + 3) & ~3u);
		} else {
			memcpy(&len, d + pos + 4, 4);
			if (tl == 30)
				ts += ((uint64_t)len << 27) | (h >> 5);
			else
				ts = ((uint64_t)len << 27) | (h >> 5);
			pos += 8;
		}
	}
	*tsp = ts;
	return pos;
}

static uint32_t sb_commit(const uint8_t *sb)
{
	return (uint32_t)(__atomic_load_n((const uint64_t *)(const void *)(sb + 8),
					  __ATOMIC_ACQUIRE) & ((1u << 30) - 1));
}

static int open_pipe_raw(struct fb *f)
{
	char p[800];

	snprintf(p, sizeof(p), "%s/per_cpu/cpu%d/trace_pipe_raw", f->t.dir, f->cpu);
	f->fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return f->fd < 0 ? -errno : 0;
}

int min_mmap_setup(struct fb *f, int arg)
{
	const struct min_meta *m;
	int r;

	(void)arg;
	if ((r = open_pipe_raw(f)) < 0)
		return r;
	f->meta_len = (size_t)sysconf(_SC_PAGESIZE);
	f->meta = mmap(NULL, f->meta_len, PROT_READ, MAP_SHARED, f->fd, 0);
	if (f->meta == MAP_FAILED) {
		f->meta = NULL;
		return -errno;
	}
	m = f->meta;
	f->data_len = (size_t)m->nr_subbufs * m->subbuf_size;
	f->data = mmap(NULL, f->data_len, PROT_READ, MAP_SHARED, f->fd, m->meta_page_size);
	if (f->data == MAP_FAILED) {
		f->data = NULL;
		return -errno;
	}
	return 0;
}

long min_mmap_drain(struct fb *f)
{
	const struct min_meta *m = f->meta;
	uint32_t id = __atomic_load_n(&m->reader.id, __ATOMIC_ACQUIRE), pos = m->reader.read;
	const uint8_t *sb = (const uint8_t *)f->data + (size_t)id * m->subbuf_size;
	uint64_t ts;
	long before = f->k.count;

	int idle = 0;

	memcpy(&ts, sb, 8);
	for (;;) {
		uint32_t commit = sb_commit(sb);

		if (pos < commit) {
			pos = min_walk(sb, pos, commit, &ts, &f->k);
			idle = 0;
			continue;
		}
		uint64_t t0 = bench_now_ns();
		int r = ioctl(f->fd, MIN_GET_READER);

		f->sys_ns += bench_now_ns() - t0;
		f->sys_calls++;
		if (r < 0 && errno != EAGAIN)
			return -errno;
		if (__atomic_load_n(&m->reader.id, __ATOMIC_ACQUIRE) != id) {
			id = m->reader.id;
			sb = (const uint8_t *)f->data + (size_t)id * m->subbuf_size;
			memcpy(&ts, sb, 8);
			pos = 0;
			idle = 0;
		} else if (sb_commit(sb) == pos && ++idle == 2) {
			/* Same reader, nothing new, twice: the first call may
			 * only have marked read what the writer appended to it. */
			break;
		}
	}
	return f->k.count - before;
}

void min_teardown(struct fb *f)
{
	if (f->data)
		munmap(f->data, f->data_len);
	if (f->meta)
		munmap(f->meta, f->meta_len);
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->data = f->meta = NULL;
	f->buf = NULL;
	f->fd = -1;
}

int min_read_setup(struct fb *f, int arg)
{
	(void)arg;
	f->buf = malloc(f->subbuf);
	if (!f->buf)
		return -ENOMEM;
	return open_pipe_raw(f);
}

long min_read_drain(struct fb *f)
{
	long before = f->k.count;
	ssize_t n;

	for (;;) {
		uint64_t ts, t0 = bench_now_ns();

		n = read(f->fd, f->buf, f->subbuf);
		f->sys_ns += bench_now_ns() - t0;
		f->sys_calls++;
		if (n <= 0)
			break;
		memcpy(&ts, f->buf, 8);
		min_walk(f->buf, 0, sb_commit(f->buf), &ts, &f->k);
	}
	if (n < 0 && errno != EAGAIN)
		return -errno;
	return f->k.count - before;
}

/* ---- libtracefs (anchor) ---- */

#ifdef HAVE_LIBTRACEFS
int tfs_setup(struct fb *f, int arg)
{
	(void)arg;
	f->inst = tracefs_instance_alloc(f->t.tracefs, f->t.name);
	if (!f->inst)
		return -ENOENT;
	f->tcpu = tracefs_cpu_open(f->inst, f->cpu, true);
	if (!f->tcpu)
		return errno ? -errno : -ENODEV;
	f->kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
	f->buf = malloc((size_t)tracefs_cpu_read_size(f->tcpu));
	return f->kbuf && f->buf ? 0 : -ENOMEM;
}

long tfs_drain(struct fb *f)
{
	long before = f->k.count;
	int n;

	for (int flush = 0;;) {
		unsigned long long ts;
		void *d;

		/* Splice moves whole pages only: the partial last one comes
		 * with tracefs_cpu_flush, as libtracefs' users do at the end. */
		if (flush)
			n = tracefs_cpu_flush(f->tcpu, f->buf);
		else
			n = f->arg ? tracefs_cpu_buffered_read(f->tcpu, f->buf, true)
				   : tracefs_cpu_read(f->tcpu, f->buf, true);
		if (n <= 0 && f->arg && !flush) {
			flush = 1;
			continue;
		}
		if (n <= 0)
			break;
		if (kbuffer_load_subbuffer(f->kbuf, f->buf) < 0)
			return -EBADMSG;
		for (d = kbuffer_read_event(f->kbuf, &ts); d; d = kbuffer_next_event(f->kbuf, &ts))
			fcheck(&f->k, ts, d, (uint32_t)kbuffer_event_size(f->kbuf));
	}
	return f->k.count - before;
}

void tfs_teardown(struct fb *f)
{
	if (f->tcpu)
		tracefs_cpu_close(f->tcpu);
	if (f->kbuf)
		kbuffer_free(f->kbuf);
	if (f->inst)
		tracefs_instance_free(f->inst);
	free(f->buf);
	f->tcpu = NULL;
	f->kbuf = NULL;
	f->inst = NULL;
	f->buf = NULL;
}
#else
int tfs_setup(struct fb *f, int arg)
{
	(void)f;
	(void)arg;
	return -ENOSYS;
}
long tfs_drain(struct fb *f) { (void)f; return -ENOSYS; }
void tfs_teardown(struct fb *f) { (void)f; }
#endif
