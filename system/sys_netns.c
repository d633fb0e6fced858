#include "system/sys_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int netns_path(const char *name, char *path, size_t len)
{
	if (!name || !*name || strchr(name, '/') || strlen(name) > NAME_MAX)
		return -EINVAL;
	int n = snprintf(path, len, "%s/%s", NETNS_RUN_DIR, name);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	int err = netns_path(name, path, sizeof path);
	if (err)
		return err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	if (netns_path(name, path, sizeof path))
		return 0;
	return stat(path, &st) == 0;
}

int netns_enter(const char *name, struct netns_saved *saved)
{
	saved->orig_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved->orig_fd < 0)
		return -errno;
	int fd = netns_open(name);
	if (fd < 0) {
		close(saved->orig_fd);
		saved->orig_fd = -1;
		return fd;
	}
	int rc = setns(fd, CLONE_NEWNET);
	int err = rc < 0 ? -errno : 0;
	close(fd);
	if (err) {
		close(saved->orig_fd);
		saved->orig_fd = -1;
	}
	return err;
}

void netns_leave(struct netns_saved *saved)
{
	if (saved->orig_fd < 0)
		return;
	/* Failing to return would leave the daemon in a tenant's namespace;
	 * setns on a namespace fd we hold cannot fail short of a kernel bug. */
	if (setns(saved->orig_fd, CLONE_NEWNET) < 0)
		perror("setns(back)");
	close(saved->orig_fd);
	saved->orig_fd = -1;
}

/* Makes NETNS_RUN_DIR a shared mount point, as iproute2 does, so bind
 * mounts made here are seen by every mount namespace (ip netns exec). */
static int prepare_run_dir(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC,
		  NULL) < 0)
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

int netns_create(const char *name)
{
	char path[PATH_MAX];
	int err = netns_path(name, path, sizeof path);
	if (err)
		return err;
	err = prepare_run_dir();
	if (err)
		return err;
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);

	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		goto out;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		err = -errno;
	if (setns(orig, CLONE_NEWNET) < 0 && !err)
		err = -errno;
out:
	close(orig);
	if (err)
		unlink(path);
	return err;
}

int netns_delete(const char *name)
{
	char path[PATH_MAX];
	int err = netns_path(name, path, sizeof path);
	if (err)
		return err;
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0)
		return -errno;
	return 0;
}
