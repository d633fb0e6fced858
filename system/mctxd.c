/*
 * mctxd: the appliance daemon, one per unit.  Runs in the foreground (as
 * systemd expects), logs to syslog or, with -d, to stderr.  Everything
 * happens in one epoll loop; SIGTERM/SIGINT end it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "system/con_server.h"
#include "system/flash.h"
#include "system/sys_bootstrap.h"
#include "system/sys_log.h"
#include "system/sys_loop.h"
#include "system/sys_netns.h"
#include "system/sys_unit.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mctxd -f BOOTSTRAP [-d] [-t]\n"
		"  -f FILE  libconfig bootstrap file (schemas/mctxd.conf.md)\n"
		"  -d       log to stderr instead of syslog\n"
		"  -t       check the bootstrap file and the flash, then exit\n");
}

static void on_signal(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		mlog(MSG_199011, "mctxd received signal %u, exiting", si.ssi_signo);
		ev_loop_stop(loop);
	}
}

static void console_notice(void *arg, const char *text)
{
	con_server_notice(arg, text);
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	bool debug = false, check = false;
	int opt;

	while ((opt = getopt(argc, argv, "f:dth")) != -1) {
		switch (opt) {
		case 'f': conf = optarg; break;
		case 'd': debug = true; break;
		case 't': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!conf) {
		usage(stderr);
		return 1;
	}

	struct bootstrap boot;
	char err[512];
	if (bootstrap_load(conf, &boot, err, sizeof err) < 0) {
		fprintf(stderr, "mctxd: %s\n", err);
		return 1;
	}
	log_init("mctxd", debug, (enum log_sev)boot.log_level);
	/* Each context holds a handful of descriptors (netlink, nftables,
	 * conntrack, monitoring); systemd's default soft limit of 1024 would
	 * stop a unit at about 165 contexts. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (boot.log_file[0] && log_set_file(boot.log_file) < 0) {
		fprintf(stderr, "mctxd: %s:0: cannot open log_file %s: %s\n",
			conf, boot.log_file, strerror(errno));
		bootstrap_free(&boot);
		return 1;
	}
	mlog(MSG_199002, "mctxd %s starting, unit %s", MCTX_VERSION, boot.unit);

	/* The unit's own namespace: its links are the appliance's ports. */
	if (boot.netns[0]) {
		int fd = netns_open(boot.netns);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "mctxd: %s: cannot enter network namespace "
				"%s: %s\n", conf, boot.netns,
				strerror(fd < 0 ? -fd : errno));
			if (fd >= 0)
				close(fd);
			bootstrap_free(&boot);
			log_close();
			return 1;
		}
		close(fd);
	}

	struct flash *flash;
	if (flash_open(boot.state_dir, &flash, err, sizeof err) < 0) {
		fprintf(stderr, "mctxd: %s\n", err);
		mlog(MSG_900002, "%s", err);
		bootstrap_free(&boot);
		log_close();
		return 1;
	}
	if (check) {
		printf("mctxd: %s and flash %s OK\n", conf, boot.state_dir);
		flash_close(flash);
		bootstrap_free(&boot);
		return 0;
	}

	struct ev_loop *loop = ev_loop_create();
	struct unit *u = loop ? unit_create(&boot, flash, loop, boot.kernel, err,
					    sizeof err) : NULL;
	if (!u) {
		fprintf(stderr, "mctxd: %s\n", loop ? err : "cannot create the event loop");
		ev_loop_destroy(loop);
		flash_close(flash);
		bootstrap_free(&boot);
		log_close();
		return 1;
	}
	unit_load_startup(u, NULL);

	struct con_server *cs;
	if (con_server_create(loop, u, boot.console_socket, boot.console_group,
			      &cs, err, sizeof err) < 0) {
		fprintf(stderr, "mctxd: %s\n", err);
		unit_destroy(u);
		ev_loop_destroy(loop);
		flash_close(flash);
		bootstrap_free(&boot);
		log_close();
		return 1;
	}

	/* failover exec replies and other asynchronous console output. */
	unit_set_notice(u, console_notice, cs);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ev_io_add(loop, sfd, EPOLLIN, on_signal, NULL);

	mlog(MSG_199005, "mctxd ready: console %s, %zu context(s)",
	     boot.console_socket, unit_sysconfig(u)->ncontexts);
	int rc = ev_loop_run(loop);

	unit_set_notice(u, NULL, NULL);
	con_server_destroy(cs);
	unit_destroy(u);
	ev_io_del(loop, sfd);
	close(sfd);
	ev_loop_destroy(loop);
	flash_close(flash);
	bootstrap_free(&boot);
	log_close();
	return rc < 0 ? 1 : 0;
}
