// SPDX-License-Identifier: MIT
/* The consumer manager and kernel BPF sources (issue 3). Placeholder. */
#include "internal.h"

struct ringbuf_consumer *ringbuf_consumer_new(void) { errno = EOPNOTSUPP; return NULL; }
int ringbuf_consumer_add(struct ringbuf_consumer *c, struct ringbuf *rb, ringbuf_sample_fn fn, void *ctx)
{ (void)c; (void)rb; (void)fn; (void)ctx; return -EOPNOTSUPP; }
int ringbuf_consumer_add_bpf(struct ringbuf_consumer *c, int map_fd, ringbuf_sample_fn fn, void *ctx)
{ (void)c; (void)map_fd; (void)fn; (void)ctx; return -EOPNOTSUPP; }
int ringbuf_consumer_poll(struct ringbuf_consumer *c, int timeout_ms) { (void)c; (void)timeout_ms; return -EOPNOTSUPP; }
int ringbuf_consumer_consume(struct ringbuf_consumer *c) { (void)c; return -EOPNOTSUPP; }
int ringbuf_consumer_consume_n(struct ringbuf_consumer *c, size_t n) { (void)c; (void)n; return -EOPNOTSUPP; }
int ringbuf_consumer_epoll_fd(const struct ringbuf_consumer *c) { (void)c; return -EOPNOTSUPP; }
void ringbuf_consumer_free(struct ringbuf_consumer *c) { (void)c; }
struct ringbuf *ringbuf_consumer_ring(const struct ringbuf_consumer *c, unsigned int idx)
{ (void)c; (void)idx; errno = EOPNOTSUPP; return NULL; }
int ringbuf_consumer_ring_cnt(const struct ringbuf_consumer *c) { (void)c; return -EOPNOTSUPP; }
struct ringbuf *ringbuf_open_bpf(int map_fd) { (void)map_fd; errno = EOPNOTSUPP; return NULL; }
int ringbuf_consumer_add_ftrace(struct ringbuf_consumer *c, const struct ringbuf_ftrace_opts *opts,
				ringbuf_ftrace_fn fn, void *ctx)
{ (void)c; (void)opts; (void)fn; (void)ctx; return -EOPNOTSUPP; }
