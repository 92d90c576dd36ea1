// SPDX-License-Identifier: MIT
/*
 * ringbuf — the CPython binding of libringbuf, over include/ringbuf.h only.
 *
 * Memory handed to Python points into the ring itself (zero copy), so the
 * binding guards its lifetime:
 *  - a record passed to a callback is a read-only memoryview of a tiny
 *    exporter object (View). After the callback the memoryview is released;
 *    if the callback kept a view derived from it (a slice, numpy array),
 *    the consume stops with BufferError (the data it sees is no longer the
 *    record) and the exporter keeps the Ring open until that view is gone;
 *  - a reservation (Reservation) is its own exporter: the with block's
 *    memoryview is released on exit; when a derived view survives the
 *    block, the record is not committed but discarded once the last view is
 *    released (so nothing writes into a record after its commit), and the
 *    exit raises BufferError;
 *  - a Ring cannot be closed while a view, a reservation, a poll in another
 *    thread or a Consumer uses it (RuntimeError / BufferError, like mmap).
 * Waiting (poll) runs without the GIL; the GIL is taken back at the first
 * record delivered and kept for the rest of that batch. EINTR from a wait
 * runs the signal handlers (Ctrl-C raises KeyboardInterrupt) and, when they
 * do not raise, waits again for the time left (PEP 475).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <ringbuf.h>

PyMODINIT_FUNC PyInit_ringbuf(void);

static PyObject *RingFullError;

/* ---- errors ---- */

/* Raise for a negative errno from the library: ENOSPC as RingFullError. */
static PyObject *raise_errno(int err, PyObject *filename)
{
	PyObject *args, *type = PyExc_OSError;

	if (err < 0)
		err = -err;
	if (err == ENOMEM)
		return PyErr_NoMemory();
	if (err == ENOSPC)
		type = RingFullError;
	if (filename)
		args = Py_BuildValue("(isO)", err, strerror(err), filename);
	else
		args = Py_BuildValue("(is)", err, strerror(err));
	if (args) {
		PyErr_SetObject(type, args);
		Py_DECREF(args);
	}
	return NULL;
}

/* An open/create/unlink failure, with the library's detail when it has one. */
static PyObject *raise_named(int err, PyObject *name)
{
	const char *detail = ringbuf_strerror_detail();
	PyObject *msg, *args;

	if (err == ENOMEM)
		return PyErr_NoMemory();
	if (!detail || !*detail)
		return raise_errno(err, name);
	msg = PyUnicode_FromFormat("%s (%s)", strerror(err), detail);
	if (!msg)
		return NULL;
	args = Py_BuildValue("(iNO)", err, msg, name);
	if (args) {
		PyErr_SetObject(err == ENOSPC ? RingFullError : PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

/* timeout in seconds (None or negative: forever) -> ms for the library. */
static int timeout_ms(PyObject *timeout, int *ms)
{
	double t;

	if (!timeout || timeout == Py_None) {
		*ms = -1;
		return 0;
	}
	t = PyFloat_AsDouble(timeout);
	if (t == -1.0 && PyErr_Occurred())
		return -1;
	if (isnan(t)) {
		PyErr_SetString(PyExc_ValueError, "timeout must not be NaN");
		return -1;
	}
	if (t < 0) {
		*ms = -1;
		return 0;
	}
	t = ceil(t * 1000.0);
	*ms = t > INT_MAX ? INT_MAX : (int)t;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* max_records argument: None means no limit. */
static int parse_max(PyObject *o, size_t *n)
{
	Py_ssize_t v;

	if (!o || o == Py_None) {
		*n = SIZE_MAX;
		return 0;
	}
	v = PyLong_AsSsize_t(o);
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v < 0) {
		PyErr_SetString(PyExc_ValueError, "max_records must be >= 0");
		return -1;
	}
	*n = (size_t)v;
	return 0;
}

/* ---- Ring ---- */

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

static PyTypeObject RingType;

static int ring_check(RingObject *self)
{
	if (!self->rb) {
		PyErr_SetString(PyExc_ValueError, "I/O operation on a closed ring");
		return -1;
	}
	return 0;
}

static int ring_check_consumer(RingObject *self)
{
	if (ring_check(self))
		return -1;
	if (!(self->role & RINGBUF_CONSUMER)) {
		PyErr_SetString(PyExc_PermissionError,
				"the ring was not opened as its consumer (consumer=True)");
		return -1;
	}
	if (self->attached) {
		PyErr_SetString(PyExc_RuntimeError,
				"the ring is consumed through a Consumer");
		return -1;
	}
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"the ring is being consumed already (callback or other thread)");
		return -1;
	}
	return 0;
}

static int ring_check_producer(RingObject *self)
{
	if (ring_check(self))
		return -1;
	if (!(self->role & RINGBUF_PRODUCER)) {
		PyErr_SetString(PyExc_PermissionError,
				"the ring was not opened as a producer (producer=True)");
		return -1;
	}
	return 0;
}

static int commit_flags(unsigned long long flags)
{
	if (flags & ~(RINGBUF_NO_WAKEUP | RINGBUF_FORCE_WAKEUP)) {
		PyErr_SetString(PyExc_ValueError,
				"flags: only NO_WAKEUP or FORCE_WAKEUP");
		return -1;
	}
	return 0;
}

static PyObject *Ring_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "size", "name", "overwrite", "mode", NULL };
	Py_ssize_t size;
	PyObject *name = Py_None, *name_bytes = NULL;
	int overwrite = 0;
	unsigned int mode = 0600;
	RingObject *self;
	struct ringbuf *rb;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "n|O$pI:Ring", kwlist,
					 &size, &name, &overwrite, &mode))
		return NULL;
	if (size <= 0) {
		PyErr_SetString(PyExc_ValueError, "size must be positive");
		return NULL;
	}
	if (mode > 07777) {
		PyErr_SetString(PyExc_ValueError, "mode must be a permission mode (<= 0o7777)");
		return NULL;
	}
	if (name != Py_None && !PyUnicode_FSConverter(name, &name_bytes))
		return NULL;
	{
		RINGBUF_OPTS(opts, .flags = overwrite ? RINGBUF_F_OVERWRITE : 0,
			     .mode = mode ? mode : 0600);
		Py_BEGIN_ALLOW_THREADS
		rb = ringbuf_create(name_bytes ? PyBytes_AS_STRING(name_bytes) : NULL,
				    (size_t)size, &opts);
		Py_END_ALLOW_THREADS
	}
	Py_XDECREF(name_bytes);
	if (!rb) {
		if (errno == EINVAL)
			return PyErr_Format(PyExc_ValueError,
				"invalid ring: size must be a power of two and a multiple of the page size (%zd)%s%s",
				size, *ringbuf_strerror_detail() ? ": " : "", ringbuf_strerror_detail());
		return raise_named(errno, name);
	}
	self = (RingObject *)type->tp_alloc(type, 0);
	if (!self) {
		ringbuf_free(rb);
		return NULL;
	}
	self->rb = rb;
	self->role = RINGBUF_PRODUCER | RINGBUF_CONSUMER;
	self->overwrite = overwrite;
	Py_INCREF(name);
	self->name = name;
	return (PyObject *)self;
}

