// SPDX-License-Identifier: MIT
/*
 * ringbuf binding — The Ring type: create, open, close, output, properties, method table.
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

/* ---- Ring ---- */

int ring_check(RingObject *self)
{
	if (!self->rb) {
		PyErr_SetString(PyExc_ValueError, "I/O operation on a closed ring");
		return -1;
	}
	return 0;
}

int ring_check_consumer(RingObject *self)
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

int ring_check_producer(RingObject *self)
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

int commit_flags(unsigned long long flags)
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

PyTypeObject RingType = {
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
