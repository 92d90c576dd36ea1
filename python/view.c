// SPDX-License-Identifier: MIT
/*
 * ringbuf binding — Record views (read-only exporters valid during a callback) and the
 * callback context of a consume/poll: delivery, the GIL taken back at the
 * first record, the wait that runs without it.
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

/* ---- record views (read-only, valid during a callback) ---- */

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

PyTypeObject ViewType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringbuf._RecordView",
	.tp_basicsize = sizeof(ViewObject),
	.tp_dealloc = (destructor)View_dealloc,
	.tp_as_buffer = &View_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Exporter of a record's bytes while its callback runs.",
};

void ctx_take_gil(struct call_ctx *cx)
{
	if (cx->tstate) {
		PyEval_RestoreThread(cx->tstate);
		cx->tstate = NULL;
	}
}

/* Call fn with a read-only memoryview of [data, data+size), then invalidate
 * it. Returns 0 to go on, a negative value to stop. */
int deliver_view(struct call_ctx *cx, const void *data, size_t size,
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
int append_bytes(PyObject *list, const void *data, size_t size)
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
int deliver_ret(struct call_ctx *cx, int ret)
{
	if (ret < 0 && !cx->stopped) {
		cx->error = 1;
		return -1;
	}
	return ret;
}

int sample_cb(void *ctx, void *data, size_t size)
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

void ctx_done(struct call_ctx *cx)
{
	ctx_take_gil(cx);
	Py_CLEAR(cx->view);
}

/* Turn a library result plus the callback state into the Python result. */
PyObject *ctx_result(struct call_ctx *cx, int ret)
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

/* Run wait(arg, ms) without the GIL (the callbacks take it back at the
 * first record); EINTR runs the signal handlers (Ctrl-C raises
 * KeyboardInterrupt), then waits again for the time left (PEP 475). */
int wait_loop(struct call_ctx *cx, int ms, int (*wait)(void *arg, int ms), void *arg)
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