static PyObject *Ring_open(PyObject *cls, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "name", "producer", "consumer", NULL };
	PyObject *name, *name_bytes;
	int producer = 1, consumer = 0, role;
	RingObject *self;
	struct ringbuf *rb;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$pp:open", kwlist,
					 &name, &producer, &consumer))
		return NULL;
	role = (producer ? RINGBUF_PRODUCER : 0) | (consumer ? RINGBUF_CONSUMER : 0);
	if (!role) {
		PyErr_SetString(PyExc_ValueError, "open as producer, consumer or both");
		return NULL;
	}
	if (!PyUnicode_FSConverter(name, &name_bytes))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rb = ringbuf_open(PyBytes_AS_STRING(name_bytes), role);
	Py_END_ALLOW_THREADS
	Py_DECREF(name_bytes);
	if (!rb)
		return raise_named(errno, name);
	self = (RingObject *)((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
	if (!self) {
		ringbuf_free(rb);
		return NULL;
	}
	self->rb = rb;
	self->role = role;
	self->overwrite = -1; /* the public API does not say: unknown */
	Py_INCREF(name);
	self->name = name;
	return (PyObject *)self;
}

static int ring_close(RingObject *self)
{
	if (!self->rb)
		return 0;
	if (self->busy || self->attached) {
		PyErr_SetString(PyExc_RuntimeError, self->attached ?
				"the ring is in a Consumer: close the Consumer first" :
				"the ring is being consumed");
		return -1;
	}
	if (self->exports) {
		PyErr_Format(PyExc_BufferError,
			     "cannot close the ring: %zd record view(s) or reservation(s) still exist",
			     self->exports);
		return -1;
	}
	ringbuf_free(self->rb);
	self->rb = NULL;
	return 0;
}

static PyObject *Ring_close(RingObject *self, PyObject *unused)
{
	(void)unused;
	if (ring_close(self))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Ring_enter(RingObject *self, PyObject *unused)
{
	(void)unused;
	if (ring_check(self))
		return NULL;
	Py_INCREF(self);
	return (PyObject *)self;
}

static PyObject *Ring_exit(RingObject *self, PyObject *args)
{
	(void)args;
	if (ring_close(self))
		return NULL;
	Py_RETURN_FALSE;
}

static void Ring_dealloc(RingObject *self)
{
	if (self->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)self);
	/* No view, reservation or consumer can be left: each holds a ref. */
	ringbuf_free(self->rb);
	Py_XDECREF(self->name);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* output is the producer's hot path: vectorcall, no keyword parsing when
 * called as output(data) or output(data, flags). */
static PyObject *Ring_output(RingObject *self, PyObject *const *args, Py_ssize_t nargs,
			     PyObject *kwnames)
{
	Py_buffer buf;
	unsigned long long flags = 0;
	PyObject *flagsobj = nargs > 1 ? args[1] : NULL;
	int ret;

	if (nargs < 1 || nargs > 2 || (kwnames && PyTuple_GET_SIZE(kwnames) > 1) ||
	    (kwnames && PyTuple_GET_SIZE(kwnames) + nargs != 2) ||
	    (kwnames && !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0))) ||
	    (kwnames && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "flags"))) {
		PyErr_SetString(PyExc_TypeError, "output(data, flags=0)");
		return NULL;
	}
	if (kwnames)
		flagsobj = args[1];
	if (flagsobj) {
		flags = PyLong_AsUnsignedLongLong(flagsobj);
		if (flags == (unsigned long long)-1 && PyErr_Occurred())
			return NULL;
		if (commit_flags(flags))
			return NULL;
	}
	if (PyUnicode_Check(args[0])) {
		PyErr_SetString(PyExc_TypeError, "output() takes a bytes-like object, not str");
		return NULL;
	}
	if (PyObject_GetBuffer(args[0], &buf, PyBUF_SIMPLE))
		return NULL;
	if (ring_check_producer(self)) {
		PyBuffer_Release(&buf);
		return NULL;
	}
	ret = ringbuf_output(self->rb, buf.buf, (size_t)buf.len, flags);
	PyBuffer_Release(&buf);
	if (ret < 0)
		return raise_errno(ret, NULL);
	Py_RETURN_NONE;
}

/* ---- record views (read-only, valid during a callback) ---- */

typedef struct {
	PyObject_HEAD
	PyObject *owner;       /* Ring or Consumer: keeps the mapping alive */
	Py_ssize_t *owner_exports; /* its count of live views (close refuses) */
	const void *ptr;
	Py_ssize_t len;
	Py_ssize_t exports;
} ViewObject;

static PyTypeObject ViewType;

static int View_getbuffer(ViewObject *self, Py_buffer *view, int flags)
{
	if (!self->ptr) {
		PyErr_SetString(PyExc_BufferError, "the record is no longer valid");
		return -1;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, (void *)self->ptr, self->len, 1, flags))
		return -1;
	if (self->exports++ == 0)
		(*self->owner_exports)++;
	return 0;
}

static void View_releasebuffer(ViewObject *self, Py_buffer *view)
{
	(void)view;
	if (--self->exports == 0)
		(*self->owner_exports)--;
}

static void View_dealloc(ViewObject *self)
{
	Py_XDECREF(self->owner);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyBufferProcs View_as_buffer = {
	.bf_getbuffer = (getbufferproc)View_getbuffer,
	.bf_releasebuffer = (releasebufferproc)View_releasebuffer,
};

static PyTypeObject ViewType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringbuf._RecordView",
	.tp_basicsize = sizeof(ViewObject),
	.tp_dealloc = (destructor)View_dealloc,
	.tp_as_buffer = &View_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Exporter of a record's bytes while its callback runs.",
};

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

static void ctx_take_gil(struct call_ctx *cx)
{
	if (cx->tstate) {
		PyEval_RestoreThread(cx->tstate);
		cx->tstate = NULL;
	}
}

/* Call fn with a read-only memoryview of [data, data+size), then invalidate
 * it. Returns 0 to go on, a negative value to stop. */
static int deliver_view(struct call_ctx *cx, const void *data, size_t size,
			PyObject *extra1, PyObject *extra2)
{
	PyObject *mv, *res;
	ViewObject *v = cx->view;

	if (!v || v->exports) {
		/* A derived view of the previous record is alive: leave that
		 * exporter to it, take a new one. */
		Py_XDECREF(cx->view);
		v = cx->view = PyObject_New(ViewObject, &ViewType);
		if (!v)
			return -1;
		Py_INCREF(cx->owner);
		v->owner = cx->owner;
		v->owner_exports = cx->owner_exports;
		v->exports = 0;
	}
	v->ptr = data;
	v->len = (Py_ssize_t)size;
	mv = PyMemoryView_FromObject((PyObject *)v);
	v->ptr = NULL; /* no new exports once the memoryview exists */
	if (!mv)
		return -1;
	if (extra1)
		res = PyObject_CallFunctionObjArgs(cx->fn, mv, extra1, extra2, NULL);
	else
		res = PyObject_CallOneArg(cx->fn, mv);
	if (Py_REFCNT(mv) > 1) {
		/* Kept by the callback (or its traceback): invalidate it. A
		 * failure means it has exports: counted below as a survivor. */
		PyObject *et, *ev, *etb, *r;

		PyErr_Fetch(&et, &ev, &etb);
		r = PyObject_CallMethod(mv, "release", NULL);
		if (!r)
			PyErr_Clear();
		Py_XDECREF(r);
		PyErr_Restore(et, ev, etb);
	}
	Py_DECREF(mv);
	if (!res)
		return -1;
	if (v->exports) {
		Py_DECREF(res);
		PyErr_SetString(PyExc_BufferError,
				"a view of a record outlived its callback; copy it with bytes() instead");
		return -1;
	}
	if (res == Py_None) {
		Py_DECREF(res);
		return 0;
	}
	if (PyLong_Check(res)) {
		long r = PyLong_AsLong(res);

		Py_DECREF(res);
		if (r == -1 && PyErr_Occurred()) {
			PyErr_Clear();
			r = 0;
		}
		if (r < 0) {
			cx->stopped = 1;
			return r < INT_MIN ? INT_MIN : (int)r;
		}
		return 0;
	}
	Py_DECREF(res);
	return 0;
}

