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
 *
 * This file: the module, its errors and the argument helpers; the types
 * in ring.c, ring_consume.c, reservation.c, view.c and consumer.c.
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

PyMODINIT_FUNC PyInit_ringbuf(void);

static PyObject *RingFullError;

/* ---- errors ---- */

/* Raise for a negative errno from the library: ENOSPC as RingFullError. */
PyObject *raise_errno(int err, PyObject *filename)
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
PyObject *raise_named(int err, PyObject *name)
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
int timeout_ms(PyObject *timeout, int *ms)
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

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* max_records argument: None means no limit. */
int parse_max(PyObject *o, size_t *n)
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
