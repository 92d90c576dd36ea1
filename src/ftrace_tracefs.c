// SPDX-License-Identifier: MIT
/*
 * Where tracefs is: found, or mounted where it belongs.
 * (The format-file decoder is the tool's: tools/tracefs.c.)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ftrace.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

/* ------------------------------------------------------------------ */
/* tracefs                                                             */
/* ------------------------------------------------------------------ */

static int is_tracefs(const char *path)
{
	struct statfs sf;
	char probe[PATH_MAX];

	if (statfs(path, &sf) != 0)
		return 0;
	if ((unsigned long)sf.f_type == TRACEFS_MAGIC)
		return 1;
	/* debugfs automounting tracing: check for the files we need */
	snprintf(probe, sizeof(probe), "%s/per_cpu", path);
	return access(probe, F_OK) == 0 && (sf.f_type != 0);
}

int rb_ft_find_tracefs(const char *given, int do_mount, char *out, size_t outlen)
{
	static const char *const known[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char line[1024];
	FILE *f;
	size_t i;

	if (given) {
		if (!is_tracefs(given))
			return -ENOENT;
		snprintf(out, outlen, "%s", given);
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (is_tracefs(known[i])) {
			snprintf(out, outlen, "%s", known[i]);
			return 0;
		}
	}
	f = fopen("/proc/self/mounts", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char dev[256], dir[512], type[64];

			if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
			    strcmp(type, "tracefs") == 0 && is_tracefs(dir)) {
				fclose(f);
				snprintf(out, outlen, "%s", dir);
				return 0;
			}
		}
		fclose(f);
	}
	if (!do_mount)
		return -ENOENT;
	if (mount("nodev", known[0], "tracefs", 0, NULL) != 0 && errno != EBUSY)
		return -errno;
	if (!is_tracefs(known[0]))
		return -ENOENT;
	snprintf(out, outlen, "%s", known[0]);
	return 0;
}
