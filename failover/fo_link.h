/*
 * fo_link: the failover link between the two units, behind one ops struct
 * per transport.
 *
 * A link carries whole frames (fo_wire header + body, already sealed by
 * fo_crypto) on FO_CH_MAX channels.  Order is kept within a channel and
 * never across channels (transport.md).  Hellos travel on FO_CH_CONTROL,
 * which never queues behind the bulk STATE channel: the TCP/MPTCP
 * transport uses one connection per channel, SCTP one stream per channel
 * with the kernel's priority stream scheduler; both drain their user-space
 * queues control-first.
 *
 * Transports, tried in this order by fo_link_create (the choice is logged
 * once, MSG_920100; a kernel without SCTP is said once, MSG_900004):
 *   sctp   one multi-homed association (LAN failover address + stateful
 *          link address), a stream per channel, IOS-style retransmit knobs
 *   mptcp  TCP connections with IPPROTO_MPTCP (net.mptcp.enabled=1)
 *   tcp    plain TCP
 * The primary unit listens, the secondary connects (a deterministic
 * tie-break); the secondary retries every reconnect_ms.  When any channel
 * breaks the whole link goes down (queues are dropped: the failover layer
 * resynchronises on the next link up) and is re-established.
 *
 * No threads: transports register their sockets and timers on the
 * daemon's ev_loop (system/sys_loop.h); callbacks run from it.
 */
#ifndef MCTX_FO_LINK_H
#define MCTX_FO_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "failover/fo_wire.h"
#include "system/sys_loop.h"

#define FO_LINK_ADDRS_MAX 2      /* LAN failover address, stateful link address */
#define FO_LINK_FDS_MAX 16

struct fo_link_config {
	enum fo_wire_role role;      /* PRIMARY listens, SECONDARY connects */
	const char *netns;           /* namespace for the sockets; NULL = current */
	/* Addresses (port ignored) of this unit and of the mate, index 0 the
	 * LAN failover interface, 1 the stateful link (optional). */
	struct sockaddr_storage local[FO_LINK_ADDRS_MAX];
	struct sockaddr_storage peer[FO_LINK_ADDRS_MAX];
	unsigned n_addrs;            /* 1 or 2 */
	uint16_t port;
	unsigned reconnect_ms;       /* 0: 1000 */
	size_t queue_limit[FO_CH_MAX]; /* bytes queued per channel; 0: default */
	/* SCTP only, as IOS `retransmit-timeout`, `path-retransmit`,
	 * `assoc-retransmit`; 0 = IOS defaults 300/600 ms, 4, 4. */
	unsigned rto_min_ms, rto_max_ms, path_retrans, assoc_retrans;
	/* "sctp", "mptcp" or "tcp" to skip the table; NULL = first usable. */
	const char *transport;
};

struct fo_link_handlers {
	/* One whole frame from the mate (header checked for framing only). */
	void (*on_frame)(void *arg, enum fo_channel ch, const uint8_t *frame,
			 size_t len);
	/* The link came up (every channel) or went down. */
	void (*on_state)(void *arg, bool up);
	/* A channel's queue fell to half its limit after a refusal. */
	void (*on_writable)(void *arg, enum fo_channel ch);
};

/* `show failover`'s "Logical Update Queue Information": messages. */
struct fo_link_queue {
	uint64_t cur, max, total;
};

struct fo_link_chan_stats {
	struct fo_link_queue xmit, recv;
	uint64_t bytes_out, bytes_in;
	uint64_t queued_bytes;       /* now */
	uint64_t refused;            /* sends refused: queue full or link down */
};

struct fo_link_stats {
	const char *transport;
	bool up;
	uint64_t connects;           /* times the link came up */
	uint64_t disconnects;
	uint64_t bad_frames;         /* framing errors from the mate */
	struct fo_link_chan_stats ch[FO_CH_MAX];
};

struct fo_transport;   /* one transport instance (opaque) */
typedef void (*fo_link_event_cb)(void *arg, int fd, uint32_t events);

struct fo_transport_ops {
	const char *name;
	/* 0 when this kernel can create the transport's socket, else -errno. */
	int (*probe)(const struct fo_link_config *cfg);
	int (*open)(struct fo_transport **out, struct ev_loop *loop,
		    const struct fo_link_config *cfg,
		    const struct fo_link_handlers *h, void *arg);
	void (*close)(struct fo_transport *t);
	/* Queues one frame; 0, -ENOTCONN (link down), -ENOBUFS (queue full),
	 * -EMSGSIZE, -EINVAL. */
	int (*send)(struct fo_transport *t, enum fo_channel ch,
		    const void *frame, size_t len);
	/* What the ev_loop calls for one of the transport's fds. */
	void (*on_event)(struct fo_transport *t, int fd, uint32_t events);
	size_t (*get_fds)(const struct fo_transport *t, int *fds, size_t max);
	void (*stats)(const struct fo_transport *t, struct fo_link_stats *out);
};

const struct fo_transport_ops *fo_transport_sctp(void);
const struct fo_transport_ops *fo_transport_mptcp(void);
const struct fo_transport_ops *fo_transport_tcp(void);

struct fo_link;

/*
 * Picks the first usable transport (or cfg->transport), logs the choice
 * and opens it on loop.  cfg is copied.  Returns 0, -EINVAL,
 * -EPROTONOSUPPORT (forced transport unusable), or the open's -errno.
 */
int fo_link_create(struct fo_link **out, struct ev_loop *loop,
		   const struct fo_link_config *cfg,
		   const struct fo_link_handlers *h, void *arg);
void fo_link_destroy(struct fo_link *link);

int fo_link_send(struct fo_link *link, enum fo_channel ch, const void *frame,
		 size_t len);
bool fo_link_up(const struct fo_link *link);
const char *fo_link_transport_name(const struct fo_link *link);
size_t fo_link_get_fds(const struct fo_link *link, int *fds, size_t max);
void fo_link_stats(const struct fo_link *link, struct fo_link_stats *out);

#endif
