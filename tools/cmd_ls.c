// SPDX-License-Identifier: MIT
/*
 * ringbuf ls — list the named rings: every ring file in /dev/shm (or the
 * directories and rings given), its size, fill, flags, owner and mode, the
 * consumer and producer processes by name. The NAME.wake FIFO each ring
 * keeps beside it is folded into its ring's line; a wake FIFO whose ring is
 * gone is listed as stale. Attaches to nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rings.h"

static const char ls_help[] =
"Usage: ringbuf ls [--json] [DIR|RING]...\n"
"List named rings: those in /dev/shm, or in the directories given, or the\n"
"rings given. Per ring: size, fill, flags, owner, mode, consumer and\n"
"producers as pid(command). Each ring's NAME.wake FIFO is folded into its\n"
"line; a FIFO left without its ring is shown as a stale entry. Files that\n"
"are not rings are left out (named explicitly, they are an error).\n"
"\n"
"  -j, --json   one JSON array of objects\n"
"  -h, --help   show this help\n";

static int nls;
static int name_w = 20;   /* the NAME column: the longest name listed */

static void widen(const char *name)
{
	int n = (int)strlen(name);

	if (n > name_w && n < 200)
		name_w = n;
}

static void print_ring(const char *name, const struct ring_info *ri, int json)
{
	char sz[32], owner[64], fill[16];

	ring_owner(ri->st.st_uid, owner, sizeof(owner));
	if (json) {
		printf("%s{\"name\":", nls++ ? "," : "");
		cli_json_str(stdout, name, strlen(name));
		printf(",\"path\":");
		cli_json_str(stdout, ri->path, strlen(ri->path));
		printf(",\"owner\":");
		cli_json_str(stdout, owner, strlen(owner));
		printf(",\"uid\":%u,\"mode\":\"0%o\",\"wake_fifo\":%s", (unsigned)ri->st.st_uid, ri->mode,
		       ri->wake ? "true" : "false");
		if (!ri->valid) {
			printf(",\"readable\":false,\"error\":");
			cli_json_str(stdout, cli_strerror(ri->err), strlen(cli_strerror(ri->err)));
			printf("}");
			return;
		}
		printf(",\"readable\":true,\"size\":%llu,\"used\":%llu,\"fill_pct\":%.1f,\"overwrite\":%s,"
		       "\"consumer\":", (unsigned long long)ri->size, (unsigned long long)ri->used,
		       100.0 * (double)ri->used / (double)ri->size,
		       ri->flags & RINGBUF_F_OVERWRITE ? "true" : "false");
		ring_print_procs(stdout, ri, 1, 1);
		printf(",\"producers\":");
		ring_print_procs(stdout, ri, 0, 1);
		printf("}");
		return;
	}
	if (!nls++)
		printf("%-*s %6s %5s %-9s %-8s %5s  %-20s %s\n", name_w, "NAME", "SIZE", "FILL", "FLAGS",
		       "OWNER", "MODE", "CONSUMER", "PRODUCERS");
	if (!ri->valid) {
		printf("%-*s %6s %5s %-9s %-8s %5.4o  (%s)\n", name_w, name, "?", "?", "?", owner, ri->mode,
		       cli_strerror(ri->err));
		return;
	}
	snprintf(fill, sizeof(fill), "%d%%", (int)(100 * ri->used / ri->size));
	printf("%-*s %6s %5s %-9s %-8s %5.4o  ", name_w, name, cli_fmt_size(ri->size, sz, sizeof(sz)), fill,
	       ri->flags & RINGBUF_F_OVERWRITE ? "overwrite" : "-", owner, ri->mode);
	{
		char cons[256];
		FILE *f = fmemopen(cons, sizeof(cons), "w");

		if (f) {
			ring_print_procs(f, ri, 1, 0);
			fclose(f);
			printf("%-20s ", cons);
		}
	}
	ring_print_procs(stdout, ri, 0, 0);
	if (!ri->wake)
		printf("  (no wake FIFO)");
	printf("\n");
}

static void print_stale_wake(const char *name, const char *path, int json)
{
	if (json) {
		printf("%s{\"name\":", nls++ ? "," : "");
		cli_json_str(stdout, name, strlen(name));
		printf(",\"path\":");
		cli_json_str(stdout, path, strlen(path));
		printf(",\"stale_wake_fifo\":true}");
	} else {
		if (!nls++)
			printf("%-*s\n", name_w, "NAME");
		printf("%-*s (stale wake FIFO %s: its ring is gone; ringbuf rm removes it)\n", name_w, name, path);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rings of one directory, sorted by name. */
static int list_dir(const char *dir, int json)
{
	int is_shm = !strcmp(dir, "/dev/shm") || !strcmp(dir, "/dev/shm/");
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++)
		widen(is_shm ? names[i] : dir);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], shown[PATH_MAX];
		size_t len = strlen(names[i]);
		struct ring_info ri;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(shown, sizeof(shown), "%s", is_shm ? names[i] : path);
		if (len > 5 && !strcmp(names[i] + len - 5, ".wake")) {
			struct stat st;

			path[strlen(path) - 5] = 0;   /* the ring beside it */
			if (lstat(path, &st) && errno == ENOENT) {
				shown[strlen(shown) - 5] = 0;
				strcat(path, ".wake");
				print_stale_wake(shown, path, json);
			}
			continue;
		}
		if (ring_info_load(path, &ri))
			continue;
		/* A file we may not read is a ring when its wake FIFO says so. */
		if (ri.valid || (ri.err == EACCES && ri.wake))
			print_ring(shown, &ri, json);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	int c, json = 0, rc = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': cli_json = json = 1; break;
		case 'h': fputs(ls_help, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(argv[0], argv, c);
		}
	}
	json |= cli_json;
	for (int i = optind; i < argc; i++)
		widen(argv[i]);
	if (json)
		printf("[");
	if (optind == argc) {
		int err = list_dir("/dev/shm", json);

		if (err) {
			cli_err(argv[0], "/dev/shm", err);
			rc = CLI_EXIT_FAIL;
		}
	}
	for (int i = optind; i < argc; i++) {
		struct ring_info ri;
		struct stat st;
		int err;

		if (!stat(argv[i], &st) && S_ISDIR(st.st_mode)) {
			err = list_dir(argv[i], json);
		} else {
			err = ring_info_load(argv[i], &ri);
			if (!err && !ri.valid && ri.err != EACCES)
				err = -ri.err;
			if (!err)
				print_ring(argv[i], &ri, json);
		}
		if (err) {
			if (json && nls++)
				printf(",");
			cli_errf(argv[0], argv[i], "%s", err == -EBADMSG ? "not a ring" : cli_strerror(err));
			rc = CLI_EXIT_FAIL;
		}
	}
	if (json)
		printf("]\n");
	if (cli_flush(stdout))
		return cli_output_failed(argv[0]);
	return rc;
}
