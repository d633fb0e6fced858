/*
 * fo_link_tcp: the TCP and MPTCP failover link transports.
 *
 * One connection per channel, so a hello never waits behind megabytes of
 * state sync in a shared socket buffer.  The secondary connects all
 * channels and starts each stream with an 8-byte preamble
 * {magic "MCFL", version, channel, sender role, 0}; the primary accepts
 * only from the mate's configured addresses and files each connection
 * under the channel its preamble names.  After the preamble a stream is
 * a sequence of fo_wire frames (the header carries channel and length).
 * Any broken channel takes the whole link down; the secondary reconnects.
 *
 * Receiving never holds the loop: a turn delivers frames for at most
 * FO_LINK_RX_TIME_BUDGET_US (fo_link_priv.h), keeps the rest in the
 * channel's buffer, and a timer on the
 * next turn goes on; the socket is not read again until that buffer is
 * delivered, so a slow receiver pushes back through TCP instead of
 * growing.  The control channel (hellos) is read first on every turn,
 * before any other channel is served.
 */
#include "failover/fo_link.h"
#include "failover/fo_link_priv.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "system/sys_log.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define PREAMBLE_LEN 8
#define PREAMBLE_MAGIC "MCFL"
#define PENDING_MAX 6
#define RX_BUDGET (256u * 1024u)   /* bytes read per event: keeps the loop fair */
#define RX_MIN_ROOM (64u * 1024u)

enum conn_state { CS_CLOSED, CS_CONNECTING, CS_PREAMBLE, CS_UP };

struct conn {
	int fd;
	enum conn_state st;
	uint32_t events;        /* registered with the loop; 0 = not */
	uint8_t *rx;
	size_t rx_len, rx_cap;
};

struct fo_transport {
	const struct fo_transport_ops *ops;
	struct ev_loop *loop;
	struct fo_link_config cfg;
	char netns[NAME_MAX + 1];
	struct fo_link_handlers h;
	void *arg;
	int proto;                               /* IPPROTO_TCP or _MPTCP */
	int listen_fd[FO_LINK_ADDRS_MAX];
	struct conn ch[FO_CH_MAX];
	struct conn pending[PENDING_MAX];        /* accepted, preamble not yet read */
	struct fo_txq q[FO_CH_MAX];
	struct ev_timer *retry;
	struct ev_timer *rx_resume;              /* delivery left for a later turn */
	unsigned addr_idx;                       /* which mate address to dial */
	bool up;
	uint64_t gen;                            /* bumped when the link goes down */
	struct fo_link_stats st;
};

static void io_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct fo_transport *t = arg;
	t->ops->on_event(t, fd, events);
}

static void conn_init(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

static int watch(struct fo_transport *t, struct conn *c, uint32_t events)
{
	int rc = 0;
	if (c->events == events)
		return 0;
	rc = c->events ? ev_io_mod(t->loop, c->fd, events)
		       : ev_io_add(t->loop, c->fd, events, io_cb, t);
	if (rc == 0)
		c->events = events;
	return rc;
}

static void conn_close(struct fo_transport *t, struct conn *c)
{
	if (c->fd >= 0) {
		if (c->events)
			ev_io_del(t->loop, c->fd);
		close(c->fd);
	}
	free(c->rx);
	conn_init(c);
}

static void link_down(struct fo_transport *t, const char *why)
{
	bool was_up = t->up;

	t->gen++;
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		conn_close(t, &t->ch[ch]);
		fo_txq_clear(&t->q[ch]);
	}
	t->up = false;
	if (t->cfg.role == FO_WIRE_ROLE_SECONDARY && t->retry)
		ev_timer_start(t->retry, (uint64_t)t->cfg.reconnect_ms * 1000u);
	if (was_up) {
		t->st.disconnects++;
		mlog(MSG_920103, "failover link (%s) down: %s", t->ops->name, why);
		if (t->h.on_state)
			t->h.on_state(t->arg, false);
	}
}

static void check_up(struct fo_transport *t)
{
	if (t->up)
		return;
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		if (t->ch[ch].st != CS_UP)
			return;
	t->up = true;
	t->st.connects++;
	mlog(MSG_920102, "failover link (%s) up: %d channels", t->ops->name,
	     FO_CH_MAX);
	if (t->h.on_state)
		t->h.on_state(t->arg, true);
}