/* Append a bytes copy of a record to list; -1 with an exception set. */
static int append_bytes(PyObject *list, const void *data, size_t size)
{
	PyObject *b = PyBytes_FromStringAndSize(data, (Py_ssize_t)size);
	int ret;

	if (!b)
		return -1;
	ret = PyList_Append(list, b);
	Py_DECREF(b);
	return ret;
}

/* A callback's verdict for the library: a negative int the Python callback
 * returned stops as is; any other failure is an exception (cx->error). */
static int deliver_ret(struct call_ctx *cx, int ret)
{
	if (ret < 0 && !cx->stopped) {
		cx->error = 1;
		return -1;
	}
	return ret;
}

static int sample_cb(void *ctx, void *data, size_t size)
{
	struct call_ctx *cx = ctx;
	int ret;

	ctx_take_gil(cx);
	if (!cx->fn) {
		if (append_bytes(cx->list, data, size)) {
			cx->error = 1;
			return -1;
		}
		if (++cx->delivered == cx->limit) {
			cx->stopped = 1; /* consumed: the library moves past it */
			return -1;
		}
		return 0;
	}
	cx->delivered++;
	ret = deliver_view(cx, data, size, NULL, NULL);
	return deliver_ret(cx, ret);
}

static void ctx_done(struct call_ctx *cx)
{
	ctx_take_gil(cx);
	Py_CLEAR(cx->view);
}

/* Turn a library result plus the callback state into the Python result. */
static PyObject *ctx_result(struct call_ctx *cx, int ret)
{
	if (cx->error)
		return NULL;
	if (ret < 0 && !cx->stopped)
		return raise_errno(ret, NULL);
	if (cx->list) {
		Py_INCREF(cx->list);
		return cx->list;
	}
	return PyLong_FromSsize_t(cx->delivered);
}

static PyObject *ring_consume_common(RingObject *self, PyObject *fn, PyObject *list, size_t n)
{
	struct call_ctx cx = { .fn = fn, .list = list, .owner = (PyObject *)self,
				.owner_exports = &self->exports };
	PyObject *res;
	int ret;

	if (ring_check_consumer(self))
		return NULL;
	self->busy = 1;
	ret = ringbuf_consume_n(self->rb, sample_cb, &cx, n);
	ctx_done(&cx);
	self->busy = 0;
	res = ctx_result(&cx, ret);
	return res;
}

static PyObject *Ring_consume(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "fn", "max_records", NULL };
	PyObject *fn, *max = Py_None;
	size_t n;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:consume", kwlist, &fn, &max))
		return NULL;
	if (!PyCallable_Check(fn)) {
		PyErr_SetString(PyExc_TypeError, "fn must be callable");
		return NULL;
	}
	if (parse_max(max, &n))
		return NULL;
	return ring_consume_common(self, fn, NULL, n);
}

static PyObject *Ring_consume_batch(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "max_records", NULL };
	PyObject *max = Py_None, *list, *res;
	size_t n;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:consume_batch", kwlist, &max))
		return NULL;
	if (parse_max(max, &n))
		return NULL;
	list = PyList_New(0);
	if (!list)
		return NULL;
	res = ring_consume_common(self, NULL, list, n);
	Py_DECREF(list);
	return res;
}

/* Run wait(arg, ms) without the GIL (the callbacks take it back at the
 * first record); EINTR runs the signal handlers (Ctrl-C raises
 * KeyboardInterrupt), then waits again for the time left (PEP 475). */
static int wait_loop(struct call_ctx *cx, int ms, int (*wait)(void *arg, int ms), void *arg)
{
	uint64_t deadline = ms > 0 ? now_ms() + (uint64_t)ms : 0;
	int ret;

	for (;;) {
		cx->tstate = PyEval_SaveThread();
		ret = wait(arg, ms);
		ctx_take_gil(cx);
		if (ret != -EINTR)
			return ret;
		if (PyErr_CheckSignals()) {
			cx->error = 1;
			return ret;
		}
		if (ms > 0) {
			uint64_t now = now_ms();

			ms = now >= deadline ? 0 : (int)(deadline - now);
		}
	}
}

static int ring_wait(void *arg, int ms)
{
	RingObject *self = arg;

	return ringbuf_poll(self->rb, sample_cb, self->poll_cx, ms);
}

/* Wait for records and deliver them. */
static PyObject *ring_poll_common(RingObject *self, PyObject *fn, PyObject *list,
				  PyObject *timeout, size_t limit)
{
	struct call_ctx cx = { .fn = fn, .list = list, .owner = (PyObject *)self,
				.owner_exports = &self->exports,
				.limit = limit > PY_SSIZE_T_MAX ? 0 : (Py_ssize_t)limit };
	int ms, ret;

	if (timeout_ms(timeout, &ms) || ring_check_consumer(self))
		return NULL;
	self->busy = 1;
	self->poll_cx = &cx;
	ret = wait_loop(&cx, ms, ring_wait, self);
	self->poll_cx = NULL;
	ctx_done(&cx);
	self->busy = 0;
	return ctx_result(&cx, ret);
}

static PyObject *Ring_poll(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "fn", "timeout", NULL };
	PyObject *fn, *timeout = Py_None;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:poll", kwlist, &fn, &timeout))
		return NULL;
	if (!PyCallable_Check(fn)) {
		PyErr_SetString(PyExc_TypeError, "fn must be callable");
		return NULL;
	}
	return ring_poll_common(self, fn, NULL, timeout, 0);
}

static PyObject *Ring_poll_batch(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "timeout", "max_records", NULL };
	PyObject *timeout = Py_None, *max = Py_None, *list, *res;
	size_t n;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:poll_batch", kwlist, &timeout, &max))
		return NULL;
	if (parse_max(max, &n))
		return NULL;
	if (n == 0)
		return PyList_New(0);
	list = PyList_New(0);
	if (!list)
		return NULL;
	res = ring_poll_common(self, NULL, list, timeout, n);
	Py_DECREF(list);
	return res;
}

static PyObject *Ring_fileno(RingObject *self, PyObject *unused)
{
	int fd;

	(void)unused;
	if (ring_check(self))
		return NULL;
	fd = ringbuf_fd(self->rb);
	if (fd < 0)
		return raise_errno(fd, NULL);
	return PyLong_FromLong(fd);
}

static PyObject *Ring_wait_prepare(RingObject *self, PyObject *unused)
{
	int ret;

	(void)unused;
	if (ring_check_consumer(self))
		return NULL;
	ret = ringbuf_wait_prepare(self->rb);
	if (ret < 0)
		return raise_errno(ret, NULL);
	return PyBool_FromLong(ret);
}

static PyObject *Ring_recover(RingObject *self, PyObject *unused)
{
	int ret;

	(void)unused;
	if (ring_check_consumer(self))
		return NULL;
	ret = ringbuf_recover(self->rb);
	if (ret < 0)
		return raise_errno(ret, NULL);
	return PyLong_FromLong(ret);
}

static int snapshot_cb(void *ctx, void *data, size_t size)
{
	return append_bytes(ctx, data, size) ? -ECANCELED : 0;
}

