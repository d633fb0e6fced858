/*
 * fo_link_sctp: the SCTP failover link transport (libsctp).
 *
 * One one-to-one style association, multi-homed: both units bind the LAN
 * failover address and, when configured, the stateful link address
 * (sctp_bindx), and the secondary dials all of the mate's (sctp_connectx),
 * so losing one path keeps the link.  Stream N carries channel N; the
 * kernel's priority stream scheduler (SCTP_SS_PRIO) sends stream 0
 * (control/hello) first, and our queues drain control first too.
 * Retransmission follows IOS's inter-device SCTP knobs: `retransmit-timeout
 * min max` (RTO, default 300/600 ms), `path-retransmit` (per path, 4) and
 * `assoc-retransmit` (whole association, 4).
 */
#include "failover/fo_link.h"
#include "failover/fo_link_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "system/sys_log.h"

#define IOS_RTO_MIN_MS 300
#define IOS_RTO_MAX_MS 600
#define IOS_PATH_RETRANS 4
#define IOS_ASSOC_RETRANS 4
#define SCTP_PPID FO_WIRE_MAGIC
/* Socket buffers: room for a few maximal frames, and no more, because
 * the receive queue is FIFO across streams: a hello arriving behind
 * buffered bulk data waits until that is read. */
#define SCTP_SNDBUF (1 << 20)

enum assoc_state { AS_CLOSED, AS_CONNECTING, AS_UP };

struct fo_transport {
	const struct fo_transport_ops *ops;
	struct ev_loop *loop;
	struct fo_link_config cfg;
	char netns[NAME_MAX + 1];
	struct fo_link_handlers h;
	void *arg;
	int listen_fd;
	int fd;
	enum assoc_state as;
	uint32_t events;
	uint8_t *rx;            /* one message, possibly delivered in parts */
	size_t rx_len, rx_cap;
	struct fo_txq q[FO_CH_MAX];
	struct ev_timer *retry;
	bool up;
	uint64_t gen;
	struct fo_link_stats st;
};

static void io_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct fo_transport *t = arg;
	t->ops->on_event(t, fd, events);
}

static int watch(struct fo_transport *t, uint32_t events)
{
	int rc;
	if (t->events == events)
		return 0;
	rc = t->events ? ev_io_mod(t->loop, t->fd, events)
		       : ev_io_add(t->loop, t->fd, events, io_cb, t);
	if (rc == 0)
		t->events = events;
	return rc;
}

static void assoc_close(struct fo_transport *t)
{
	if (t->fd >= 0) {
		/* Abort rather than shut down gracefully: queued data is dropped
		 * anyway, and a lingering association would hold the port. */
		struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &abort_now,
				 sizeof abort_now);
		if (t->events)
			ev_io_del(t->loop, t->fd);
		close(t->fd);
	}
	t->fd = -1;
	t->events = 0;
	t->as = AS_CLOSED;
	t->rx_len = 0;
}

static void link_down(struct fo_transport *t, const char *why)
{
	bool was_up = t->up;

	t->gen++;
	assoc_close(t);
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		fo_txq_clear(&t->q[ch]);
	t->up = false;
	if (t->retry)
		ev_timer_start(t->retry, (uint64_t)t->cfg.reconnect_ms * 1000u);
	if (was_up) {
		t->st.disconnects++;
		mlog(MSG_920103, "failover link (sctp) down: %s", why);
		if (t->h.on_state)
			t->h.on_state(t->arg, false);
	}
}

static void link_up(struct fo_transport *t)
{
	struct sctp_stream_value prio;

	t->as = AS_UP;
	t->up = true;
	t->st.connects++;
	/* Lower value = higher priority; best effort on older kernels. */
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		memset(&prio, 0, sizeof prio);
		prio.stream_id = (uint16_t)ch;
		prio.stream_value = (uint16_t)ch;
		(void)setsockopt(t->fd, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE,
				 &prio, sizeof prio);
	}
	mlog(MSG_920102, "failover link (sctp) up: %d streams", FO_CH_MAX);
	if (t->h.on_state)
		t->h.on_state(t->arg, true);
}