/* Writes what the kernel takes; false when the link went down. */
static bool flush(struct fo_transport *t, enum fo_channel ch)
{
	struct conn *c = &t->ch[ch];
	struct fo_txq *q = &t->q[ch];
	uint64_t gen = t->gen;

	while (fo_txq_pending(q)) {
		ssize_t n = send(c->fd, fo_txq_head(q), fo_txq_pending(q),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			fo_txq_advance(q, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		link_down(t, n < 0 ? strerror(errno) : "send returned 0");
		return false;
	}
	if (watch(t, c, EPOLLIN | (fo_txq_pending(q) ? EPOLLOUT : 0)) < 0) {
		link_down(t, "epoll registration failed");
		return false;
	}
	if (fo_txq_take_writable(q) && t->h.on_writable)
		t->h.on_writable(t->arg, ch);
	return gen == t->gen;
}

static void set_nodelay(int fd)
{
	int one = 1;
	/* Best effort: MPTCP sockets of older kernels refuse some options. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- secondary: connect every channel ---- */

static int connect_channel(struct fo_transport *t, enum fo_channel ch)
{
	struct sockaddr_storage local = t->cfg.local[t->addr_idx];
	struct sockaddr_storage peer = t->cfg.peer[t->addr_idx];
	struct conn *c = &t->ch[ch];
	uint8_t pre[PREAMBLE_LEN] = { 'M', 'C', 'F', 'L', FO_WIRE_VERSION,
				      (uint8_t)ch, (uint8_t)t->cfg.role, 0 };
	int fd;

	fd = fo_link_socket(&t->cfg, peer.ss_family, SOCK_STREAM, t->proto);
	if (fd < 0)
		return fd;
	c->fd = fd;
	set_nodelay(fd);
	fo_link_set_port(&local, 0);
	fo_link_set_port(&peer, t->cfg.port);
	if (bind(fd, (struct sockaddr *)&local, fo_link_addr_len(&local)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&peer, fo_link_addr_len(&peer)) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	c->st = CS_CONNECTING;
	fo_txq_push(&t->q[ch], pre, sizeof pre, false);
	return watch(t, c, EPOLLOUT);
}

static void connect_all(struct fo_transport *t)
{
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		int rc = connect_channel(t, ch);
		if (rc < 0) {
			mlog(MSG_920104, "failover link (%s): connect %s: %s",
			     t->ops->name, fo_channel_name(ch), strerror(-rc));
			link_down(t, "connect failed");
			return;
		}
	}
}

static void retry_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct fo_transport *t = arg;
	if (t->up)
		return;
	link_down(t, "retry");   /* closes half-open channels, re-arms */
	if (t->cfg.n_addrs > 1)
		t->addr_idx = (t->addr_idx + 1) % t->cfg.n_addrs;
	connect_all(t);
}

static void connected(struct fo_transport *t, enum fo_channel ch)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(t->ch[ch].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		/* The mate is not listening yet: normal while it boots. */
		link_down(t, strerror(err));
		return;
	}
	t->ch[ch].st = CS_UP;
	if (flush(t, ch))
		check_up(t);
}

/* ---- primary: accept, then read the preamble ---- */

static void accept_all(struct fo_transport *t, int lfd)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t len = sizeof from;
		int fd = accept4(lfd, (struct sockaddr *)&from, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or an aborted connection */
		if (!fo_link_addr_is_peer(&t->cfg, &from)) {
			mlog(MSG_920104, "failover link (%s): refused a "
			     "connection from an address that is not the mate's",
			     t->ops->name);
			close(fd);
			continue;
		}
		struct conn *slot = NULL;
		for (int i = 0; i < PENDING_MAX && !slot; i++)
			if (t->pending[i].fd < 0)
				slot = &t->pending[i];
		if (!slot) {
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->st = CS_PREAMBLE;
		set_nodelay(fd);
		slot->rx = malloc(PREAMBLE_LEN);
		if (!slot->rx || watch(t, slot, EPOLLIN) < 0)
			conn_close(t, slot);
	}
}

static void read_preamble(struct fo_transport *t, struct conn *p)
{
	ssize_t n = recv(p->fd, p->rx + p->rx_len, PREAMBLE_LEN - p->rx_len,
			 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(t, p);
		return;
	}
	p->rx_len += (size_t)n;
	if (p->rx_len < PREAMBLE_LEN)
		return;
	uint8_t ch = p->rx[5];
	if (memcmp(p->rx, PREAMBLE_MAGIC, 4) || p->rx[4] != FO_WIRE_VERSION ||
	    ch >= FO_CH_MAX || p->rx[6] != FO_WIRE_ROLE_SECONDARY) {
		t->st.bad_frames++;
		mlog(MSG_920105, "failover link (%s): bad preamble from the "
		     "mate (version %u, channel %u, role %u)", t->ops->name,
		     p->rx[4], ch, p->rx[6]);
		conn_close(t, p);
		return;
	}
	/* A channel we already have: the mate restarted its side. */
	if (t->ch[ch].fd >= 0)
		link_down(t, "mate reconnected");
	t->ch[ch] = *p;
	t->ch[ch].st = CS_UP;
	t->ch[ch].rx_len = 0;
	conn_init(p);
	check_up(t);
}

/* ---- data ---- */

static bool rx_room(struct conn *c, size_t need)
{
	if (c->rx_cap - c->rx_len >= need)
		return true;
	size_t cap = c->rx_cap ? c->rx_cap : 2 * RX_MIN_ROOM;
	while (cap - c->rx_len < need)
		cap *= 2;
	uint8_t *p = realloc(c->rx, cap);
	if (!p)
		return false;
	c->rx = p;
	c->rx_cap = cap;
	return true;
}

/* Complete frames wait in c->rx (delivery ran out of time). */
static bool rx_backlog(const struct conn *c, enum fo_channel ch)
{
	size_t flen;
	return c->st == CS_UP && c->rx_len &&
	       fo_link_frame_len(c->rx, c->rx_len, ch, &flen) == 0 &&
	       flen <= c->rx_len;
}

/* Delivers the complete frames in c->rx until the turn's time is used
 * up (the rest stays, *more is set); false when the link went down. */
static bool deliver(struct fo_transport *t, enum fo_channel ch,
		    uint64_t t0, bool *more)
{
	struct conn *c = &t->ch[ch];
	struct fo_link_chan_stats *s = &t->st.ch[ch];
	uint64_t gen = t->gen;
	size_t off = 0, frames = 0, flen, pending_len = 0;
	int rc;

	*more = false;

	/* Count first: "Recv Q" shows what one read made ready. */
	while ((rc = fo_link_frame_len(c->rx + off, c->rx_len - off, ch,
				       &flen)) == 0 && flen <= c->rx_len - off) {
		off += flen;
		frames++;
	}
	/* The first loop stopped at a frame whose header is in but whose
	 * body is not: remember its length, the loop below reuses flen. */
	if (rc == 0)
		pending_len = flen;
	if (rc == -EBADMSG) {
		t->st.bad_frames++;
		mlog(MSG_920105, "failover link (%s): malformed frame on the "
		     "%s channel", t->ops->name, fo_channel_name(ch));
		link_down(t, "malformed frame");
		return false;
	}
	s->recv.cur = frames;
	if (frames > s->recv.max)
		s->recv.max = frames;
	for (off = 0; frames; frames--) {
		if (off && ev_now_us() - t0 >= FO_LINK_RX_TIME_BUDGET_US) {
			*more = true;
			break;
		}
		fo_link_frame_len(c->rx + off, c->rx_len - off, ch, &flen);
		s->recv.total++;
		s->recv.cur--;
		t->h.on_frame(t->arg, ch, c->rx + off, flen);
		if (gen != t->gen)
			return false;
		off += flen;
	}
	memmove(c->rx, c->rx + off, c->rx_len - off);
	c->rx_len -= off;
	/* Make room for the whole next frame once its header is in. */
	if (!*more && rc == 0 && pending_len > c->rx_len &&
	    !rx_room(c, pending_len - c->rx_len)) {
		link_down(t, "out of memory");
		return false;
	}
	return true;
}

/* Reads what the socket holds (up to RX_BUDGET) and delivers it, within
 * the turn's time; a backlog from an earlier turn goes first and the
 * socket waits for it.  False when the link went down. */
static bool read_channel(struct fo_transport *t, enum fo_channel ch,
			 uint64_t t0)
{
	struct conn *c = &t->ch[ch];
	size_t got = 0;
	bool more;

	if (rx_backlog(c, ch)) {
		if (!deliver(t, ch, t0, &more))
			return false;
		if (more || rx_backlog(c, ch)) {
			ev_timer_start(t->rx_resume, 1);
			return true;
		}
	}
	while (got < RX_BUDGET) {
		if (!rx_room(c, RX_MIN_ROOM)) {
			link_down(t, "out of memory");
			return false;
		}
		ssize_t n = recv(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len,
				 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			link_down(t, n == 0 ? "mate closed the connection"
					    : strerror(errno));
			return false;
		}
		c->rx_len += (size_t)n;
		t->st.ch[ch].bytes_in += (size_t)n;
		got += (size_t)n;
	}
	if (!deliver(t, ch, t0, &more))
		return false;
	if (more)
		ev_timer_start(t->rx_resume, 1);
	return true;
}

/* Hellos first: whatever else a turn serves, the control channel's
 * frames are taken before it.  False when the link went down. */
static bool read_control_first(struct fo_transport *t)
{
	if (t->ch[FO_CH_CONTROL].st != CS_UP)
		return true;
	return read_channel(t, FO_CH_CONTROL, ev_now_us());
}

/* A later turn of a delivery that ran out of time (a timer 1 us away
 * runs after the descriptors that were ready: hellos, the console). */
static void rx_resume_cb(struct ev_loop *loop, struct ev_timer *timer,
			 void *arg)
{
	struct fo_transport *t = arg;
	if (!read_control_first(t))
		return;
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		if (!rx_backlog(&t->ch[ch], ch))
			continue;
		if (!read_channel(t, ch, ev_now_us()))
			return;
	}
}

