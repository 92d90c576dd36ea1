/* SPDX-License-Identifier: MIT */
/* The CPython binding's shared types and the functions its files call in
 * each other (the module is built with hidden visibility: nothing here is
 * exported but PyInit_ringbuf). */
#ifndef RINGBUF_BINDING_H
#define RINGBUF_BINDING_H

struct call_ctx;

typedef struct {
	PyObject_HEAD
	struct ringbuf *rb;
	PyObject *name;        /* str or None */
	int role;
	int overwrite;         /* 1, 0, -1: unknown (opened, not created) */
	Py_ssize_t exports;    /* live record views and reservations */
	int busy;              /* a consume/poll runs (maybe without the GIL) */
	int attached;          /* added to a Consumer */
	struct call_ctx *poll_cx; /* during poll */
	PyObject *weakrefs;
} RingObject;

typedef struct {
	PyObject_HEAD
	PyObject *owner;       /* Ring or Consumer: keeps the mapping alive */
	Py_ssize_t *owner_exports; /* its count of live views (close refuses) */
	const void *ptr;
	Py_ssize_t len;
	Py_ssize_t exports;
} ViewObject;

/* What a consume/poll callback needs: the Python function, the error state,
 * and the GIL juggling of a wait that runs without it. */
struct call_ctx {
	PyObject *fn;          /* NULL: batch mode, append bytes to list */
	PyObject *list;
	PyObject *owner;       /* owner of the record memory (Ring, Consumer) */
	Py_ssize_t *owner_exports;
	ViewObject *view;      /* reusable exporter, NULL until first record */
	PyThreadState *tstate; /* non-NULL while the GIL is released */
	Py_ssize_t delivered;
	Py_ssize_t limit;      /* batch mode: stop after this many (0: none) */
	int error;             /* a Python exception is set */
	int stopped;           /* the callback returned a negative int */
	int ftrace;            /* fn(data, cpu, ts) */
};

enum { RES_RESERVED, RES_DONE, RES_DISCARD_ON_RELEASE };
typedef struct {
	PyObject_HEAD
	RingObject *ring;
	void *sample;
	Py_ssize_t size;
	unsigned long long flags;
	PyObject *mv;          /* the with block's memoryview */
	Py_ssize_t exports;
	int state;
} ReservationObject;

extern PyTypeObject RingType, ViewType, ReservationType, ConsumerType;

PyObject *raise_errno(int err, PyObject *filename);
PyObject *raise_named(int err, PyObject *name);
int timeout_ms(PyObject *timeout, int *ms);
uint64_t now_ms(void);
int parse_max(PyObject *o, size_t *n);
void ctx_take_gil(struct call_ctx *cx);
int deliver_view(struct call_ctx *cx, const void *data, size_t size,
			PyObject *extra1, PyObject *extra2);
int append_bytes(PyObject *list, const void *data, size_t size);
int deliver_ret(struct call_ctx *cx, int ret);
int sample_cb(void *ctx, void *data, size_t size);
void ctx_done(struct call_ctx *cx);
PyObject *ctx_result(struct call_ctx *cx, int ret);
int wait_loop(struct call_ctx *cx, int ms, int (*wait)(void *arg, int ms), void *arg);
int ring_check(RingObject *self);
int ring_check_consumer(RingObject *self);
int ring_check_producer(RingObject *self);
int commit_flags(unsigned long long flags);
PyObject *Ring_consume(RingObject *self, PyObject *args, PyObject *kw);
PyObject *Ring_consume_batch(RingObject *self, PyObject *args, PyObject *kw);
PyObject *Ring_poll(RingObject *self, PyObject *args, PyObject *kw);
PyObject *Ring_poll_batch(RingObject *self, PyObject *args, PyObject *kw);
PyObject *Ring_fileno(RingObject *self, PyObject *unused);
PyObject *Ring_wait_prepare(RingObject *self, PyObject *unused);
PyObject *Ring_recover(RingObject *self, PyObject *unused);
PyObject *Ring_snapshot(RingObject *self, PyObject *args, PyObject *kw);
PyObject *stats_dict(const struct ringbuf_stats *st);
PyObject *Ring_stats(RingObject *self, PyObject *unused);
PyObject *ring_query(RingObject *self, void *which);
PyObject *Ring_get_closed(RingObject *self, void *unused);
PyObject *Ring_get_overwrite(RingObject *self, void *unused);
PyObject *Ring_get_role(RingObject *self, void *unused);
PyObject *Ring_repr(RingObject *self);
PyObject *Ring_reserve(RingObject *self, PyObject *args, PyObject *kw);

#endif /* RINGBUF_BINDING_H */