static PyObject *Ring_snapshot(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "max_records", "max_bytes", NULL };
	Py_ssize_t max_records = 0, max_bytes = 0;
	PyObject *list;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|nn:snapshot", kwlist,
					 &max_records, &max_bytes))
		return NULL;
	if (max_records < 0 || max_bytes < 0) {
		PyErr_SetString(PyExc_ValueError, "limits must be >= 0 (0: no limit)");
		return NULL;
	}
	if (ring_check(self))
		return NULL;
	list = PyList_New(0);
	if (!list)
		return NULL;
	ret = ringbuf_snapshot(self->rb, snapshot_cb, list, (size_t)max_records,
			       (size_t)max_bytes);
	if (ret < 0) {
		Py_DECREF(list);
		if (ret == -ECANCELED && PyErr_Occurred())
			return NULL;
		return raise_errno(ret, NULL);
	}
	return list;
}

static PyObject *stats_dict(const struct ringbuf_stats *st)
{
	return Py_BuildValue("{sKsKsKsKsKsKsKsKsKsK}",
		"delivered_records", (unsigned long long)st->delivered_records,
		"delivered_bytes", (unsigned long long)st->delivered_bytes,
		"discarded_records", (unsigned long long)st->discarded_records,
		"dropped_records", (unsigned long long)st->dropped_records,
		"orphaned_records", (unsigned long long)st->orphaned_records,
		"corrupt_events", (unsigned long long)st->corrupt_events,
		"overwritten_records", (unsigned long long)st->overwritten_records,
		"overwritten_bytes", (unsigned long long)st->overwritten_bytes,
		"lost_events", (unsigned long long)st->lost_events,
		"wakeups", (unsigned long long)st->wakeups);
}

static PyObject *Ring_stats(RingObject *self, PyObject *unused)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };
	int ret;

	(void)unused;
	if (ring_check(self))
		return NULL;
	ret = ringbuf_get_stats(self->rb, &st);
	if (ret < 0)
		return raise_errno(ret, NULL);
	return stats_dict(&st);
}

static PyObject *ring_query(RingObject *self, void *which)
{
	if (ring_check(self))
		return NULL;
	return PyLong_FromUnsignedLongLong(ringbuf_query(self->rb, (uint64_t)(uintptr_t)which));
}

static PyObject *Ring_get_closed(RingObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->rb == NULL);
}

static PyObject *Ring_get_overwrite(RingObject *self, void *unused)
{
	(void)unused;
	if (self->overwrite < 0)
		Py_RETURN_NONE;
	return PyBool_FromLong(self->overwrite);
}

static PyObject *Ring_get_role(RingObject *self, void *unused)
{
	(void)unused;
	return Py_BuildValue("{sOsO}", "producer",
			     (self->role & RINGBUF_PRODUCER) ? Py_True : Py_False,
			     "consumer", (self->role & RINGBUF_CONSUMER) ? Py_True : Py_False);
}

static PyObject *Ring_repr(RingObject *self)
{
	if (!self->rb)
		return PyUnicode_FromFormat("<ringbuf.Ring name=%R closed>", self->name);
	return PyUnicode_FromFormat("<ringbuf.Ring name=%R size=%llu%s>", self->name,
				    (unsigned long long)ringbuf_query(self->rb, RINGBUF_RING_SIZE),
				    self->overwrite > 0 ? " overwrite" : "");
}

/* ---- reservations ---- */

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

static PyTypeObject ReservationType;

static void res_finish(ReservationObject *self, int commit)
{
	if (commit)
		ringbuf_submit(self->ring->rb, self->sample, self->flags);
	else
		ringbuf_discard(self->ring->rb, self->sample, self->flags);
	self->sample = NULL;
	self->state = RES_DONE;
	self->ring->exports--;
}

static PyObject *Ring_reserve(RingObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "size", "flags", NULL };
	Py_ssize_t size;
	unsigned long long flags = 0;
	ReservationObject *r;
	void *sample;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "n|K:reserve", kwlist, &size, &flags))
		return NULL;
	if (size < 0) {
		PyErr_SetString(PyExc_ValueError, "size must be >= 0");
		return NULL;
	}
	if (ring_check_producer(self) || commit_flags(flags))
		return NULL;
	r = PyObject_New(ReservationObject, &ReservationType);
	if (!r)
		return NULL;
	sample = ringbuf_reserve(self->rb, (size_t)size, 0);
	if (!sample) {
		int err = errno;

		r->ring = NULL;
		r->state = RES_DONE;
		r->mv = NULL;
		Py_DECREF(r);
		return raise_errno(err, NULL);
	}
	Py_INCREF(self);
	r->ring = self;
	r->sample = sample;
	r->size = size;
	r->flags = flags;
	r->mv = NULL;
	r->exports = 0;
	r->state = RES_RESERVED;
	self->exports++;
	return (PyObject *)r;
}

static int Res_getbuffer(ReservationObject *self, Py_buffer *view, int flags)
{
	if (self->state != RES_RESERVED || self->mv) {
		PyErr_SetString(PyExc_BufferError, self->state != RES_RESERVED ?
				"the reservation is committed or discarded" :
				"use the memoryview the with statement gave");
		return -1;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, self->sample, self->size, 0, flags))
		return -1;
	self->exports++;
	return 0;
}

static void Res_releasebuffer(ReservationObject *self, Py_buffer *view)
{
	(void)view;
	if (--self->exports == 0 && self->state == RES_DISCARD_ON_RELEASE)
		res_finish(self, 0);
}

static PyObject *Res_enter(ReservationObject *self, PyObject *unused)
{
	(void)unused;
	if (self->state != RES_RESERVED || self->mv) {
		PyErr_SetString(PyExc_RuntimeError, "a reservation is entered once");
		return NULL;
	}
	self->mv = PyMemoryView_FromObject((PyObject *)self);
	if (!self->mv)
		return NULL;
	Py_INCREF(self->mv);
	return self->mv;
}

/* Release the with block's memoryview; 0 when no view of the record is left. */
static int res_release_views(ReservationObject *self)
{
	if (self->mv) {
		PyObject *r = PyObject_CallMethod(self->mv, "release", NULL);

		if (!r)
			PyErr_Clear(); /* it has exports: counted below */
		Py_XDECREF(r);
		Py_CLEAR(self->mv);
	}
	return self->exports != 0;
}

static PyObject *res_end(ReservationObject *self, int commit)
{
	if (self->state != RES_RESERVED) {
		PyErr_SetString(PyExc_RuntimeError, "the reservation is already committed or discarded");
		return NULL;
	}
	if (res_release_views(self)) {
		self->state = RES_DISCARD_ON_RELEASE;
		PyErr_SetString(PyExc_BufferError,
				"a view of the reservation outlived it: the record is discarded "
				"when that view is released");
		return NULL;
	}
	res_finish(self, commit);
	Py_RETURN_NONE;
}

static PyObject *Res_exit(ReservationObject *self, PyObject *args)
{
	PyObject *type = Py_None, *value, *tb, *r;

	if (!PyArg_UnpackTuple(args, "__exit__", 0, 3, &type, &value, &tb))
		return NULL;
	if (self->state != RES_RESERVED)
		Py_RETURN_FALSE; /* committed or discarded inside the block */
	r = res_end(self, type == Py_None);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *Res_commit(ReservationObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "flags", NULL };
	PyObject *flags = Py_None;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:commit", kwlist, &flags))
		return NULL;
	if (flags != Py_None) {
		unsigned long long f = PyLong_AsUnsignedLongLong(flags);

		if (f == (unsigned long long)-1 && PyErr_Occurred())
			return NULL;
		if (commit_flags(f))
			return NULL;
		if (self->state == RES_RESERVED)
			self->flags = f;
	}
	return res_end(self, 1);
}

static PyObject *Res_discard(ReservationObject *self, PyObject *unused)
{
	(void)unused;
	return res_end(self, 0);
}

