// SPDX-License-Identifier: MIT
/* Reading a named ring for display: see rings.h. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rings.h"

void ring_path(const char *name, char *path, size_t len)
{
	if (name[0] == '/' && name[1] && !strchr(name + 1, '/'))
		name++;                         /* "/x" is the shm object x */
	if (strchr(name, '/'))
		snprintf(path, len, "%s", name);
	else
		snprintf(path, len, "/dev/shm/%s", name);
}

/* A small /proc file, NUL-terminated: its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/* Does another open file description hold a lock on that byte? */
static int lock_held(int fd, uint64_t byte)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)byte,
			    .l_len = 1 };

	return !fcntl(fd, F_OFD_GETLK, &fl) && fl.l_type != F_UNLCK;
}

int ring_info_load(const char *name, struct ring_info *ri)
{
	char wake[PATH_MAX + 8];
	struct stat wst;
	struct ringbuf_meta *m = &ri->meta;
	uint64_t page;
	int fd;

	memset(ri, 0, sizeof(*ri));
	ring_path(name, ri->path, sizeof(ri->path));
	if (lstat(ri->path, &ri->st))
		return -errno;
	snprintf(wake, sizeof(wake), "%s.wake", ri->path);
	ri->wake = !lstat(wake, &wst) && S_ISFIFO(wst.st_mode);
	ri->mode = ri->st.st_mode & 07777;
	if (!S_ISREG(ri->st.st_mode)) {
		ri->err = EBADMSG;
		return 0;
	}
	/* O_NOFOLLOW | O_NONBLOCK: neither a symlink nor a FIFO swapped in
	 * after the lstat can redirect or block us. */
	fd = open(ri->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ri->err = errno;
		return 0;
	}
	ri->err = EBADMSG;
	if (read_at(fd, m, sizeof(*m), 0) || m->magic != RINGBUF_MAGIC)
		goto out;
	page = m->page_size;
	if (page < 4096 || page > (1 << 24) || (page & (page - 1)) ||
	    read_at(fd, &ri->cons, sizeof(ri->cons), (off_t)page + RINGBUF_CONS_POS_OFF) ||
	    read_at(fd, &ri->prod, sizeof(ri->prod), (off_t)(2 * page) + RINGBUF_PROD_POS_OFF))
		goto out;
	ri->size = m->data_size;
	if (!ri->size || (ri->size & (ri->size - 1)) || ri->size > (1ULL << 32))
		goto out;
	ri->flags = m->flags;
	ri->used = ri->prod - ri->cons;
	if (ri->used > ri->size)            /* overwrite mode, or garbage */
		ri->used = ri->size;
	ri->valid = 1;
	ri->err = 0;
	/* Liveness as the library sees it (ringbuf_format.h, RINGBUF_LOCK_*). */
	ri->held = lock_held(fd, RINGBUF_LOCK_CLAIM);
	for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++)
		ri->held |= (uint64_t)lock_held(fd, RINGBUF_LOCK_SLOT(i)) << (i + 1);
	ri->slotless = lock_held(fd, RINGBUF_LOCK_SLOTLESS);
out:
	close(fd);
	return 0;
}

const char *ring_proc_name(uint32_t pid, uint64_t pidns, char *buf, size_t len)
{
	char path[64];

	if (pidns && ring_pidns() && ring_pidns() != pidns) {
		snprintf(buf, len, "other pid namespace");
		return buf;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (read_small(path, buf, len) < 0) {
		/* "cannot see" is not "dead": only ESRCH from kill says so. */
		snprintf(buf, len, "%s", kill((pid_t)pid, 0) && errno == ESRCH ? "dead" : "?");
		return buf;
	}
	buf[strcspn(buf, "\n")] = 0;
	if (!*buf)
		snprintf(buf, len, "?");
	return buf;
}

const char *ring_owner(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
	return buf;
}

static void print_proc(FILE *out, int json, int *n, uint32_t pid, uint64_t pidns)
{
	char comm[64];

	ring_proc_name(pid, pidns, comm, sizeof(comm));
	if (json) {
		fprintf(out, "%s{\"pid\":%u,\"comm\":", (*n)++ ? "," : "", pid);
		cli_json_str(out, comm, strlen(comm));
		fputc('}', out);
	} else {
		fprintf(out, "%s%u(%s)", (*n)++ ? " " : "", pid, comm);
	}
}

void ring_print_procs(FILE *out, const struct ring_info *ri, int consumer, int json)
{
	const struct ringbuf_meta *m = &ri->meta;
	uint32_t self = (uint32_t)getpid();
	int n = 0;

	if (json)
		fputc('[', out);
	/* The pids are what each holder wrote about itself (in its own pid
	 * namespace): shown only while its lock says it is attached. */
	if (ri->valid && consumer) {
		uint32_t pid = m->consumer_pid;

		if ((ri->held & 1) && pid && pid != self)
			print_proc(out, json, &n, pid, 0);
	} else if (ri->valid) {
		for (int i = 0; i < RINGBUF_MAX_PRODUCERS; i++) {
			uint32_t pid = m->producers[i].pid;

			if ((ri->held >> (i + 1) & 1) && pid && pid != self)
				print_proc(out, json, &n, pid, 0);
		}
	}
	if (json)
		fputc(']', out);
	else if (!n)
		fputc('-', out);
}

uint64_t ring_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');        /* the command may contain spaces */
	/* After ") ": state is field 3, starttime field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return v;
}

uint64_t ring_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
}