/* RTO, retransmission limits, streams, scheduler, data-io events. */
static int set_options(const struct fo_link_config *cfg, int fd)
{
	unsigned rto_min = cfg->rto_min_ms ? cfg->rto_min_ms : IOS_RTO_MIN_MS;
	unsigned rto_max = cfg->rto_max_ms ? cfg->rto_max_ms : IOS_RTO_MAX_MS;
	struct sctp_initmsg init = {
		.sinit_num_ostreams = FO_CH_MAX,
		.sinit_max_instreams = FO_CH_MAX,
		.sinit_max_attempts = (uint16_t)(cfg->assoc_retrans
						 ? cfg->assoc_retrans
						 : IOS_ASSOC_RETRANS),
		.sinit_max_init_timeo = (uint16_t)rto_max,
	};
	struct sctp_rtoinfo rto = {
		.srto_initial = rto_max, .srto_max = rto_max, .srto_min = rto_min,
	};
	struct sctp_paddrparams pp;
	struct sctp_assocparams ap;
	struct sctp_event_subscribe ev;
	struct sctp_assoc_value sched = { .assoc_value = SCTP_SS_PRIO };
	int one = 1, sndbuf = SCTP_SNDBUF;

	if (rto_min > rto_max)
		return -EINVAL;
	memset(&pp, 0, sizeof pp);
	pp.spp_pathmaxrxt = (uint16_t)(cfg->path_retrans ? cfg->path_retrans
							 : IOS_PATH_RETRANS);
	memset(&ap, 0, sizeof ap);
	ap.sasoc_asocmaxrxt = (uint16_t)(cfg->assoc_retrans ? cfg->assoc_retrans
							    : IOS_ASSOC_RETRANS);
	memset(&ev, 0, sizeof ev);
	ev.sctp_data_io_event = 1;   /* sinfo_stream tells the channel */

	if (setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof ap) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof ev) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one) < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);
	(void)setsockopt(fd, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &sched,
			 sizeof sched);
	return 0;
}

/* Binds every local address (multi-homing) on port. */
static int bind_all(const struct fo_transport *t, int fd, uint16_t port)
{
	struct sockaddr_storage a = t->cfg.local[0];
	socklen_t len = sizeof a;

	fo_link_set_port(&a, port);
	if (bind(fd, (struct sockaddr *)&a, fo_link_addr_len(&a)) < 0)
		return -errno;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	port = ntohs(a.ss_family == AF_INET6
		     ? ((struct sockaddr_in6 *)&a)->sin6_port
		     : ((struct sockaddr_in *)&a)->sin_port);
	for (unsigned i = 1; i < t->cfg.n_addrs; i++) {
		struct sockaddr_storage extra = t->cfg.local[i];
		fo_link_set_port(&extra, port);
		if (sctp_bindx(fd, (struct sockaddr *)&extra, 1,
			       SCTP_BINDX_ADD_ADDR) < 0)
			return -errno;
	}
	return 0;
}

