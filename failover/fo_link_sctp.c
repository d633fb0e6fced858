/*
 * fo_link_sctp: the SCTP failover link transport (libsctp).
 *
 * Two one-to-one style associations, both multi-homed: both units bind the
 * LAN failover address and, when configured, the stateful link address
 * (sctp_bindx), and the secondary dials the mate's LAN failover address
 * (sctp_connectx); the stateful addresses join as the association's second
 * path, so losing one link in operation keeps the failover link.
 *   control association  FO_CH_CONTROL (hellos, group requests, exec)
 *   data association     FO_CH_CONFIG and FO_CH_STATE
 * One association would share its socket buffers and receive window among
 * all streams: a hello would wait behind megabytes of bulk state in the
 * sender's full send buffer, the receiver's FIFO receive queue and a
 * closed window.  With its own association a hello only ever waits behind
 * other control messages.  Stream N carries channel N on either; on the
 * data association the kernel's priority stream scheduler (SCTP_SS_PRIO)
 * sends config before state, and our queues drain in that order too.
 *
 * The primary listens on one port and accepts both; the secondary starts
 * each association with a preamble message (PPID_PREAMBLE, 8 bytes
 * {magic "MCFL", version, association kind, sender role, 0}) by which the
 * primary files it.  The link is up when both associations are; either
 * failing takes the whole link down and the secondary dials both again.
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
#define PPID_PREAMBLE 0x4d434646u   /* "MCFF": the preamble, never a frame */
#define PREAMBLE_LEN 8
#define PREAMBLE_MAGIC "MCFL"
#define PENDING_MAX 4
/* Data association socket buffers: room for a few maximal frames, and no
 * more, because its receive queue is FIFO across streams (config waits
 * behind buffered state).  Control messages are small and few. */
#define DATA_SOCKBUF (1 << 20)
#define CONTROL_SOCKBUF (256 << 10)

enum assoc_state { AS_CLOSED, AS_CONNECTING, AS_PREAMBLE, AS_UP };
enum assoc_kind { A_CONTROL, A_DATA, A_MAX };

static const char *const kind_names[A_MAX] = { "control", "data" };

struct assoc {
	int fd;
	enum assoc_state as;
	uint32_t events;        /* registered with the loop; 0 = not */
	uint8_t *rx;            /* one message, possibly delivered in parts */
	size_t rx_len;
};

struct fo_transport {
	const struct fo_transport_ops *ops;
	struct ev_loop *loop;
	struct fo_link_config cfg;
	char netns[NAME_MAX + 1];
	struct fo_link_handlers h;
	void *arg;
	int listen_fd;
	struct assoc a[A_MAX];
	struct assoc pending[PENDING_MAX];   /* accepted, preamble not yet read */
	size_t rx_cap;
	struct fo_txq q[FO_CH_MAX];
	struct ev_timer *retry;
	bool up;
	uint64_t gen;           /* bumped when the link goes down */
	struct fo_link_stats st;
};

/* The association a channel travels on. */
static enum assoc_kind kind_of(enum fo_channel ch)
{
	return ch == FO_CH_CONTROL ? A_CONTROL : A_DATA;
}

static void io_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct fo_transport *t = arg;
	t->ops->on_event(t, fd, events);
}

static int watch(struct fo_transport *t, struct assoc *a, uint32_t events)
{
	int rc;
	if (a->events == events)
		return 0;
	rc = a->events ? ev_io_mod(t->loop, a->fd, events)
		       : ev_io_add(t->loop, a->fd, events, io_cb, t);
	if (rc == 0)
		a->events = events;
	return rc;
}

static void assoc_init(struct assoc *a, uint8_t *rx)
{
	a->fd = -1;
	a->as = AS_CLOSED;
	a->events = 0;
	a->rx = rx;
	a->rx_len = 0;
}

/* Closes a's socket; keeps its receive buffer. */
static void assoc_close(struct fo_transport *t, struct assoc *a)
{
	if (a->fd >= 0) {
		/* Abort rather than shut down gracefully: queued data is dropped
		 * anyway, and a lingering association would hold the port. */
		struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(a->fd, SOL_SOCKET, SO_LINGER, &abort_now,
				 sizeof abort_now);
		if (a->events)
			ev_io_del(t->loop, a->fd);
		close(a->fd);
	}
	assoc_init(a, a->rx);
}