static void Res_dealloc(ReservationObject *self)
{
	/* Never committed or discarded (no with, no commit()): discard. No
	 * view can be alive here: each holds a reference to self. */
	if (self->ring && self->ring->rb && self->state != RES_DONE)
		res_finish(self, 0);
	Py_XDECREF(self->mv);
	Py_XDECREF(self->ring);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Res_get_size(ReservationObject *self, void *unused)
{
	(void)unused;
	return PyLong_FromSsize_t(self->size);
}

static PyBufferProcs Res_as_buffer = {
	.bf_getbuffer = (getbufferproc)Res_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Res_releasebuffer,
};

static PyMethodDef Res_methods[] = {
	{ "__enter__", (PyCFunction)Res_enter, METH_NOARGS,
	  "Return a writable memoryview of the reserved record (zero copy)." },
	{ "__exit__", (PyCFunction)Res_exit, METH_VARARGS,
	  "Commit on normal exit, discard when the block raised." },
	{ "commit", (PyCFunction)(void (*)(void))Res_commit, METH_VARARGS | METH_KEYWORDS,
	  "commit(flags=None)\n--\n\nCommit the record (outside a with block)." },
	{ "discard", (PyCFunction)Res_discard, METH_NOARGS,
	  "Discard the record: the consumer skips it." },
	{ NULL }
};

static PyGetSetDef Res_getset[] = {
	{ "size", (getter)Res_get_size, NULL, "Payload bytes reserved.", NULL },
	{ NULL }
};

static PyTypeObject ReservationType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringbuf.Reservation",
	.tp_basicsize = sizeof(ReservationObject),
	.tp_dealloc = (destructor)Res_dealloc,
	.tp_as_buffer = &Res_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A record reserved in a ring, not yet committed. Use as a context\n"
		  "manager: `with rb.reserve(n) as m:` gives a writable memoryview;\n"
		  "normal exit commits, an exception discards. The memoryview is\n"
		  "released on exit.",
	.tp_methods = Res_methods,
	.tp_getset = Res_getset,
};

static PyMethodDef Ring_methods[] = {
	{ "open", (PyCFunction)(void (*)(void))Ring_open, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
	  "open(name, *, producer=True, consumer=False)\n--\n\n"
	  "Attach to an existing named ring. One consumer per ring at a time\n"
	  "(OSError EBUSY when another live process is its consumer)." },
	{ "close", (PyCFunction)Ring_close, METH_NOARGS,
	  "Unmap the ring. Refused while record views, reservations or a\n"
	  "Consumer still use it." },
	{ "__enter__", (PyCFunction)Ring_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Ring_exit, METH_VARARGS, NULL },
	{ "output", (PyCFunction)(void (*)(void))Ring_output, METH_FASTCALL | METH_KEYWORDS,
	  "output(data, /, flags=0)\n--\n\n"
	  "Copy a bytes-like object into the ring as one record. flags: NO_WAKEUP\n"
	  "or FORCE_WAKEUP. RingFullError (errno ENOSPC) when there is no room,\n"
	  "OSError E2BIG when the record can never fit." },
	{ "reserve", (PyCFunction)(void (*)(void))Ring_reserve, METH_VARARGS | METH_KEYWORDS,
	  "reserve(size, flags=0)\n--\n\n"
	  "Reserve a record of size bytes; returns a Reservation (context\n"
	  "manager giving a writable memoryview into the ring). flags apply to\n"
	  "the commit. RingFullError when there is no room." },
	{ "consume", (PyCFunction)(void (*)(void))Ring_consume, METH_VARARGS | METH_KEYWORDS,
	  "consume(fn, max_records=None)\n--\n\n"
	  "Call fn(data) for every committed record, oldest first, without\n"
	  "waiting. data is a read-only memoryview valid only during the call.\n"
	  "A negative int returned by fn, or an exception, stops; the exception\n"
	  "propagates. Returns the number of records delivered." },
	{ "consume_batch", (PyCFunction)(void (*)(void))Ring_consume_batch, METH_VARARGS | METH_KEYWORDS,
	  "consume_batch(max_records=None)\n--\n\n"
	  "Take every committed record (at most max_records) as a list of bytes,\n"
	  "without waiting. For speed, take a thousand or so at a time: a list of\n"
	  "a whole ring's records no longer fits the CPU caches." },
	{ "poll", (PyCFunction)(void (*)(void))Ring_poll, METH_VARARGS | METH_KEYWORDS,
	  "poll(fn, timeout=None)\n--\n\n"
	  "Wait up to timeout seconds (None or negative: forever) for records,\n"
	  "then deliver them like consume(). The GIL is released while waiting;\n"
	  "Ctrl-C raises KeyboardInterrupt. Returns the number delivered (0 on\n"
	  "timeout)." },
	{ "poll_batch", (PyCFunction)(void (*)(void))Ring_poll_batch, METH_VARARGS | METH_KEYWORDS,
	  "poll_batch(timeout=None, max_records=None)\n--\n\n"
	  "Wait like poll(), return the records (at most max_records) as a list\n"
	  "of bytes ([] on timeout)." },
	{ "fileno", (PyCFunction)Ring_fileno, METH_NOARGS,
	  "The fd that becomes readable when producers wake the consumer. Call\n"
	  "wait_prepare() before sleeping on it." },
	{ "wait_prepare", (PyCFunction)Ring_wait_prepare, METH_NOARGS,
	  "Arm the wakeup before sleeping on fileno(): True when records are\n"
	  "already there (consume instead of sleeping)." },
	{ "recover", (PyCFunction)Ring_recover, METH_NOARGS,
	  "Recover records left busy by dead producers now; returns how many." },
	{ "snapshot", (PyCFunction)(void (*)(void))Ring_snapshot, METH_VARARGS | METH_KEYWORDS,
	  "snapshot(max_records=0, max_bytes=0)\n--\n\n"
	  "Overwrite mode: copies of the newest records (oldest first) as a list\n"
	  "of bytes, without consuming them. 0 means no limit." },
	{ "stats", (PyCFunction)Ring_stats, METH_NOARGS,
	  "The ring's statistics as a dict (delivered_records, dropped_records, ...)." },
	{ NULL }
};

static PyGetSetDef Ring_getset[] = {
	{ "size", (getter)ring_query, NULL, "Data bytes of the ring (RINGBUF_RING_SIZE).",
	  (void *)(uintptr_t)RINGBUF_RING_SIZE },
	{ "avail_data", (getter)ring_query, NULL, "Bytes not consumed yet (RINGBUF_AVAIL_DATA).",
	  (void *)(uintptr_t)RINGBUF_AVAIL_DATA },
	{ "consumer_pos", (getter)ring_query, NULL, "RINGBUF_CONS_POS.",
	  (void *)(uintptr_t)RINGBUF_CONS_POS },
	{ "producer_pos", (getter)ring_query, NULL, "RINGBUF_PROD_POS.",
	  (void *)(uintptr_t)RINGBUF_PROD_POS },
	{ "overwrite_pos", (getter)ring_query, NULL, "RINGBUF_OVERWRITE_POS.",
	  (void *)(uintptr_t)RINGBUF_OVERWRITE_POS },
	{ "pending_pos", (getter)ring_query, NULL, "RINGBUF_PENDING_POS: oldest uncommitted record.",
	  (void *)(uintptr_t)RINGBUF_PENDING_POS },
	{ "closed", (getter)Ring_get_closed, NULL, "True once close() ran.", NULL },
	{ "overwrite", (getter)Ring_get_overwrite, NULL,
	  "True when this handle created the ring in overwrite mode, False when it\n"
	  "created a normal ring, None for a ring attached with Ring.open().", NULL },
	{ "role", (getter)Ring_get_role, NULL, "{'producer': bool, 'consumer': bool}", NULL },
	{ NULL }
};

