// SPDX-License-Identifier: MIT
/* A named sharded object is a header file plus one ring per shard, all
 * beside each other: none of them is followed through a symbolic link. An
 * unprivileged user (uid 65534) owns the directory and plants links to a
 * file of root's, under the header's name and then under a shard's name;
 * root creates (mode 0666), opens and removes the object. Every call
 * refuses, the victim keeps its mode, owner, size and inode, the planted
 * links stay where they were, and a create that failed half-way leaves
 * nothing of its own behind. ringbuf_unlink_sharded also refuses a
 * regular file that is not a sharded header. A real object is made and
 * removed as a control. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

static char dir[64], vdir[64], victim[128], obj[128], shard0[160], shard1[160];
static struct stat victim_was;

static void victim_intact(const char *when)
{
	struct stat st;

	CHECK(lstat(victim, &st) == 0);
	if (st.st_ino != victim_was.st_ino || st.st_mode != victim_was.st_mode ||
	    st.st_uid != victim_was.st_uid || st.st_size != victim_was.st_size) {
		fprintf(stderr, "%s: the victim changed: mode 0%o uid %u size %lld (was 0%o %u %lld)\n",
			when, st.st_mode & 07777, (unsigned)st.st_uid, (long long)st.st_size,
			victim_was.st_mode & 07777, (unsigned)victim_was.st_uid,
			(long long)victim_was.st_size);
		exit(1);
	}
}

static int is_link(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int plant(void *where)
{
	return symlink(victim, where) ? 10 + errno : 0;
}

static int unplant(void *where)
{
	return unlink(where) ? 10 + errno : 0;
}

int main(void)
{
	RINGBUF_SHARDED_OPTS(o, .mode = 0666);
	struct ringbuf_sharded *s;
	int fd, ret;

	if (geteuid() != 0)
		SKIP("needs root to act as uid %d and as root", TEST_NOBODY);
	snprintf(dir, sizeof(dir), "/tmp/shsymXXXXXX");
	snprintf(vdir, sizeof(vdir), "/tmp/shvicXXXXXX");
	CHECK(mkdtemp(dir) && mkdtemp(vdir));
	CHECK(chown(dir, TEST_NOBODY, TEST_NOBODY) == 0 && chmod(dir, 0755) == 0);
	CHECK(chmod(vdir, 0755) == 0);
	snprintf(victim, sizeof(victim), "%s/victim", vdir);
	snprintf(obj, sizeof(obj), "%s/obj", dir);
	snprintf(shard0, sizeof(shard0), "%s.s0", obj);
	snprintf(shard1, sizeof(shard1), "%s.s1", obj);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "root's secret\n", 14) == 14);
	close(fd);
	CHECK(lstat(victim, &victim_was) == 0);

	/* 1. The header's name is a link to the victim. */
	CHECK_EQ(test_as_nobody(plant, obj), 0);
	errno = 0;
	s = ringbuf_create_sharded(obj, 4 * test_page_size(), 2, &o);
	printf("create over a header link: errno %d (%s)\n", errno, ringbuf_strerror_detail());
	CHECK(s == NULL && errno == EEXIST && *ringbuf_strerror_detail());
	CHECK(is_link(obj) && !exists(shard0) && !exists(shard1));
	victim_intact("create");
	errno = 0;
	s = ringbuf_open_sharded(obj, RINGBUF_CONSUMER);
	printf("open of a header link:     errno %d (%s)\n", errno, ringbuf_strerror_detail());
	CHECK(s == NULL && errno == ELOOP && *ringbuf_strerror_detail());
	victim_intact("open");
	ret = ringbuf_unlink_sharded(obj);
	printf("unlink of a header link:   %d (%s)\n", ret, ringbuf_strerror_detail());
	CHECK_EQ(ret, -ELOOP);
	CHECK(is_link(obj));
	victim_intact("unlink");
	CHECK_EQ(test_as_nobody(unplant, obj), 0);

	/* 2. The second shard's name is a link: create fails there and takes
	 * back the header and the first shard, not the link. */
	CHECK_EQ(test_as_nobody(plant, shard1), 0);
	errno = 0;
	s = ringbuf_create_sharded(obj, 4 * test_page_size(), 2, &o);
	printf("create over a shard link:  errno %d (%s)\n", errno, ringbuf_strerror_detail());
	CHECK(s == NULL && errno == EEXIST && *ringbuf_strerror_detail());
	CHECK(!exists(obj) && !exists(shard0) && is_link(shard1));
	victim_intact("create with a shard link");
	CHECK_EQ(test_as_nobody(unplant, shard1), 0);

	/* 3. A regular file that is no sharded header is not removed. */
	fd = open(obj, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "not a header, and long enough to be read as one......\n", 54) == 54);
	close(fd);
	ret = ringbuf_unlink_sharded(obj);
	printf("unlink of a plain file:    %d (%s)\n", ret, ringbuf_strerror_detail());
	CHECK_EQ(ret, -EBADMSG);
	CHECK(exists(obj) && strstr(ringbuf_strerror_detail(), "not removed"));
	CHECK(unlink(obj) == 0);

	/* Control: a real object is made with its mode and removed whole. */
	s = ringbuf_create_sharded(obj, 4 * test_page_size(), 2, &o);
	CHECK(s);
	{
		struct stat st;

		CHECK(lstat(obj, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0666);
	}
	CHECK(exists(shard0) && exists(shard1));
	ringbuf_sharded_free(s);
	CHECK_EQ(ringbuf_unlink_sharded(obj), 0);
	CHECK(!exists(obj) && !exists(shard0) && !exists(shard1));
	victim_intact("end");

	CHECK(unlink(victim) == 0 && rmdir(vdir) == 0);
	CHECK(rmdir(dir) == 0);
	printf("ok\n");
	return 0;
}