static void link_down(struct fo_transport *t, const char *why)
{
	bool was_up = t->up;

	t->gen++;
	for (int k = 0; k < A_MAX; k++)
		assoc_close(t, &t->a[k]);
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

/* Both associations up: the link is. */
static void check_up(struct fo_transport *t)
{
	struct sctp_stream_value prio;

	if (t->up)
		return;
	for (int k = 0; k < A_MAX; k++)
		if (t->a[k].as != AS_UP)
			return;
	t->up = true;
	t->st.connects++;
	/* Lower value = higher priority; best effort on older kernels. */
	for (int ch = 0; ch < FO_CH_MAX; ch++) {
		memset(&prio, 0, sizeof prio);
		prio.stream_id = (uint16_t)ch;
		prio.stream_value = (uint16_t)ch;
		(void)setsockopt(t->a[kind_of(ch)].fd, IPPROTO_SCTP,
				 SCTP_STREAM_SCHEDULER_VALUE, &prio, sizeof prio);
	}
	mlog(MSG_920102, "failover link (sctp) up: control and data "
	     "associations, %d streams", FO_CH_MAX);
	if (t->h.on_state)
		t->h.on_state(t->arg, true);
}

static void set_bufs(int fd, enum assoc_kind kind)
{
	int size = kind == A_CONTROL ? CONTROL_SOCKBUF : DATA_SOCKBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
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
	int one = 1;

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
	set_bufs(fd, A_DATA);
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

/* ---- secondary: dial both associations ---- */

/*
 * Dials the mate's LAN failover address only.  The association still
 * spans both links: each side's INIT / INIT-ACK lists every address it
 * bound, so the stateful link becomes the second path as soon as the
 * association exists.  Dialing the stateful address too would let the
 * pair form while the LAN failover link is down at startup, where the
 * seed's failure-event table wants both units active.
 */
static int connect_assoc(struct fo_transport *t, enum assoc_kind kind)
{
	struct sockaddr_storage peer = t->cfg.peer[0];
	struct assoc *a = &t->a[kind];
	sctp_assoc_t id;
	int rc;

	rc = new_socket(t);
	if (rc < 0)
		return rc;
	a->fd = rc;
	set_bufs(a->fd, kind);
	rc = bind_all(t, a->fd, 0);
	if (rc < 0)
		return rc;
	fo_link_set_port(&peer, t->cfg.port);
	if (sctp_connectx(a->fd, (struct sockaddr *)&peer, 1, &id) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	a->as = AS_CONNECTING;
	return watch(t, a, EPOLLOUT);
}

static void connect_all(struct fo_transport *t)
{
	for (int k = 0; k < A_MAX; k++) {
		int rc = connect_assoc(t, k);
		if (rc < 0) {
			mlog(MSG_920104, "failover link (sctp): connect %s "
			     "association: %s", kind_names[k], strerror(-rc));
			link_down(t, "connect failed");
			return;
		}
	}
}

static void retry_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct fo_transport *t = arg;
	if (t->up || t->cfg.role != FO_WIRE_ROLE_SECONDARY)
		return;
	link_down(t, "retry");   /* closes a half-open pair, re-arms */
	connect_all(t);
}

/* The secondary's association `kind` finished its handshake: name it to
 * the primary.  The association is new and empty, so the 8 bytes fit. */
static void connected(struct fo_transport *t, enum assoc_kind kind)
{
	struct assoc *a = &t->a[kind];
	uint8_t pre[PREAMBLE_LEN] = { 'M', 'C', 'F', 'L', FO_WIRE_VERSION,
				      (uint8_t)kind, (uint8_t)t->cfg.role, 0 };
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		/* The mate is not listening yet: normal while it boots. */
		link_down(t, strerror(err));
		return;
	}
	if (sctp_sendmsg(a->fd, pre, sizeof pre, NULL, 0, htonl(PPID_PREAMBLE),
			 0, 0, 0, 0) != (ssize_t)sizeof pre) {
		link_down(t, "cannot send the association preamble");
		return;
	}
	if (watch(t, a, EPOLLIN) < 0) {
		link_down(t, "epoll registration failed");
		return;
	}
	a->as = AS_UP;
	check_up(t);
}

/* ---- data ---- */

/* Sends association kind's queued messages, its channels in order; false
 * if the link fell. */
static bool flush(struct fo_transport *t, enum assoc_kind kind)
{
	struct assoc *a = &t->a[kind];
	uint64_t gen = t->gen;
	bool blocked = false;

	for (int ch = 0; ch < FO_CH_MAX && !blocked; ch++) {
		struct fo_txq *q = &t->q[ch];
		if (kind_of(ch) != kind)
			continue;
		while (fo_txq_pending(q)) {
			size_t len = fo_txq_first_len(q);
			ssize_t n = sctp_sendmsg(a->fd, fo_txq_head(q), len, NULL,
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
	if (watch(t, a, EPOLLIN | (blocked ? EPOLLOUT : 0)) < 0) {
		link_down(t, "epoll registration failed");
		return false;
	}
	for (int ch = 0; ch < FO_CH_MAX && gen == t->gen; ch++)
		if (kind_of(ch) == kind && fo_txq_take_writable(&t->q[ch]) &&
		    t->h.on_writable)
			t->h.on_writable(t->arg, ch);
	return gen == t->gen;
}

static void bad_message(struct fo_transport *t, const char *what)
{
	t->st.bad_frames++;
	mlog(MSG_920105, "failover link (sctp): %s from the mate", what);
	link_down(t, what);
}

/* Delivers within FO_LINK_RX_TIME_BUDGET_US a turn, at message
 * boundaries; what is left stays in the socket (epoll reports it again on
 * the next turn). */
static void read_assoc(struct fo_transport *t, enum assoc_kind kind)
{
	struct assoc *a = &t->a[kind];
	uint64_t gen = t->gen, t0 = ev_now_us();

	for (int budget = 64; budget > 0; budget--) {
		if (a->rx_len == 0 && budget < 64 &&
		    ev_now_us() - t0 >= FO_LINK_RX_TIME_BUDGET_US)
			return;
		struct sctp_sndrcvinfo sinfo;
		int flags = 0;
		memset(&sinfo, 0, sizeof sinfo);
		ssize_t n = sctp_recvmsg(a->fd, a->rx + a->rx_len,
					 t->rx_cap - a->rx_len, NULL, 0, &sinfo,
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
		a->rx_len += (size_t)n;
		if (!(flags & MSG_EOR)) {
			if (a->rx_len < t->rx_cap)
				continue;   /* more parts of this message */
			bad_message(t, "oversized message");
			return;
		}
		enum fo_channel ch = sinfo.sinfo_stream;
		size_t flen;
		if (ch >= FO_CH_MAX || kind_of(ch) != kind ||
		    ntohl(sinfo.sinfo_ppid) != SCTP_PPID ||
		    fo_link_frame_len(a->rx, a->rx_len, ch, &flen) < 0 ||
		    flen != a->rx_len) {
			bad_message(t, "malformed message");
			return;
		}
		struct fo_link_chan_stats *s = &t->st.ch[ch];
		s->bytes_in += flen;
		s->recv.total++;
		s->recv.max = s->recv.max ? s->recv.max : 1;
		a->rx_len = 0;
		t->h.on_frame(t->arg, ch, a->rx, flen);
		if (gen != t->gen)
			return;
	}
}

/* ---- primary: accept, then read the preamble ---- */

static void accept_assoc(struct fo_transport *t)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t len = sizeof from;
		int fd = accept4(t->listen_fd, (struct sockaddr *)&from, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;   /* EAGAIN, or an aborted association */
		if (!fo_link_addr_is_peer(&t->cfg, &from)) {
			mlog(MSG_920104, "failover link (sctp): refused an "
			     "association from an address that is not the "
			     "mate's");
			close(fd);
			continue;
		}
		struct assoc *slot = NULL;
		for (int i = 0; i < PENDING_MAX && !slot; i++)
			if (t->pending[i].fd < 0)
				slot = &t->pending[i];
		if (!slot) {
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->as = AS_PREAMBLE;
		slot->rx_len = 0;
		if (watch(t, slot, EPOLLIN) < 0)
			assoc_close(t, slot);
	}
}

static void read_preamble(struct fo_transport *t, struct assoc *p)
{
	uint8_t pre[PREAMBLE_LEN + 1] = { 0 };
	struct sctp_sndrcvinfo sinfo;
	int flags = 0;

	memset(&sinfo, 0, sizeof sinfo);
	ssize_t n = sctp_recvmsg(p->fd, pre, sizeof pre, NULL, 0, &sinfo, &flags);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && (flags & MSG_NOTIFICATION))
		return;
	if (n <= 0) {
		assoc_close(t, p);
		return;
	}
	uint8_t kind = pre[5];
	if (n != PREAMBLE_LEN || !(flags & MSG_EOR) ||
	    ntohl(sinfo.sinfo_ppid) != PPID_PREAMBLE ||
	    memcmp(pre, PREAMBLE_MAGIC, 4) || pre[4] != FO_WIRE_VERSION ||
	    kind >= A_MAX || pre[6] != FO_WIRE_ROLE_SECONDARY) {
		t->st.bad_frames++;
		mlog(MSG_920105, "failover link (sctp): bad association "
		     "preamble from the mate (%zd bytes, version %u, kind %u, "
		     "role %u)", n, pre[4], kind, pre[6]);
		assoc_close(t, p);
		return;
	}
	/* An association we already have: the mate restarted its side. */
	if (t->a[kind].fd >= 0)
		link_down(t, "mate reconnected");
	struct assoc *a = &t->a[kind];
	a->fd = p->fd;
	a->events = p->events;
	a->as = AS_UP;
	a->rx_len = 0;
	assoc_init(p, p->rx);
	set_bufs(a->fd, kind);
	check_up(t);
}

/* ---- ops ---- */

static void sctpt_on_event(struct fo_transport *t, int fd, uint32_t events)
{
	if (fd == t->listen_fd) {
		accept_assoc(t);
		return;
	}
	for (int i = 0; i < PENDING_MAX; i++)
		if (fd == t->pending[i].fd) {
			read_preamble(t, &t->pending[i]);
			return;
		}
	for (int k = 0; k < A_MAX; k++) {
		struct assoc *a = &t->a[k];
		if (fd != a->fd)
			continue;
		if (a->as == AS_CONNECTING) {
			connected(t, k);
			return;
		}
		uint64_t gen = t->gen;
		/* Hellos first, whatever else this turn serves. */
		if (k != A_CONTROL && t->a[A_CONTROL].as == AS_UP) {
			read_assoc(t, A_CONTROL);
			if (gen != t->gen)
				return;
		}
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			read_assoc(t, k);
		if (gen == t->gen && (events & EPOLLOUT))
			flush(t, k);
		return;
	}
}

static int sctpt_send(struct fo_transport *t, enum fo_channel ch,
		     const void *frame, size_t len)
{
	int rc = fo_txq_send(&t->q[ch], t->up, "sctp", ch, frame, len);
	if (rc < 0)
		return rc;
	struct assoc *a = &t->a[kind_of(ch)];
	if (!(a->events & EPOLLOUT) && !flush(t, kind_of(ch)))
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
	for (int i = 0; i < PENDING_MAX; i++)
		assoc_close(t, &t->pending[i]);
	for (int k = 0; k < A_MAX; k++) {
		assoc_close(t, &t->a[k]);
		free(t->a[k].rx);
	}
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		fo_txq_free(&t->q[ch]);
	if (t->retry)
		ev_timer_destroy(t->retry);
	free(t);
}

static int listen_on(struct fo_transport *t)
{
	int one = 1, rc = new_socket(t);

	if (rc < 0)
		return rc;
	t->listen_fd = rc;
	if (setsockopt(t->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof one) < 0)
		return -errno;
	rc = bind_all(t, t->listen_fd, t->cfg.port);
	if (rc == 0 && listen(t->listen_fd, PENDING_MAX) < 0)
		rc = -errno;
	if (rc == 0)
		rc = ev_io_add(t->loop, t->listen_fd, EPOLLIN, io_cb, t);
	return rc;
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
	t->listen_fd = -1;
	for (int i = 0; i < PENDING_MAX; i++)
		assoc_init(&t->pending[i], NULL);
	t->rx_cap = FO_WIRE_FRAME_MAX + 1;
	for (int k = 0; k < A_MAX; k++) {
		assoc_init(&t->a[k], malloc(t->rx_cap));
		if (!t->a[k].rx)
			rc = -ENOMEM;
	}
	for (int ch = 0; ch < FO_CH_MAX; ch++)
		fo_txq_init(&t->q[ch], fo_link_queue_limit(cfg, ch), &t->st.ch[ch]);
	if (cfg->netns) {
		if (strlen(cfg->netns) < sizeof t->netns) {
			strcpy(t->netns, cfg->netns);
			t->cfg.netns = t->netns;
		} else {
			rc = -EINVAL;
		}
	}
	if (!t->cfg.reconnect_ms)
		t->cfg.reconnect_ms = 1000;
	t->h = *h;
	t->arg = arg;
	if (rc < 0) {
		/* set up enough for sctpt_close */
	} else if (cfg->role == FO_WIRE_ROLE_PRIMARY) {
		rc = listen_on(t);
	} else {
		t->retry = ev_timer_create(loop, retry_cb, t);
		if (!t->retry)
			rc = -ENOMEM;
		else
			connect_all(t);
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
	for (int i = 0; i < PENDING_MAX; i++)
		if (t->pending[i].fd >= 0 && n < max)
			fds[n++] = t->pending[i].fd;
	for (int k = 0; k < A_MAX; k++)
		if (t->a[k].fd >= 0 && n < max)
			fds[n++] = t->a[k].fd;
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
