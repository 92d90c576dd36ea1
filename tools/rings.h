/* SPDX-License-Identifier: MIT */
/*
 * What the tool shows about a named ring without attaching to it: a
 * snapshot of its meta page and positions read with pread() (never
 * mapped, so a truncated file cannot fault us), the file's owner and mode,
 * the wake FIFO beside it and the names of the processes attached. For ls,
 * stat and top. Every value comes from memory other processes write: it is
 * clamped before use and only ever displayed.
 */
#ifndef RINGBUF_TOOL_RINGS_H
#define RINGBUF_TOOL_RINGS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include <ringbuf_format.h>

struct ring_info {
	char path[PATH_MAX];     /* the ring file (/dev/shm/NAME for shm names) */
	struct stat st;          /* lstat of path */
	int valid;               /* meta page read and its magic/sizes sane */
	int err;                 /* errno when !valid (EACCES, EBADMSG, ...) */
	int wake;                /* the wake FIFO NAME.wake exists */
	uint64_t size, cons, prod, used;
	uint32_t flags, mode;
	struct ringbuf_meta meta; /* the snapshot (valid only) */
	/* Who is attached, from the kernel's locks on the file (not from the
	 * meta page, which keeps the pid of an owner that died): bit 0 the
	 * consumer claim, bit 1 + i producer slot i. */
	uint64_t held;
	int slotless;            /* producers without a slot are attached */
};

/* Resolve a ring NAME as the library does (shm name, "/name", or a path)
 * and read it. Returns 0 when the file exists (ri->valid says whether it
 * is a readable ring), -errno when it does not. */
int ring_info_load(const char *name, struct ring_info *ri);
/* The file behind NAME: "/dev/shm/x" for "x" and "/x", else NAME itself. */
void ring_path(const char *name, char *path, size_t len);

/* The command name of pid ("myprog"), "?" when it cannot be read, "dead"
 * when the process is gone; pidns: the namespace inode the ring recorded
 * (0 unknown). */
const char *ring_proc_name(uint32_t pid, uint64_t pidns, char *buf, size_t len);
/* The start time of pid (field 22 of /proc/PID/stat), 0 when unknown; the
 * inode of our pid namespace, 0 when unknown. */
uint64_t ring_proc_start(pid_t pid);
uint64_t ring_pidns(void);
/* The owner's user name, or the uid as a number. */
const char *ring_owner(uid_t uid, char *buf, size_t len);

/* Print the attached processes: text "pid(name) pid(name)" or "-", or with
 * json a JSON array of {"pid":N,"comm":"name"}. consumer: 1 for the
 * consumer alone, 0 for the producers (ourselves left out). */
void ring_print_procs(FILE *out, const struct ring_info *ri, int consumer, int json);

#endif