static void tcp_on_event(struct fo_transport *t, int fd, uint32_t events)
{
	for (int i = 0; i < FO_LINK_ADDRS_MAX; i++)
		if (fd == t->listen_fd[i]) {
			accept_all(t, fd);
			return;
		}
	for (int i = 0; i < PENDING_MAX; i++)
		if (fd == t->pending[i].fd) {
			read_preamble(t, &t->pending[i]);
			return;
		}
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		struct conn *c = &t->ch[ch];
		if (fd != c->fd)
			continue;
		if (c->st == CS_CONNECTING) {
			connected(t, ch);
			return;
		}
		uint64_t gen = t->gen;
		if (ch != FO_CH_CONTROL && !read_control_first(t))
			return;
		if (c->st == CS_UP && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			read_channel(t, ch, ev_now_us());
		if (gen == t->gen && (events & EPOLLOUT))
			flush(t, ch);
		return;
	}
}

static int tcp_send(struct fo_transport *t, enum fo_channel ch,
		    const void *frame, size_t len)
{
	bool was_empty = fo_txq_pending(&t->q[ch]) == 0;
	int rc = fo_txq_send(&t->q[ch], t->up, t->ops->name, ch, frame, len);
	if (rc < 0)
		return rc;
	if (was_empty && !flush(t, ch))
		return -ENOTCONN;
	return 0;
}