static PyMemberDef Ring_members[] = {
	{ "name", T_OBJECT, offsetof(RingObject, name), READONLY, "The ring's name, None if anonymous." },
	{ NULL }
};

static PyTypeObject RingType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringbuf.Ring",
	.tp_basicsize = sizeof(RingObject),
	.tp_dealloc = (destructor)Ring_dealloc,
	.tp_repr = (reprfunc)Ring_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "Ring(size, name=None, *, overwrite=False, mode=0o600)\n--\n\n"
		  "Create a ring of size data bytes (a power of two and a multiple of\n"
		  "the page size). name None: anonymous (this process and fork\n"
		  "children); a name without '/' is a POSIX shm object, a path a file.\n"
		  "The creator is producer and consumer. Context manager: close() on exit.",
	.tp_weaklistoffset = offsetof(RingObject, weakrefs),
	.tp_methods = Ring_methods,
	.tp_members = Ring_members,
	.tp_getset = Ring_getset,
	.tp_new = Ring_new,
};

/* ---- Consumer ---- */

enum { SRC_RING, SRC_BPF, SRC_FTRACE };

struct src {
	struct ConsumerObject *c;
	PyObject *fn;
	RingObject *ring;      /* SRC_RING */
	int kind;
};

typedef struct ConsumerObject {
	PyObject_HEAD
	struct ringbuf_consumer *c;
	struct src **srcs;
	Py_ssize_t nsrcs;
	struct call_ctx *cx;   /* during a consume/poll */
	Py_ssize_t exports;    /* live record views */
	int busy;
	int afd;               /* fileno(): epoll over the manager's fd and kick */
	int kick;              /* eventfd made readable when armed with data */
} ConsumerObject;

static int Consumer_sample(void *ctx, void *data, size_t size)
{
	struct src *s = ctx;
	struct call_ctx *cx = s->c->cx;
	int ret;

	ctx_take_gil(cx);
	cx->fn = s->fn;
	cx->delivered++;
	ret = deliver_view(cx, data, size, NULL, NULL);
	return deliver_ret(cx, ret);
}

static int Consumer_ftrace(void *ctx, const struct ringbuf_ftrace_event *ev)
{
	struct src *s = ctx;
	struct call_ctx *cx = s->c->cx;
	PyObject *cpu, *ts;
	int ret;

	ctx_take_gil(cx);
	cx->fn = s->fn;
	cx->delivered++;
	cpu = PyLong_FromLong(ev->cpu);
	ts = PyLong_FromUnsignedLongLong(ev->ts);
	if (!cpu || !ts) {
		Py_XDECREF(cpu);
		Py_XDECREF(ts);
		cx->error = 1;
		return -1;
	}
	ret = deliver_view(cx, ev->data, ev->size, cpu, ts);
	Py_DECREF(cpu);
	Py_DECREF(ts);
	return deliver_ret(cx, ret);
}

static int consumer_check(ConsumerObject *self)
{
	if (!self->c) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed Consumer");
		return -1;
	}
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError,
				"the Consumer is busy (called from its callback or another thread)");
		return -1;
	}
	return 0;
}

static PyObject *Consumer_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	ConsumerObject *self;

	if (!PyArg_ParseTuple(args, ":Consumer") || (kw && PyDict_Size(kw))) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_TypeError, "Consumer() takes no arguments");
		return NULL;
	}
	self = (ConsumerObject *)type->tp_alloc(type, 0);
	if (!self)
		return NULL;
	self->afd = self->kick = -1;
	self->c = ringbuf_consumer_new();
	if (!self->c) {
		int err = errno;

		Py_DECREF(self);
		return raise_errno(err, NULL);
	}
	return (PyObject *)self;
}

static void consumer_free(ConsumerObject *self)
{
	ringbuf_consumer_free(self->c);
	self->c = NULL;
	for (Py_ssize_t i = 0; i < self->nsrcs; i++) {
		struct src *s = self->srcs[i];

		if (s->ring) {
			s->ring->attached = 0;
			Py_DECREF(s->ring);
		}
		Py_DECREF(s->fn);
		PyMem_Free(s);
	}
	PyMem_Free(self->srcs);
	self->srcs = NULL;
	self->nsrcs = 0;
	if (self->afd >= 0)
		close(self->afd);
	if (self->kick >= 0)
		close(self->kick);
	self->afd = self->kick = -1;
}

static PyObject *Consumer_close(ConsumerObject *self, PyObject *unused)
{
	(void)unused;
	if (self->busy) {
		PyErr_SetString(PyExc_RuntimeError, "the Consumer is busy");
		return NULL;
	}
	if (self->exports) {
		PyErr_Format(PyExc_BufferError,
			     "cannot close the Consumer: %zd record view(s) still exist",
			     self->exports);
		return NULL;
	}
	consumer_free(self);
	Py_RETURN_NONE;
}

static int Consumer_traverse(ConsumerObject *self, visitproc visit, void *arg)
{
	for (Py_ssize_t i = 0; i < self->nsrcs; i++) {
		Py_VISIT(self->srcs[i]->fn);
		Py_VISIT(self->srcs[i]->ring);
	}
	return 0;
}

static int Consumer_clear(ConsumerObject *self)
{
	if (!self->busy && !self->exports)
		consumer_free(self);
	return 0;
}

