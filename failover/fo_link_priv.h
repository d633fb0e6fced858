/*
 * fo_link_priv: what fo_link.c shares with the transports
 * (fo_link_tcp.c, fo_link_sctp.c).  Not a public interface: only those
 * files include it.
 */
#ifndef MCTX_FO_LINK_PRIV_H
#define MCTX_FO_LINK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "failover/fo_link.h"
#include "system/sys_buf.h"

/* Frame delivery per loop turn, for every transport: a STATE message is
 * hundreds of kernel installs on the standby; what is left waits for a
 * later turn (the control channel is served first), and the sender feels
 * the push-back. */
#define FO_LINK_RX_TIME_BUDGET_US 5000

/* A socket (non-blocking, close-on-exec) created in cfg->netns; fd or -errno. */
int fo_link_socket(const struct fo_link_config *cfg, int family, int type,
		   int proto);
/* Default queue limits: 1 MB control/config, 8 MB state. */
size_t fo_link_queue_limit(const struct fo_link_config *cfg, enum fo_channel ch);
/* Frame length from the header at p (len bytes there): 0, -EAGAIN (need
 * more bytes) or -EBADMSG (not a frame of channel ch). */
int fo_link_frame_len(const uint8_t *p, size_t len, enum fo_channel ch,
		      size_t *frame_len);
void fo_link_set_port(struct sockaddr_storage *ss, uint16_t port);
socklen_t fo_link_addr_len(const struct sockaddr_storage *ss);
/* Whether ss's address is one of the mate's configured addresses. */
bool fo_link_addr_is_peer(const struct fo_link_config *cfg,
			  const struct sockaddr_storage *ss);

/*
 * One channel's user-space send queue: bytes plus the stream positions
 * where messages end, so cur/max/total count messages (as ASA's "Logical
 * Update Queue Information" does) while the limit counts bytes.
 */
struct fo_txq {
	struct buf data;
	size_t head;            /* first unsent byte in data */
	uint64_t *ends;         /* absolute end positions of queued messages */
	size_t ends_head, ends_len, ends_cap;
	uint64_t enq_abs;       /* bytes ever queued */
	uint64_t sent_abs;      /* bytes ever sent */
	size_t limit;
	bool refused;           /* a push was refused since it last drained */
	struct fo_link_chan_stats *st;
};

void fo_txq_init(struct fo_txq *q, size_t limit, struct fo_link_chan_stats *st);
void fo_txq_free(struct fo_txq *q);
/* Drops everything queued (link down). */
void fo_txq_clear(struct fo_txq *q);
/* Queues n bytes; is_msg false for transport bytes (preambles) that are
 * not messages.  0 or -ENOBUFS (over the limit; counted as refused). */
int fo_txq_push(struct fo_txq *q, const void *p, size_t n, bool is_msg);
size_t fo_txq_pending(const struct fo_txq *q);
/* The part of send every transport shares: refuses when the link is down
 * (counted), checks the frame against its channel, queues it, and says
 * "queue full" once per backpressure episode.  0 when queued; -ENOTCONN,
 * -EMSGSIZE, -EINVAL or -ENOBUFS. */
int fo_txq_send(struct fo_txq *q, bool up, const char *transport,
		enum fo_channel ch, const void *frame, size_t len);
const uint8_t *fo_txq_head(const struct fo_txq *q);
/* Bytes up to the end of the first queued message (or all pending bytes
 * when a preamble is in front). */
size_t fo_txq_first_len(const struct fo_txq *q);
/* n bytes went out: advances, counts finished messages. */
void fo_txq_advance(struct fo_txq *q, size_t n);
/* True once after a refusal, when the queue has drained to half. */
bool fo_txq_take_writable(struct fo_txq *q);

#endif