/* ---- open / close ---- */

static int listen_on(struct fo_transport *t, unsigned i)
{
	struct sockaddr_storage a = t->cfg.local[i];
	int one = 1, fd;

	fd = fo_link_socket(&t->cfg, a.ss_family, SOCK_STREAM, t->proto);
	if (fd < 0)
		return fd;
	t->listen_fd[i] = fd;
	fo_link_set_port(&a, t->cfg.port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&a, fo_link_addr_len(&a)) < 0 ||
	    listen(fd, 16) < 0)
		return -errno;
	return ev_io_add(t->loop, fd, EPOLLIN, io_cb, t);
}

static void tcp_close(struct fo_transport *t)
{
	if (!t)
		return;
	for (int i = 0; i < FO_LINK_ADDRS_MAX; i++)
		if (t->listen_fd[i] >= 0) {
			ev_io_del(t->loop, t->listen_fd[i]);
			close(t->listen_fd[i]);
		}
	for (int i = 0; i < PENDING_MAX; i++)
		conn_close(t, &t->pending[i]);
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		conn_close(t, &t->ch[ch]);
		fo_txq_free(&t->q[ch]);
	}
	if (t->retry)
		ev_timer_destroy(t->retry);
	if (t->rx_resume)
		ev_timer_destroy(t->rx_resume);
	free(t);
}

