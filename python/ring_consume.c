// SPDX-License-Identifier: MIT
/*
 * ringbuf binding — Ring: consume, poll (and their batch forms), fileno, recover, snapshot,
 * stats.
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

PyObject *Ring_consume(RingObject *self, PyObject *args, PyObject *kw)
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

PyObject *Ring_consume_batch(RingObject *self, PyObject *args, PyObject *kw)
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

PyObject *Ring_poll(RingObject *self, PyObject *args, PyObject *kw)
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

PyObject *Ring_poll_batch(RingObject *self, PyObject *args, PyObject *kw)
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

PyObject *Ring_fileno(RingObject *self, PyObject *unused)
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

PyObject *Ring_wait_prepare(RingObject *self, PyObject *unused)
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

PyObject *Ring_recover(RingObject *self, PyObject *unused)
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

PyObject *Ring_snapshot(RingObject *self, PyObject *args, PyObject *kw)
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

PyObject *stats_dict(const struct ringbuf_stats *st)
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

PyObject *Ring_stats(RingObject *self, PyObject *unused)
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

PyObject *ring_query(RingObject *self, void *which)
{
	if (ring_check(self))
		return NULL;
	return PyLong_FromUnsignedLongLong(ringbuf_query(self->rb, (uint64_t)(uintptr_t)which));
}

PyObject *Ring_get_closed(RingObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->rb == NULL);
}

PyObject *Ring_get_overwrite(RingObject *self, void *unused)
{
	(void)unused;
	if (self->overwrite < 0)
		Py_RETURN_NONE;
	return PyBool_FromLong(self->overwrite);
}

PyObject *Ring_get_role(RingObject *self, void *unused)
{
	(void)unused;
	return Py_BuildValue("{sOsO}", "producer",
			     (self->role & RINGBUF_PRODUCER) ? Py_True : Py_False,
			     "consumer", (self->role & RINGBUF_CONSUMER) ? Py_True : Py_False);
}

PyObject *Ring_repr(RingObject *self)
{
	if (!self->rb)
		return PyUnicode_FromFormat("<ringbuf.Ring name=%R closed>", self->name);
	return PyUnicode_FromFormat("<ringbuf.Ring name=%R size=%llu%s>", self->name,
				    (unsigned long long)ringbuf_query(self->rb, RINGBUF_RING_SIZE),
				    self->overwrite > 0 ? " overwrite" : "");
}
