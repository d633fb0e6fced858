/*
 * ctx_nl: see ctx_nl.h.
 */
#include "contexts/ctx_nl.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

struct nl_sock *ctx_nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return NULL;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	/* Replies for big dumps (250 contexts' links) need room. */
	nl_socket_set_msg_buf_size(sk, 32768);
	return sk;
}

void ctx_nl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int ctx_nl_errno(int nlerr)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_NOMEM, ENOMEM },     { NLE_EXIST, EEXIST },
		{ NLE_INVAL, EINVAL },     { NLE_RANGE, ERANGE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NODEV, ENODEV },
		{ NLE_PERM, EPERM },       { NLE_BUSY, EBUSY },
		{ NLE_AGAIN, EAGAIN },     { NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_MSGSIZE, EMSGSIZE }, { NLE_NOACCESS, EACCES },
		{ NLE_INTR, EINTR },       { NLE_BAD_SOCK, EBADF },
		{ NLE_MSG_TRUNC, EMSGSIZE }, { NLE_DUMP_INTR, EINTR },
	};
	if (nlerr >= 0)
		return nlerr;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].nle == -nlerr)
			return -map[i].err;
	return -EIO;
}

/* A private copy of the socket's callbacks, so a request's handlers never
 * leak into the socket's defaults. */
static struct nl_cb *clone_socket_cb(struct nl_sock *sk)
{
	struct nl_cb *shared = nl_socket_get_cb(sk);   /* takes a reference */
	struct nl_cb *cb = nl_cb_clone(shared);
	nl_cb_put(shared);
	return cb;
}

struct request_result {
	int kernel_err;   /* the errno in NLMSG_ERROR, 0 for an ACK */
};

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct request_result *res = arg;
	res->kernel_err = e->error;   /* already negative */
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	return NL_STOP;
}

int ctx_nl_request(struct nl_sock *sk, struct nl_msg *msg)
{
	struct request_result res = { 0 };
	struct nl_cb *cb = clone_socket_cb(sk);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &res);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, NULL);

	int rc = nl_send_auto(sk, msg);
	if (rc >= 0)
		rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (res.kernel_err)
		return res.kernel_err;
	return rc < 0 ? ctx_nl_errno(rc) : 0;
}

struct dump_state {
	int (*fn)(struct nl_msg *msg, void *arg);
	void *arg;
	int err;
};

static int on_dump_valid(struct nl_msg *msg, void *arg)
{
	struct dump_state *st = arg;
	if (st->err)
		return NL_SKIP;
	st->err = st->fn(msg, st->arg);
	return NL_OK;
}

int ctx_nl_dump(struct nl_sock *sk, int type, int family,
		int (*fn)(struct nl_msg *msg, void *arg), void *arg)
{
	struct dump_state st = { fn, arg, 0 };
	/* rtgenmsg is the family-only header every GET* dump accepts. */
	struct rtgenmsg hdr = { .rtgen_family = (unsigned char)family };
	int rc = nl_send_simple(sk, type, NLM_F_DUMP, &hdr, sizeof hdr);
	if (rc < 0)
		return ctx_nl_errno(rc);
	struct nl_cb *cb = clone_socket_cb(sk);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_dump_valid, &st);
	rc = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (rc < 0)
		return ctx_nl_errno(rc);
	return st.err;
}