static int new_socket(struct fo_transport *t)
{
	int fd = fo_link_socket(&t->cfg, t->cfg.local[0].ss_family,
				SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		return fd;
	int rc = set_options(&t->cfg, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static void connect_assoc(struct fo_transport *t)
{
	uint8_t packed[FO_LINK_ADDRS_MAX * sizeof(struct sockaddr_in6)];
	size_t off = 0;
	sctp_assoc_t id;
	int rc;

	rc = new_socket(t);
	if (rc < 0)
		goto fail;
	t->fd = rc;
	rc = bind_all(t, t->fd, 0);
	if (rc < 0)
		goto fail;
	for (unsigned i = 0; i < t->cfg.n_addrs; i++) {
		struct sockaddr_storage p = t->cfg.peer[i];
		fo_link_set_port(&p, t->cfg.port);
		memcpy(packed + off, &p, fo_link_addr_len(&p));
		off += fo_link_addr_len(&p);
	}
	if (sctp_connectx(t->fd, (struct sockaddr *)packed, (int)t->cfg.n_addrs,
			  &id) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto fail;
	}
	t->as = AS_CONNECTING;
	rc = watch(t, EPOLLOUT);
	if (rc == 0)
		return;
fail:
	mlog(MSG_920104, "failover link (sctp): connect: %s", strerror(-rc));
	link_down(t, "connect failed");
}

static void retry_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct fo_transport *t = arg;
	if (t->up || t->cfg.role != FO_WIRE_ROLE_SECONDARY)
		return;
	link_down(t, "retry");
	connect_assoc(t);
}

/* Sends queued messages, control channel first; false if the link fell. */
static bool flush(struct fo_transport *t)
{
	uint64_t gen = t->gen;
	bool blocked = false;

	for (int ch = 0; ch < FO_CH_MAX && !blocked; ch++) {
		struct fo_txq *q = &t->q[ch];
		while (fo_txq_pending(q)) {
			size_t len = fo_txq_first_len(q);
			ssize_t n = sctp_sendmsg(t->fd, fo_txq_head(q), len, NULL,
						 0, htonl(SCTP_PPID), 0,
						 (uint16_t)ch, 0, 0);
			if (n == (ssize_t)len) {
				fo_txq_advance(q, len);
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				blocked = true;
				break;
			}
			link_down(t, n < 0 ? strerror(errno) : "short send");
			return false;
		}
	}
	if (watch(t, EPOLLIN | (blocked ? EPOLLOUT : 0)) < 0) {
		link_down(t, "epoll registration failed");
		return false;
	}
	for (int ch = 0; ch < FO_CH_MAX && gen == t->gen; ch++)
		if (fo_txq_take_writable(&t->q[ch]) && t->h.on_writable)
			t->h.on_writable(t->arg, ch);
	return gen == t->gen;
}

static void read_assoc(struct fo_transport *t)
{
	uint64_t gen = t->gen;

	for (int budget = 64; budget > 0; budget--) {
		struct sctp_sndrcvinfo sinfo;
		int flags = 0;
		memset(&sinfo, 0, sizeof sinfo);
		ssize_t n = sctp_recvmsg(t->fd, t->rx + t->rx_len,
					 t->rx_cap - t->rx_len, NULL, 0, &sinfo,
					 &flags);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			link_down(t, n == 0 ? "association closed"
					    : strerror(errno));
			return;
		}
		if (flags & MSG_NOTIFICATION)
			continue;
		t->rx_len += (size_t)n;
		if (!(flags & MSG_EOR)) {
			if (t->rx_len < t->rx_cap)
				continue;   /* more parts of this message */
			goto bad;       /* larger than any frame */
		}
		enum fo_channel ch = sinfo.sinfo_stream;
		size_t flen;
		if (ch >= FO_CH_MAX ||
		    fo_link_frame_len(t->rx, t->rx_len, ch, &flen) < 0 ||
		    flen != t->rx_len)
			goto bad;
		struct fo_link_chan_stats *s = &t->st.ch[ch];
		s->bytes_in += flen;
		s->recv.total++;
		s->recv.max = s->recv.max ? s->recv.max : 1;
		t->rx_len = 0;
		t->h.on_frame(t->arg, ch, t->rx, flen);
		if (gen != t->gen)
			return;
	}
	return;
bad:
	t->st.bad_frames++;
	mlog(MSG_920105, "failover link (sctp): malformed message from the mate");
	link_down(t, "malformed message");
}

static void accept_assoc(struct fo_transport *t)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof from;
	int fd = accept4(t->listen_fd, (struct sockaddr *)&from, &len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!fo_link_addr_is_peer(&t->cfg, &from)) {
		mlog(MSG_920104, "failover link (sctp): refused an association "
		     "from an address that is not the mate's");
		close(fd);
		return;
	}
	if (t->fd >= 0)
		link_down(t, "mate reconnected");
	t->fd = fd;
	if (watch(t, EPOLLIN) < 0) {
		link_down(t, "epoll registration failed");
		return;
	}
	link_up(t);
}

static void sctpt_on_event(struct fo_transport *t, int fd, uint32_t events)
{
	if (fd == t->listen_fd) {
		accept_assoc(t);
		return;
	}
	if (fd != t->fd)
		return;
	if (t->as == AS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			link_down(t, strerror(err));
			return;
		}
		if (watch(t, EPOLLIN) == 0)
			link_up(t);
		return;
	}
	uint64_t gen = t->gen;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		read_assoc(t);
	if (gen == t->gen && (events & EPOLLOUT))
		flush(t);
}

