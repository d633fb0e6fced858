/*
 * fo_link: picks a transport from the table, logs the choice once, and
 * forwards to its ops.  Also the helpers every transport shares: socket
 * creation inside the link's namespace, queue limits, frame lengths.
 */
#include "failover/fo_link.h"
#include "failover/fo_link_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "system/sys_log.h"
#include "system/sys_netns.h"

struct fo_link {
	const struct fo_transport_ops *ops;
	struct fo_transport *t;
};

typedef const struct fo_transport_ops *(*transport_getter)(void);

/* Preference order: SCTP (multi-homing, streams), MPTCP, TCP. */
static const transport_getter transports[] = {
	fo_transport_sctp, fo_transport_mptcp, fo_transport_tcp,
};

int fo_link_socket(const struct fo_link_config *cfg, int family, int type,
		   int proto)
{
	struct netns_saved saved = { .orig_fd = -1 };
	int fd, rc;

	if (cfg->netns && (rc = netns_enter(cfg->netns, &saved)) < 0)
		return rc;
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	rc = fd < 0 ? -errno : fd;
	if (cfg->netns)
		netns_leave(&saved);
	return rc;
}

size_t fo_link_queue_limit(const struct fo_link_config *cfg, enum fo_channel ch)
{
	if (cfg->queue_limit[ch])
		return cfg->queue_limit[ch];
	return ch == FO_CH_STATE ? 8u << 20 : 1u << 20;
}

int fo_link_frame_len(const uint8_t *p, size_t len, enum fo_channel ch,
		      size_t *frame_len)
{
	struct fo_hdr h;

	if (len < FO_WIRE_HDR_LEN)
		return -EAGAIN;
	if (fo_wire_hdr_parse(p, len, &h) != FO_WIRE_OK || h.channel != ch)
		return -EBADMSG;
	*frame_len = FO_WIRE_HDR_LEN + (size_t)h.body_len;
	return 0;
}

void fo_link_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

socklen_t fo_link_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

bool fo_link_addr_is_peer(const struct fo_link_config *cfg,
			  const struct sockaddr_storage *ss)
{
	for (unsigned i = 0; i < cfg->n_addrs; i++) {
		const struct sockaddr_storage *p = &cfg->peer[i];
		if (p->ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET &&
		    ((const struct sockaddr_in *)p)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ss)->sin_addr.s_addr)
			return true;
		if (ss->ss_family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)p)->sin6_addr,
			    &((const struct sockaddr_in6 *)ss)->sin6_addr,
			    sizeof(struct in6_addr)))
			return true;
	}
	return false;
}

static bool config_ok(const struct fo_link_config *cfg)
{
	if (cfg->role != FO_WIRE_ROLE_PRIMARY &&
	    cfg->role != FO_WIRE_ROLE_SECONDARY)
		return false;
	if (cfg->n_addrs < 1 || cfg->n_addrs > FO_LINK_ADDRS_MAX || !cfg->port)
		return false;
	for (unsigned i = 0; i < cfg->n_addrs; i++) {
		int f = cfg->local[i].ss_family;
		if ((f != AF_INET && f != AF_INET6) ||
		    cfg->peer[i].ss_family != f)
			return false;
	}
	return true;
}

int fo_link_create(struct fo_link **out, struct ev_loop *loop,
		   const struct fo_link_config *cfg,
		   const struct fo_link_handlers *h, void *arg)
{
	int rc = -EPROTONOSUPPORT;

	*out = NULL;
	if (!config_ok(cfg) || !h || !h->on_frame)
		return -EINVAL;
	struct fo_link *link = calloc(1, sizeof *link);
	if (!link)
		return -ENOMEM;

	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
		const struct fo_transport_ops *ops = transports[i]();
		if (cfg->transport && strcmp(cfg->transport, ops->name) != 0)
			continue;
		int probe = ops->probe(cfg);
		if (probe < 0) {
			if (ops == fo_transport_sctp())
				mlog(MSG_900004, "kernel has no SCTP (%s); "
				     "failover link falls back to MPTCP/TCP",
				     strerror(-probe));
			else
				mlog(MSG_900004, "failover link transport %s "
				     "unusable here (%s)", ops->name,
				     strerror(-probe));
			rc = probe;
			continue;
		}
		rc = ops->open(&link->t, loop, cfg, h, arg);
		if (rc < 0) {
			mlog(MSG_920104, "failover link %s: open failed: %s",
			     ops->name, strerror(-rc));
			continue;
		}
		link->ops = ops;
		mlog(MSG_920100, "failover link transport: %s (%s, port %u, "
		     "%u address%s)", ops->name,
		     cfg->role == FO_WIRE_ROLE_PRIMARY ? "listening"
						       : "connecting",
		     cfg->port, cfg->n_addrs, cfg->n_addrs > 1 ? "es" : "");
		*out = link;
		return 0;
	}
	free(link);
	return rc;
}

void fo_link_destroy(struct fo_link *link)
{
	if (!link)
		return;
	link->ops->close(link->t);
	free(link);
}

int fo_link_send(struct fo_link *link, enum fo_channel ch, const void *frame,
		 size_t len)
{
	if ((unsigned)ch >= FO_CH_MAX)
		return -EINVAL;
	return link->ops->send(link->t, ch, frame, len);
}

