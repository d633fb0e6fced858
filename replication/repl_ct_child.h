/*
 * repl_ct_child: one ctnetlink request (a table dump or a flush) run by a
 * forked child process, its answers streamed back through a pipe.
 *
 * Why: the conntrack hash is global to the kernel (every namespace's
 * entries in one table of up to a million buckets), and a dump or flush of
 * one namespace's table walks all of it inside a single recvmsg/sendmsg:
 * 180-440 ms with a 1M-bucket hash even for an empty table.  Made from the
 * daemon's one event loop, that call stops hellos and hold timers for as
 * long.  The child makes the blocking calls instead; the parent reads the
 * answers non-blocking, a message at a time.  No threads: a child shares
 * nothing with the daemon but the netlink socket it inherited (already
 * bound to the context's namespace) and its pipe.
 *
 * The child closes every other descriptor it inherited (the failover link,
 * consoles: a copy kept open would hide their close from the peer), writes
 * exactly the bytes the kernel returned (netlink messages carry their own
 * lengths), and ends with _exit once the request's NLMSG_DONE or
 * NLMSG_ERROR is written.  A failure of its own (send or receive) reaches
 * the parent as an NLMSG_ERROR for the request, like a kernel error.
 *
 * Children are reaped by pid (waitpid on that pid only, as contexts/ctx_fw.c
 * does): the daemon's SIGCHLD stays at its default and its signalfd is not
 * involved.
 */
#ifndef MCTX_REPL_CT_CHILD_H
#define MCTX_REPL_CT_CHILD_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct repl_ct_child;

/* Forks a child that sends REQ (LEN bytes, a request with sequence number
 * SEQ) on the netlink socket NL_FD and streams back every answer until the
 * request's NLMSG_DONE or NLMSG_ERROR.  NL_FD must be blocking; it stays
 * the caller's (the caller may close its copy at once).  0 or -errno
 * (pipe or fork failed). */
int repl_ct_child_start(int nl_fd, const void *req, size_t len, uint32_t seq,
			struct repl_ct_child **out);

/* The pipe to poll (EPOLLIN) while repl_ct_child_next says 0. */
int repl_ct_child_fd(const struct repl_ct_child *ch);

/* The child's process id (logs, tests). */
pid_t repl_ct_child_pid(const struct repl_ct_child *ch);

/* The next answer to the request: 1 with *MSG set (valid until the next
 * call; its nlmsg_len fits), 0 when nothing is available yet (poll the
 * fd), -EPIPE when the child ended before the request's last answer
 * (killed, crashed, could not write; *STATUS then holds its wait status,
 * or -1 if unknown), -EBADMSG for a malformed stream, or another -errno
 * reading the pipe.  After a negative return the child is reaped. */
int repl_ct_child_next(struct repl_ct_child *ch, const struct nlmsghdr **msg,
		       int *status);

/* Kills the child if it still runs, closes the pipe and frees CH.  Returns
 * 0 if the child was reaped, or its pid if it has not exited yet: the
 * caller passes that to repl_ct_child_reap later (a killed child inside a
 * hash walk dies only when the walk returns). */
pid_t repl_ct_child_stop(struct repl_ct_child *ch);

/* Reaps PID if it has exited (BLOCK: waits for it).  True once reaped (or
 * not our child any more). */
bool repl_ct_child_reap(pid_t pid, bool block);

#endif
