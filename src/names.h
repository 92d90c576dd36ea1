/* SPDX-License-Identifier: MIT */
/* The files beside a ring, reached through its directory's fd (names.c).
 * Not installed. */
#ifndef RB_NAMES_H
#define RB_NAMES_H

#include <limits.h>
#include <sys/stat.h>

#include "internal.h"

struct names {
	int dirfd;                  /* the directory of the ring (O_PATH) */
	char obj[NAME_MAX + 1];     /* the ring: last component */
	char wake[NAME_MAX + 1];    /* its wake FIFO: obj + ".wake" */
};

/* Split a ring name into its directory (opened O_PATH) and last component.
 * 0, or a negative errno with the detail set. */
RB_HIDDEN int rb_names_parse(const char *name, struct names *n);
RB_HIDDEN void rb_names_close(struct names *n);
/* The ring file itself, never through a symbolic link. fd or negative
 * errno (no detail: the caller names what it was doing). */
RB_HIDDEN int rb_names_open_obj(const struct names *n, int flags, mode_t mode);
RB_HIDDEN const char *rb_file_kind(mode_t m);
RB_HIDDEN int rb_wake_owner_ok(uid_t owner, uid_t ring_uid);
/* The wake FIFO: open an existing one (checked), make one, make one at
 * create (replacing a stale FIFO of ours). fd or negative errno, detail set. */
RB_HIDDEN int rb_wake_open(const struct names *n, uid_t ring_uid);
RB_HIDDEN int rb_wake_make(const struct names *n, mode_t mode, uid_t uid, gid_t gid, int *made);
RB_HIDDEN int rb_wake_make_at_create(const struct names *n, mode_t mode, int *made);

#endif /* RB_NAMES_H */
