// SPDX-License-Identifier: MIT
/*
 * ringbuf binding — The Consumer type: one epoll manager over rings, kernel BPF rings and
 * ftrace buffers.
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

#include "binding.h"

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

PyTypeObject ConsumerType = {
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