static void Consumer_dealloc(ConsumerObject *self)
{
	PyObject_GC_UnTrack(self);
	consumer_free(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static struct src *consumer_new_src(ConsumerObject *self, PyObject *fn, int kind)
{
	struct src **v, *s;

	if (!PyCallable_Check(fn)) {
		PyErr_SetString(PyExc_TypeError, "fn must be callable");
		return NULL;
	}
	s = PyMem_Calloc(1, sizeof(*s));
	v = PyMem_Realloc(self->srcs, sizeof(*v) * (size_t)(self->nsrcs + 1));
	if (!s || !v) {
		PyMem_Free(s);
		if (v)
			self->srcs = v;
		PyErr_NoMemory();
		return NULL;
	}
	self->srcs = v;
	s->c = self;
	s->kind = kind;
	Py_INCREF(fn);
	s->fn = fn;
	return s;
}

static void consumer_keep_src(ConsumerObject *self, struct src *s)
{
	self->srcs[self->nsrcs++] = s;
}

static void consumer_drop_src(struct src *s)
{
	Py_DECREF(s->fn);
	PyMem_Free(s);
}

static PyObject *Consumer_add(ConsumerObject *self, PyObject *args)
{
	RingObject *ring;
	PyObject *fn;
	struct src *s;
	int ret;

	if (!PyArg_ParseTuple(args, "O!O:add", &RingType, &ring, &fn))
		return NULL;
	if (consumer_check(self) || ring_check_consumer(ring))
		return NULL;
	s = consumer_new_src(self, fn, SRC_RING);
	if (!s)
		return NULL;
	ret = ringbuf_consumer_add(self->c, ring->rb, Consumer_sample, s);
	if (ret < 0) {
		consumer_drop_src(s);
		return raise_errno(ret, NULL);
	}
	Py_INCREF(ring);
	s->ring = ring;
	ring->attached = 1;
	consumer_keep_src(self, s);
	Py_RETURN_NONE;
}

static PyObject *Consumer_add_bpf(ConsumerObject *self, PyObject *args)
{
	PyObject *fdobj, *fn;
	struct src *s;
	int fd, ret;

	if (!PyArg_ParseTuple(args, "OO:add_bpf", &fdobj, &fn))
		return NULL;
	fd = PyObject_AsFileDescriptor(fdobj);
	if (fd < 0 || consumer_check(self))
		return NULL;
	s = consumer_new_src(self, fn, SRC_BPF);
	if (!s)
		return NULL;
	ret = ringbuf_consumer_add_bpf(self->c, fd, Consumer_sample, s);
	if (ret < 0) {
		consumer_drop_src(s);
		return raise_errno(ret, NULL);
	}
	consumer_keep_src(self, s);
	Py_RETURN_NONE;
}

static PyObject *Consumer_add_ftrace(ConsumerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "fn", "instance", "cpus", "merge", "tracefs", "mount", NULL };
	PyObject *fn, *instance = Py_None, *cpus = Py_None, *tracefs = Py_None;
	PyObject *inst_b = NULL, *tfs_b = NULL, *seq = NULL;
	int merge = 0, mount = 0, ret = -1, *cpuv = NULL;
	Py_ssize_t ncpus = 0;
	struct src *s;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOpOp:add_ftrace", kwlist, &fn,
					 &instance, &cpus, &merge, &tracefs, &mount))
		return NULL;
	if (consumer_check(self))
		return NULL;
	if (instance != Py_None && !PyUnicode_FSConverter(instance, &inst_b))
		goto out;
	if (tracefs != Py_None && !PyUnicode_FSConverter(tracefs, &tfs_b))
		goto out;
	if (cpus != Py_None) {
		seq = PySequence_Fast(cpus, "cpus must be a sequence of ints");
		if (!seq)
			goto out;
		ncpus = PySequence_Fast_GET_SIZE(seq);
		if (ncpus == 0 || ncpus > INT_MAX) {
			PyErr_SetString(PyExc_ValueError, "cpus must not be empty (None: every CPU)");
			goto out;
		}
		cpuv = PyMem_Calloc((size_t)ncpus, sizeof(int));
		if (!cpuv) {
			PyErr_NoMemory();
			goto out;
		}
		for (Py_ssize_t i = 0; i < ncpus; i++) {
			long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));

			if (v == -1 && PyErr_Occurred())
				goto out;
			if (v < 0 || v > INT_MAX) {
				PyErr_SetString(PyExc_ValueError, "a cpu number must be >= 0");
				goto out;
			}
			cpuv[i] = (int)v;
		}
	}
	s = consumer_new_src(self, fn, SRC_FTRACE);
	if (!s)
		goto out;
	{
		RINGBUF_FTRACE_OPTS(o, .tracefs = tfs_b ? PyBytes_AS_STRING(tfs_b) : NULL,
				    .instance = inst_b ? PyBytes_AS_STRING(inst_b) : NULL,
				    .cpus = cpuv, .ncpus = (int)ncpus, .mount = mount,
				    .merge = merge);
		ret = ringbuf_consumer_add_ftrace(self->c, &o, Consumer_ftrace, s);
	}
	if (ret < 0) {
		consumer_drop_src(s);
		raise_errno(ret, instance != Py_None ? instance : NULL);
		goto out;
	}
	consumer_keep_src(self, s);
out:
	Py_XDECREF(inst_b);
	Py_XDECREF(tfs_b);
	Py_XDECREF(seq);
	PyMem_Free(cpuv);
	if (ret < 0)
		return NULL;
	return PyLong_FromLong(ret);
}

/* fileno() users sleep on afd: make it readable while sources have data. */
static int consumer_arm(ConsumerObject *self)
{
	uint64_t v;
	int ret;

	while (read(self->kick, &v, sizeof(v)) > 0)
		;
	ret = ringbuf_consumer_wait_prepare(self->c);
	if (ret < 0) {
		raise_errno(ret, NULL);
		return -1;
	}
	if (ret > 0) {
		v = 1;
		if (write(self->kick, &v, sizeof(v)) < 0 && errno != EAGAIN) {
			PyErr_SetFromErrno(PyExc_OSError);
			return -1;
		}
	}
	return ret;
}

static PyObject *Consumer_consume(ConsumerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "max_records", NULL };
	struct call_ctx cx = { .owner = (PyObject *)self, .owner_exports = &self->exports };
	PyObject *max = Py_None, *res;
	size_t n;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:consume", kwlist, &max))
		return NULL;
	if (parse_max(max, &n) || consumer_check(self))
		return NULL;
	self->busy = 1;
	self->cx = &cx;
	ret = ringbuf_consumer_consume_n(self->c, n);
	ctx_done(&cx);
	self->cx = NULL;
	self->busy = 0;
	res = ctx_result(&cx, ret);
	if (res && self->afd >= 0 && consumer_arm(self) < 0)
		Py_CLEAR(res);
	return res;
}

static int consumer_wait(void *arg, int ms)
{
	return ringbuf_consumer_poll(((ConsumerObject *)arg)->c, ms);
}

static PyObject *Consumer_poll(ConsumerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "timeout", NULL };
	struct call_ctx cx = { .owner = (PyObject *)self, .owner_exports = &self->exports };
	PyObject *timeout = Py_None;
	int ms, ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:poll", kwlist, &timeout))
		return NULL;
	if (timeout_ms(timeout, &ms) || consumer_check(self))
		return NULL;
	self->busy = 1;
	self->cx = &cx;
	ret = wait_loop(&cx, ms, consumer_wait, self);
	ctx_done(&cx);
	self->cx = NULL;
	self->busy = 0;
	return ctx_result(&cx, ret);
}

static PyObject *Consumer_fileno(ConsumerObject *self, PyObject *unused)
{
	struct epoll_event ev = { .events = EPOLLIN };

	(void)unused;
	if (consumer_check(self))
		return NULL;
	if (self->afd < 0) {
		int afd = epoll_create1(EPOLL_CLOEXEC);
		int kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (afd < 0 || kick < 0 ||
		    epoll_ctl(afd, EPOLL_CTL_ADD, kick, &ev) ||
		    epoll_ctl(afd, EPOLL_CTL_ADD, ringbuf_consumer_epoll_fd(self->c), &ev)) {
			PyErr_SetFromErrno(PyExc_OSError);
			if (afd >= 0)
				close(afd);
			if (kick >= 0)
				close(kick);
			return NULL;
		}
		self->afd = afd;
		self->kick = kick;
	}
	if (consumer_arm(self) < 0)
		return NULL;
	return PyLong_FromLong(self->afd);
}

static PyObject *Consumer_ftrace_stats(ConsumerObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "cpu", NULL };
	int cpu = -1, ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|i:ftrace_stats", kwlist, &cpu))
		return NULL;
	if (!self->c) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed Consumer");
		return NULL;
	}
	RINGBUF_FTRACE_STATS(st);
	ret = ringbuf_consumer_ftrace_stats(self->c, cpu, &st);
	if (ret < 0)
		return raise_errno(ret, NULL);
	return Py_BuildValue("{sKsKsKsKsKsKsKsKsKsKsKsK}",
		"events", (unsigned long long)st.events,
		"bytes", (unsigned long long)st.bytes,
		"lost_events", (unsigned long long)st.lost_events,
		"missed_subbufs", (unsigned long long)st.missed_subbufs,
		"corrupt_events", (unsigned long long)st.corrupt_events,
		"subbufs", (unsigned long long)st.subbufs,
		"get_reader_calls", (unsigned long long)st.get_reader_calls,
		"paddings", (unsigned long long)st.paddings,
		"time_extends", (unsigned long long)st.time_extends,
		"entries", (unsigned long long)st.entries,
		"overrun", (unsigned long long)st.overrun,
		"read", (unsigned long long)st.read);
}

