/*
 * repl_ct_child: a ctnetlink request run by a forked child (see the
 * header for why).  The parent side is a reassembly buffer over a
 * non-blocking pipe; the child side is a blocking send + recv loop.
 */
#include "replication/repl_ct_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_RECV_LEN (256 * 1024)   /* one recv: one kernel skb or more */
#define PARENT_BUF_LEN (256 * 1024)   /* reassembly: far above a message */
#define PIPE_BYTES (1024 * 1024)      /* fewer wake-ups for a big dump */

struct repl_ct_child {
	pid_t pid;                    /* 0 once reaped */
	int fd;                       /* read end, non-blocking */
	uint32_t seq;
	uint8_t *buf;
	size_t len, off;              /* unread bytes are [off, len) */
	bool ended;                   /* the request's last answer was read */
};

/* ---- child ----------------------------------------------------------- */

static bool write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Our own failure, told as the kernel would tell its own. */
static void write_error(int out, uint32_t seq, int err)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} m;
	memset(&m, 0, sizeof m);
	m.h.nlmsg_len = sizeof m;
	m.h.nlmsg_type = NLMSG_ERROR;
	m.h.nlmsg_seq = seq;
	m.e.error = -err;
	(void)write_all(out, (const uint8_t *)&m, sizeof m);
}

/* Closes every descriptor above stderr but KEEP1 and KEEP2. */
static void close_others(int keep1, int keep2)
{
	unsigned lo = (unsigned)(keep1 < keep2 ? keep1 : keep2);
	unsigned hi = (unsigned)(keep1 < keep2 ? keep2 : keep1);
	if (lo > 3)
		syscall(SYS_close_range, 3u, lo - 1, 0u);
	if (hi > lo + 1)
		syscall(SYS_close_range, lo + 1, hi - 1, 0u);
	syscall(SYS_close_range, hi + 1, ~0u, 0u);
}

/* True if the answer at P (LEN bytes) holds the request's last message. */
static bool holds_end(const uint8_t *p, size_t len, uint32_t seq)
{
	for (const struct nlmsghdr *h = (const struct nlmsghdr *)p;
	     NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
		if (h->nlmsg_seq == seq && (h->nlmsg_type == NLMSG_DONE ||
					    h->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

static void child_main(int nl_fd, int out, const void *req, size_t len,
		       uint32_t seq)
{
	close_others(nl_fd, out);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t sent;
	do
		sent = sendto(nl_fd, req, len, 0, (struct sockaddr *)&sa, sizeof sa);
	while (sent < 0 && errno == EINTR);
	if (sent != (ssize_t)len) {
		write_error(out, seq, sent < 0 ? errno : EIO);
		_exit(1);
	}
	uint8_t *b = malloc(CHILD_RECV_LEN);
	if (!b) {
		write_error(out, seq, ENOMEM);
		_exit(1);
	}
	for (;;) {
		ssize_t n = recv(nl_fd, b, CHILD_RECV_LEN, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			write_error(out, seq, errno);
			_exit(1);
		}
		if (!write_all(out, b, (size_t)n))
			_exit(2);   /* the parent went away */
		if (holds_end(b, (size_t)n, seq))
			_exit(0);
	}
}

/* ---- parent ---------------------------------------------------------- */

int repl_ct_child_start(int nl_fd, const void *req, size_t len, uint32_t seq,
			struct repl_ct_child **out)
{
	*out = NULL;
	struct repl_ct_child *ch = calloc(1, sizeof *ch);
	if (!ch)
		return -ENOMEM;
	ch->buf = malloc(PARENT_BUF_LEN);
	int p[2];
	if (!ch->buf || pipe2(p, O_CLOEXEC) < 0) {
		int err = ch->buf ? -errno : -ENOMEM;
		free(ch->buf);
		free(ch);
		return err;
	}
	/* Best effort: the default 64 kB works, only with more wake-ups. */
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_main(nl_fd, p[1], req, len, seq);
	}
	int err = pid < 0 ? -errno : 0;
	close(p[1]);
	if (err) {
		close(p[0]);
		free(ch->buf);
		free(ch);
		return err;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	ch->pid = pid;
	ch->fd = p[0];
	ch->seq = seq;
	*out = ch;
	return 0;
}

int repl_ct_child_fd(const struct repl_ct_child *ch)
{
	return ch->fd;
}

pid_t repl_ct_child_pid(const struct repl_ct_child *ch)
{
	return ch->pid;
}

bool repl_ct_child_reap(pid_t pid, bool block)
{
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	return r != 0;   /* reaped, or ECHILD: nothing left to reap */
}

/* The child ended early: reaped at once (it closed its end, so it is
 * exiting), its status kept for the caller's log. */
static int child_failed(struct repl_ct_child *ch, int *status)
{
	*status = -1;
	if (ch->pid > 0) {
		int st;
		pid_t r;
		while ((r = waitpid(ch->pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (r == ch->pid)
			*status = st;
		ch->pid = 0;
	}
	return -EPIPE;
}

/* Next whole message in the buffer, skipping other requests' answers;
 * 1, 0 (need more bytes) or -EBADMSG. */
static int take(struct repl_ct_child *ch, const struct nlmsghdr **msg)
{
	while (ch->len - ch->off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h =
			(const struct nlmsghdr *)(ch->buf + ch->off);
		size_t left = ch->len - ch->off;
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > PARENT_BUF_LEN)
			return -EBADMSG;
		if (h->nlmsg_len > left)
			return 0;
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		ch->off += step < left ? step : left;
		if (h->nlmsg_seq != ch->seq)
			continue;
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
			ch->ended = true;
		*msg = h;
		return 1;
	}
	return 0;
}

int repl_ct_child_next(struct repl_ct_child *ch, const struct nlmsghdr **msg,
		       int *status)
{
	*msg = NULL;
	*status = -1;
	if (ch->ended)
		return 0;   /* nothing follows the last answer */
	for (;;) {
		int r = take(ch, msg);
		if (r)
			return r;
		/* Keep the partial message, read more behind it. */
		memmove(ch->buf, ch->buf + ch->off, ch->len - ch->off);
		ch->len -= ch->off;
		ch->off = 0;
		ssize_t n = read(ch->fd, ch->buf + ch->len, PARENT_BUF_LEN - ch->len);
		if (n > 0) {
			ch->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return child_failed(ch, status);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		int err = -errno;
		child_failed(ch, status);
		return err;
	}
}

pid_t repl_ct_child_stop(struct repl_ct_child *ch)
{
	if (!ch)
		return 0;
	pid_t pid = ch->pid;
	if (pid > 0) {
		/* Done or not, it has nothing more to do for us. */
		if (!ch->ended)
			kill(pid, SIGKILL);
		if (repl_ct_child_reap(pid, false))
			pid = 0;
	}
	close(ch->fd);
	free(ch->buf);
	free(ch);
	return pid;
}