bool fo_link_up(const struct fo_link *link)
{
	struct fo_link_stats s;
	fo_link_stats(link, &s);
	return s.up;
}

const char *fo_link_transport_name(const struct fo_link *link)
{
	return link->ops->name;
}

size_t fo_link_get_fds(const struct fo_link *link, int *fds, size_t max)
{
	return link->ops->get_fds(link->t, fds, max);
}

void fo_link_stats(const struct fo_link *link, struct fo_link_stats *out)
{
	memset(out, 0, sizeof *out);
	link->ops->stats(link->t, out);
	out->transport = link->ops->name;
}

/* ---- per-channel send queue ---- */

void fo_txq_init(struct fo_txq *q, size_t limit, struct fo_link_chan_stats *st)
{
	memset(q, 0, sizeof *q);
	buf_init(&q->data);
	q->limit = limit;
	q->st = st;
}

void fo_txq_free(struct fo_txq *q)
{
	buf_free(&q->data);
	free(q->ends);
	q->ends = NULL;
	q->ends_cap = q->ends_len = q->ends_head = 0;
}

void fo_txq_clear(struct fo_txq *q)
{
	buf_reset(&q->data);
	q->head = 0;
	q->ends_head = q->ends_len = 0;
	q->enq_abs = q->sent_abs = 0;
	q->refused = false;
	q->st->xmit.cur = 0;
	q->st->queued_bytes = 0;
}

size_t fo_txq_pending(const struct fo_txq *q) { return q->data.len - q->head; }

const uint8_t *fo_txq_head(const struct fo_txq *q)
{
	return (const uint8_t *)q->data.data + q->head;
}

size_t fo_txq_first_len(const struct fo_txq *q)
{
	if (q->ends_len == 0)
		return fo_txq_pending(q);
	return (size_t)(q->ends[q->ends_head] - q->sent_abs);
}

int fo_txq_send(struct fo_txq *q, bool up, const char *transport,
		enum fo_channel ch, const void *frame, size_t len)
{
	size_t flen;

	if (!up) {
		q->st->refused++;
		return -ENOTCONN;
	}
	if (len > FO_WIRE_FRAME_MAX)
		return -EMSGSIZE;
	if (fo_link_frame_len(frame, len, ch, &flen) < 0 || flen != len)
		return -EINVAL;
	bool was_refused = q->refused;
	int rc = fo_txq_push(q, frame, len, true);
	/* Backpressure is normal during bulk sync: say it once per episode
	 * (until the queue drains to half). */
	if (rc < 0 && !was_refused)
		mlog(MSG_920106, "failover link (%s): %s queue full (%zu bytes)",
		     transport, fo_channel_name(ch), fo_txq_pending(q));
	return rc;
}

int fo_txq_push(struct fo_txq *q, const void *p, size_t n, bool is_msg)
{
	if (is_msg && fo_txq_pending(q) + n > q->limit) {
		q->refused = true;
		q->st->refused++;
		return -ENOBUFS;
	}
	/* Reclaim sent bytes before growing. */
	if (q->head && (q->head == q->data.len || q->head > q->data.len / 2)) {
		memmove(q->data.data, q->data.data + q->head,
			q->data.len - q->head);
		q->data.len -= q->head;
		q->head = 0;
	}
	buf_add(&q->data, p, n);
	q->enq_abs += n;
	q->st->queued_bytes = fo_txq_pending(q);
	if (!is_msg)
		return 0;
	if (q->ends_head + q->ends_len == q->ends_cap) {
		if (q->ends_head) {
			memmove(q->ends, q->ends + q->ends_head,
				q->ends_len * sizeof *q->ends);
			q->ends_head = 0;
		} else {
			size_t cap = q->ends_cap ? q->ends_cap * 2 : 64;
			uint64_t *e = realloc(q->ends, cap * sizeof *e);
			if (!e)
				abort();   /* as sys_buf: cannot work without memory */
			q->ends = e;
			q->ends_cap = cap;
		}
	}
	q->ends[q->ends_head + q->ends_len++] = q->enq_abs;
	q->st->xmit.cur = q->ends_len;
	q->st->xmit.total++;
	if (q->st->xmit.cur > q->st->xmit.max)
		q->st->xmit.max = q->st->xmit.cur;
	return 0;
}

void fo_txq_advance(struct fo_txq *q, size_t n)
{
	q->head += n;
	q->sent_abs += n;
	q->st->bytes_out += n;
	while (q->ends_len && q->ends[q->ends_head] <= q->sent_abs) {
		q->ends_head++;
		q->ends_len--;
	}
	if (q->ends_len == 0)
		q->ends_head = 0;
	if (q->head == q->data.len) {
		q->head = 0;
		q->data.len = 0;
	}
	q->st->xmit.cur = q->ends_len;
	q->st->queued_bytes = fo_txq_pending(q);
}

bool fo_txq_take_writable(struct fo_txq *q)
{
	if (!q->refused || fo_txq_pending(q) > q->limit / 2)
		return false;
	q->refused = false;
	return true;
}