static PyObject *Consumer_source_stats(ConsumerObject *self, PyObject *args)
{
	struct ringbuf_stats st = { .sz = sizeof(st) };
	struct ringbuf *rb;
	unsigned int idx;
	int ret;

	if (!PyArg_ParseTuple(args, "I:source_stats", &idx))
		return NULL;
	if (!self->c) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed Consumer");
		return NULL;
	}
	rb = ringbuf_consumer_ring(self->c, idx);
	if (!rb) {
		PyErr_Format(PyExc_IndexError, "no ring source %u", idx);
		return NULL;
	}
	ret = ringbuf_get_stats(rb, &st);
	if (ret < 0)
		return raise_errno(ret, NULL);
	return stats_dict(&st);
}

static PyObject *Consumer_enter(ConsumerObject *self, PyObject *unused)
{
	(void)unused;
	Py_INCREF(self);
	return (PyObject *)self;
}

static PyObject *Consumer_exit(ConsumerObject *self, PyObject *args)
{
	PyObject *r = Consumer_close(self, args);

	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *Consumer_get_closed(ConsumerObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->c == NULL);
}

static Py_ssize_t Consumer_len(ConsumerObject *self)
{
	return self->nsrcs;
}

static PyMethodDef Consumer_methods[] = {
	{ "add", (PyCFunction)Consumer_add, METH_VARARGS,
	  "add(ring, fn)\n--\n\n"
	  "Consume a Ring (opened as consumer) here: fn(data) per record, data a\n"
	  "read-only memoryview valid during the call. The Ring stays open and\n"
	  "cannot be closed or consumed directly until the Consumer is closed." },
	{ "add_bpf", (PyCFunction)Consumer_add_bpf, METH_VARARGS,
	  "add_bpf(map_fd, fn)\n--\n\n"
	  "Consume a kernel BPF_MAP_TYPE_RINGBUF map (an fd, or an object with\n"
	  "fileno()); the map fd is duplicated, the caller keeps its own." },
	{ "add_ftrace", (PyCFunction)(void (*)(void))Consumer_add_ftrace, METH_VARARGS | METH_KEYWORDS,
	  "add_ftrace(fn, *, instance=None, cpus=None, merge=False, tracefs=None, mount=False)\n--\n\n"
	  "Consume the kernel ftrace buffers of a tracefs instance (None: the\n"
	  "top one): fn(data, cpu, ts) per event, data the raw event (a\n"
	  "read-only memoryview valid during the call), ts in trace clock units.\n"
	  "merge=True delivers all CPUs in timestamp order. Returns the number\n"
	  "of CPUs added." },
	{ "poll", (PyCFunction)(void (*)(void))Consumer_poll, METH_VARARGS | METH_KEYWORDS,
	  "poll(timeout=None)\n--\n\n"
	  "Wait up to timeout seconds (None or negative: forever) for any\n"
	  "source, deliver what is there. GIL released while waiting; Ctrl-C\n"
	  "raises KeyboardInterrupt; a callback's exception stops and propagates.\n"
	  "Returns the number of records delivered." },
	{ "consume", (PyCFunction)(void (*)(void))Consumer_consume, METH_VARARGS | METH_KEYWORDS,
	  "consume(max_records=None)\n--\n\n"
	  "Deliver what every source has, without waiting. After fileno() was\n"
	  "called, it also re-arms the wakeups, so that fd becomes readable\n"
	  "again exactly when there is more to consume." },
	{ "fileno", (PyCFunction)Consumer_fileno, METH_NOARGS,
	  "A pollable fd, readable when a source has data, for event loops:\n"
	  "loop.add_reader(c.fileno(), c.consume). The wakeups are armed here\n"
	  "and after every consume()." },
	{ "ftrace_stats", (PyCFunction)(void (*)(void))Consumer_ftrace_stats, METH_VARARGS | METH_KEYWORDS,
	  "ftrace_stats(cpu=-1)\n--\n\nStatistics of the ftrace sources (cpu -1: summed)." },
	{ "source_stats", (PyCFunction)Consumer_source_stats, METH_VARARGS,
	  "source_stats(index)\n--\n\nStatistics of the index-th ring or BPF source, as Ring.stats()." },
	{ "close", (PyCFunction)Consumer_close, METH_NOARGS,
	  "Free the manager and release its rings and callbacks." },
	{ "__enter__", (PyCFunction)Consumer_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Consumer_exit, METH_VARARGS, NULL },
	{ NULL }
};

static PyGetSetDef Consumer_getset[] = {
	{ "closed", (getter)Consumer_get_closed, NULL, "True once close() ran.", NULL },
	{ NULL }
};

static PySequenceMethods Consumer_as_sequence = {
	.sq_length = (lenfunc)Consumer_len,
};

static PyTypeObject ConsumerType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringbuf.Consumer",
	.tp_basicsize = sizeof(ConsumerObject),
	.tp_dealloc = (destructor)Consumer_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = "Consumer()\n--\n\n"
		  "Many sources (rings, kernel BPF rings, ftrace buffers) on one epoll,\n"
		  "each with its callback. len() is the number of sources.",
	.tp_traverse = (traverseproc)Consumer_traverse,
	.tp_clear = (inquiry)Consumer_clear,
	.tp_methods = Consumer_methods,
	.tp_getset = Consumer_getset,
	.tp_as_sequence = &Consumer_as_sequence,
	.tp_new = Consumer_new,
};

/* ---- module ---- */

static PyObject *mod_unlink(PyObject *mod, PyObject *arg)
{
	PyObject *b;
	int ret;

	(void)mod;
	if (!PyUnicode_FSConverter(arg, &b))
		return NULL;
	ret = ringbuf_unlink(PyBytes_AS_STRING(b));
	Py_DECREF(b);
	if (ret < 0)
		return raise_named(-ret, arg);
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
	{ "unlink", mod_unlink, METH_O,
	  "unlink(name)\n--\n\nRemove a named ring; processes that have it open keep using it." },
	{ NULL }
};

static struct PyModuleDef moduledef = {
	PyModuleDef_HEAD_INIT,
	.m_name = "ringbuf",
	.m_doc = "libringbuf for Python: the Linux BPF ring buffer in user space\n"
		 "(shared-memory MPSC rings, named across processes), and one\n"
		 "consumer for user rings, kernel BPF ring buffers and ftrace buffers.",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit_ringbuf(void)
{
	PyObject *m;

	if (PyType_Ready(&RingType) || PyType_Ready(&ViewType) ||
	    PyType_Ready(&ReservationType) || PyType_Ready(&ConsumerType))
		return NULL;
	m = PyModule_Create(&moduledef);
	if (!m)
		return NULL;
	RingFullError = PyErr_NewExceptionWithDoc("ringbuf.RingFullError",
		"The ring has no room for the record (errno ENOSPC).",
		PyExc_OSError, NULL);
	if (!RingFullError ||
	    PyModule_AddObjectRef(m, "RingFullError", RingFullError) ||
	    PyModule_AddObjectRef(m, "Ring", (PyObject *)&RingType) ||
	    PyModule_AddObjectRef(m, "Reservation", (PyObject *)&ReservationType) ||
	    PyModule_AddObjectRef(m, "Consumer", (PyObject *)&ConsumerType) ||
	    PyModule_AddIntConstant(m, "NO_WAKEUP", RINGBUF_NO_WAKEUP) ||
	    PyModule_AddIntConstant(m, "FORCE_WAKEUP", RINGBUF_FORCE_WAKEUP) ||
	    PyModule_AddIntConstant(m, "HDR_SZ", RINGBUF_HDR_SZ) ||
	    PyModule_AddStringConstant(m, "__version__", ringbuf_version()) ||
	    PyModule_AddStringConstant(m, "LIB_VERSION", RINGBUF_VERSION_STRING)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