static int sctpt_send(struct fo_transport *t, enum fo_channel ch,
		     const void *frame, size_t len)
{
	size_t flen;

	if (!t->up) {
		t->st.ch[ch].refused++;
		return -ENOTCONN;
	}
	if (len > FO_WIRE_FRAME_MAX)
		return -EMSGSIZE;
	if (fo_link_frame_len(frame, len, ch, &flen) < 0 || flen != len)
		return -EINVAL;
	bool was_refused = t->q[ch].refused;
	int rc = fo_txq_push(&t->q[ch], frame, len, true);
	if (rc < 0) {
		if (!was_refused)   /* once per backpressure episode */
			mlog(MSG_920106, "failover link (sctp): %s queue full",
			     fo_channel_name(ch));
		return rc;
	}
	if (!(t->events & EPOLLOUT) && !flush(t))
		return -ENOTCONN;
	return 0;
}

static void sctpt_close(struct fo_transport *t)
{
	if (!t)
		return;
	if (t->listen_fd >= 0) {
		ev_io_del(t->loop, t->listen_fd);
		close(t->listen_fd);
	}
	assoc_close(t);
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		fo_txq_free(&t->q[ch]);
	if (t->retry)
		ev_timer_destroy(t->retry);
	free(t->rx);
	free(t);
}

static int sctpt_open(struct fo_transport **out, struct ev_loop *loop,
		     const struct fo_link_config *cfg,
		     const struct fo_link_handlers *h, void *arg)
{
	struct fo_transport *t = calloc(1, sizeof *t);
	int rc = 0;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->ops = fo_transport_sctp();
	t->loop = loop;
	t->cfg = *cfg;
	t->listen_fd = t->fd = -1;
	if (cfg->netns) {
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
	t->rx_cap = FO_WIRE_FRAME_MAX + 1;
	t->rx = malloc(t->rx_cap);
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		fo_txq_init(&t->q[ch], fo_link_queue_limit(cfg, ch), &t->st.ch[ch]);
	if (!t->rx) {
		rc = -ENOMEM;
	} else if (cfg->role == FO_WIRE_ROLE_PRIMARY) {
		rc = new_socket(t);
		if (rc >= 0) {
			t->listen_fd = rc;
			int one = 1;
			rc = 0;
			if (setsockopt(t->listen_fd, SOL_SOCKET, SO_REUSEADDR,
				       &one, sizeof one) < 0)
				rc = -errno;
			if (rc == 0)
				rc = bind_all(t, t->listen_fd, cfg->port);
			if (rc == 0 && listen(t->listen_fd, 4) < 0)
				rc = -errno;
			if (rc == 0)
				rc = ev_io_add(loop, t->listen_fd, EPOLLIN, io_cb, t);
		}
	} else {
		t->retry = ev_timer_create(loop, retry_cb, t);
		if (!t->retry)
			rc = -ENOMEM;
		else
			connect_assoc(t);
	}
	if (rc < 0) {
		sctpt_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

static int sctpt_probe(const struct fo_link_config *cfg)
{
	int fd = fo_link_socket(cfg, AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static size_t sctpt_get_fds(const struct fo_transport *t, int *fds, size_t max)
{
	size_t n = 0;
	if (t->listen_fd >= 0 && n < max)
		fds[n++] = t->listen_fd;
	if (t->fd >= 0 && n < max)
		fds[n++] = t->fd;
	return n;
}

static void sctpt_stats(const struct fo_transport *t, struct fo_link_stats *out)
{
	*out = t->st;
	out->up = t->up;
}

static const struct fo_transport_ops sctp_ops = {
	.name = "sctp", .probe = sctpt_probe, .open = sctpt_open,
	.close = sctpt_close, .send = sctpt_send, .on_event = sctpt_on_event,
	.get_fds = sctpt_get_fds, .stats = sctpt_stats,
};

const struct fo_transport_ops *fo_transport_sctp(void) { return &sctp_ops; }
