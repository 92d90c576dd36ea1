// SPDX-License-Identifier: MIT
/*
 * ringbuf binding — Reservation: a record reserved in a Ring, its own buffer exporter,
 * committed or discarded by the with block.
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

/* ---- reservations ---- */

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

PyObject *Ring_reserve(RingObject *self, PyObject *args, PyObject *kw)
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

PyTypeObject ReservationType = {
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
