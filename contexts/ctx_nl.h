/*
 * ctx_nl: the few rtnetlink helpers the contexts modules share.
 *
 * libnl reports kernel refusals as its own NLE_* codes, and several errnos
 * fold into one (ENODEV and ENOENT both become NLE_OBJ_NOTFOUND).  The
 * contexts API promises -errno, so requests go through ctx_nl_request(),
 * which keeps the kernel's own errno from the NLMSG_ERROR answer.
 */
#ifndef MCTX_CTX_NL_H
#define MCTX_CTX_NL_H

struct nl_sock;
struct nl_msg;

/* Opens a NETLINK_ROUTE socket in the calling thread's current namespace
 * (the socket stays bound to it); NULL on failure. */
struct nl_sock *ctx_nl_open(void);
void ctx_nl_close(struct nl_sock *sk);

/* Sends MSG (a request; the ACK flag is added), waits for the kernel's
 * answer and returns 0 or the kernel's -errno.  MSG stays the caller's. */
int ctx_nl_request(struct nl_sock *sk, struct nl_msg *msg);

/* Dumps rtnetlink TYPE (RTM_GETLINK, RTM_GETNEIGH...) for FAMILY and calls
 * fn(nlmsghdr payload message, arg) for each answer; fn returns 0 to go
 * on.  Returns 0 or -errno. */
int ctx_nl_dump(struct nl_sock *sk, int type, int family,
		int (*fn)(struct nl_msg *msg, void *arg), void *arg);

/* Best-effort translation of a negative libnl code into -errno. */
int ctx_nl_errno(int nlerr);

#endif