static int open_common(struct fo_transport **out, struct ev_loop *loop,
		       const struct fo_link_config *cfg,
		       const struct fo_link_handlers *h, void *arg,
		       const struct fo_transport_ops *ops, int proto)
{
	struct fo_transport *t = calloc(1, sizeof *t);
	int rc = 0;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->loop = loop;
	t->cfg = *cfg;
	if (cfg->netns) {
		/* Reconnects create sockets later: keep our own copy. */
		if (strlen(cfg->netns) >= sizeof t->netns) {
			free(t);
			return -EINVAL;
		}
		strcpy(t->netns, cfg->netns);
		t->cfg.netns = t->netns;
	}
	if (!t->cfg.reconnect_ms)
		t->cfg.reconnect_ms = 1000;
	t->h = *h;
	t->arg = arg;
	t->proto = proto;
	for (int i = 0; i < FO_LINK_ADDRS_MAX; i++)
		t->listen_fd[i] = -1;
	for (int i = 0; i < PENDING_MAX; i++)
		conn_init(&t->pending[i]);
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		conn_init(&t->ch[ch]);
		fo_txq_init(&t->q[ch], fo_link_queue_limit(cfg, ch), &t->st.ch[ch]);
	}
	t->rx_resume = ev_timer_create(loop, rx_resume_cb, t);
	if (!t->rx_resume)
		rc = -ENOMEM;
	else if (cfg->role == FO_WIRE_ROLE_PRIMARY) {
		for (unsigned i = 0; i < cfg->n_addrs && rc == 0; i++)
			rc = listen_on(t, i);
	} else {
		t->retry = ev_timer_create(loop, retry_cb, t);
		if (!t->retry)
			rc = -ENOMEM;
		else
			connect_all(t);
	}
	if (rc < 0) {
		tcp_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

static size_t tcp_get_fds(const struct fo_transport *t, int *fds, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < FO_LINK_ADDRS_MAX; i++)
		if (t->listen_fd[i] >= 0 && n < max)
			fds[n++] = t->listen_fd[i];
	for (int i = 0; i < PENDING_MAX; i++)
		if (t->pending[i].fd >= 0 && n < max)
			fds[n++] = t->pending[i].fd;
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		if (t->ch[ch].fd >= 0 && n < max)
			fds[n++] = t->ch[ch].fd;
	return n;
}

static void tcp_stats(const struct fo_transport *t, struct fo_link_stats *out)
{
	*out = t->st;
	out->up = t->up;
}

static int probe_proto(const struct fo_link_config *cfg, int proto)
{
	int fd = fo_link_socket(cfg, cfg->local[0].ss_family, SOCK_STREAM, proto);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int tcp_probe(const struct fo_link_config *cfg)
{
	return probe_proto(cfg, IPPROTO_TCP);
}

static int mptcp_probe(const struct fo_link_config *cfg)
{
	return probe_proto(cfg, IPPROTO_MPTCP);
}

static int tcp_open(struct fo_transport **out, struct ev_loop *loop,
		    const struct fo_link_config *cfg,
		    const struct fo_link_handlers *h, void *arg)
{
	return open_common(out, loop, cfg, h, arg, fo_transport_tcp(),
			   IPPROTO_TCP);
}

static int mptcp_open(struct fo_transport **out, struct ev_loop *loop,
		      const struct fo_link_config *cfg,
		      const struct fo_link_handlers *h, void *arg)
{
	return open_common(out, loop, cfg, h, arg, fo_transport_mptcp(),
			   IPPROTO_MPTCP);
}

static const struct fo_transport_ops tcp_ops = {
	.name = "tcp", .probe = tcp_probe, .open = tcp_open,
	.close = tcp_close, .send = tcp_send, .on_event = tcp_on_event,
	.get_fds = tcp_get_fds, .stats = tcp_stats,
};

static const struct fo_transport_ops mptcp_ops = {
	.name = "mptcp", .probe = mptcp_probe, .open = mptcp_open,
	.close = tcp_close, .send = tcp_send, .on_event = tcp_on_event,
	.get_fds = tcp_get_fds, .stats = tcp_stats,
};

const struct fo_transport_ops *fo_transport_tcp(void) { return &tcp_ops; }
const struct fo_transport_ops *fo_transport_mptcp(void) { return &mptcp_ops; }
