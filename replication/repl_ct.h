/*
 * repl_ct: one security context's connection-tracking table, for stateful
 * failover.
 *
 * A struct repl_ct is bound to one network namespace (the context): its
 * netlink sockets are created inside that namespace and stay bound to it
 * (see shared/notes/conntrack.md), so the daemon can hold one per context.
 * It can
 *   - dump the table (IPv4/IPv6 TCP, UDP and ICMP entries),
 *   - subscribe to NEW/UPDATE/DESTROY events; lost events (the kernel says
 *     ENOBUFS when our socket buffer overflowed) are counted and reported
 *     as REPL_CT_LOST so the caller schedules a bulk resync,
 *   - inject entries received from the mate: batched netlink messages,
 *     create-or-update as conntrackd's external_inject does, TCP entries
 *     made BE_LIBERAL so the new owner re-learns the sequence windows.
 * Events caused by our own injections carry our netlink port id and are
 * dropped (echo suppression), so a unit that took over never replays what
 * it received.
 *
 * The record codec (repl_ct_encode/repl_ct_decode) is independent of the
 * kernel and of the transport: a versioned header then type-length-value
 * attributes, every attribute checked against a size table.
 *
 * Entry points return 0 (or a count) or -errno.  The module never owns a
 * loop: the caller polls repl_ct_event_fd() and calls repl_ct_read_events().
 */
#ifndef MCTX_REPL_CT_H
#define MCTX_REPL_CT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* What happened to an entry (event type / record operation). */
enum repl_ct_op {
	REPL_CT_NEW = 1,
	REPL_CT_UPDATE = 2,
	REPL_CT_DESTROY = 3,
	REPL_CT_OP_MAX
};

/* Addresses in network byte order; IPv4 uses the first 4 bytes, the rest
 * zero.  Ports in host order.  For ICMP, sport holds the echo id and dport
 * holds (type << 8 | code). */
struct repl_ct_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

/* A source or destination translation: the address and port the kernel
 * rewrote to (port 0 when only the address was translated). */
struct repl_ct_nat {
	bool set;
	uint8_t addr[16];
	uint16_t port;
};

/* One conntrack entry as replicated.  Plain data: the codec's unit. */
struct repl_ct_entry {
	uint8_t op;              /* enum repl_ct_op */
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t proto;           /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	uint8_t tcp_state;       /* TCP_CONNTRACK_* (TCP only) */
	uint8_t tcp_flags[2];    /* IP_CT_TCP_FLAG_* original, reply */
	uint8_t tcp_wscale[2];   /* window scale original, reply */
	uint16_t zone;
	uint32_t status;         /* IPS_* bits */
	uint32_t timeout;        /* seconds left */
	uint32_t mark;
	struct repl_ct_tuple orig;
	struct repl_ct_tuple reply;
	struct repl_ct_nat snat; /* IPS_SRC_NAT: reply.dst translated */
	struct repl_ct_nat dnat; /* IPS_DST_NAT: reply.src translated */
};

/* ---- record codec ------------------------------------------------------ */

#define REPL_CT_VERSION 1
/* Largest record repl_ct_encode can produce (IPv6 with both NATs). */
#define REPL_CT_RECORD_MAX 192

/* Appends one record for E to OUT.  -EINVAL if E is not encodable
 * (unknown family/protocol/op). */
int repl_ct_encode(const struct repl_ct_entry *e, struct buf *out);

/* Decodes the record at BYTES (at most LEN bytes).  Returns the record's
 * length (> 0, so a caller can walk a batch) or
 *   -EMSGSIZE  truncated (LEN shorter than the header or the record),
 *   -EPROTO    unknown version,
 *   -EBADMSG   malformed attribute, bad size, missing mandatory attribute,
 *              invalid op/family/protocol.
 * On error *E is left zeroed. */
int repl_ct_decode(const void *bytes, size_t len, struct repl_ct_entry *e);

/* Decodes one ctnetlink conntrack message (NEW or DELETE, as dumps and
 * events carry them; LEN bytes at MSG, the message's own length must fit)
 * into E, with op 0.  -EPROTONOSUPPORT for families and protocols that
 * are not replicated, -EBADMSG for a truncated or malformed message (an
 * attribute past its end, a payload of the wrong size, a missing tuple).
 * On error *E is zeroed. */
int repl_ct_parse_nlmsg(const void *msg, size_t len, struct repl_ct_entry *e);

/* True if E describes a TCP connection to port 80 (the ASA does not
 * replicate HTTP unless `failover replication http`). */
bool repl_ct_is_http(const struct repl_ct_entry *e);

/* ---- kernel access ----------------------------------------------------- */

struct repl_ct;

/* Per failure site, for the xerr/rerr columns of `show failover`. */
struct repl_ct_stats {
	uint64_t dumped;          /* entries delivered by dumps */
	uint64_t events;          /* events delivered */
	uint64_t events_echo;     /* events from our own injections, dropped */
	uint64_t events_lost;     /* ENOBUFS on the event socket (overruns) */
	uint64_t filtered;        /* entries refused by the filter */
	uint64_t skipped_proto;   /* entries of protocols we do not replicate */
	uint64_t parse_err;       /* kernel messages we could not parse */
	uint64_t inject_ok;
	uint64_t inject_eexist;   /* create found it: retried as update */
	uint64_t inject_enoent;   /* update/delete found nothing (update: created) */
	uint64_t inject_ebusy;
	uint64_t inject_enobufs;  /* send or ack queue overflow */
	uint64_t inject_other;    /* any other kernel error */
	/* Entries not installed (or deleted) after their retry, whatever the
	 * reason, plus one per batch whose answers the kernel dropped (some
	 * entry of it may have failed): what the receiver counts in rerr.
	 * The counters above count attempts, a retried entry twice. */
	uint64_t inject_failed;
	uint64_t inject_sendmsg;  /* batches sent */
	uint64_t dump_children;   /* stepwise dumps and flushes forked */
	uint64_t dump_child_failed; /* of them: not started, or ended before
				     * the kernel's answer (MSG_930112) */
};

/* Returned by repl_ct_read_events when the kernel dropped events. */
#define REPL_CT_LOST (-ENOBUFS)

/* Called per entry by dumps and events.  A non-zero return stops a dump
 * and is returned by it. */
typedef int (*repl_ct_entry_fn)(void *arg, const struct repl_ct_entry *e);
/* Replication filter: return true to replicate E. */
typedef bool (*repl_ct_filter_fn)(void *arg, const struct repl_ct_entry *e);

/* Opens conntrack access in namespace NETNS (NULL: the current one). */
int repl_ct_create(const char *netns, struct repl_ct **out);
void repl_ct_destroy(struct repl_ct *ct);

/* Sets (or clears with NULL) the filter applied to dumps and events. */
void repl_ct_set_filter(struct repl_ct *ct, repl_ct_filter_fn fn, void *arg);

/* Dumps the table: FN per entry with op REPL_CT_NEW.  Returns the number
 * of entries delivered or -errno (or FN's non-zero return).  Blocking,
 * for tests and benches: the kernel walks the whole global hash inside
 * it; a loop uses the stepwise dump below. */
int repl_ct_dump(struct repl_ct *ct, repl_ct_entry_fn fn, void *arg);

/* The same dump in steps, so that a caller's event loop keeps running:
 * the conntrack hash is global (a million buckets, every namespace's
 * entries) and the kernel walks all of it inside one call for a small
 * table (180-440 ms), so begin forks a child (repl_ct_child.h) that makes
 * the blocking calls on a socket of its own in the context's namespace and
 * streams the answers back; the steps only read what arrived, never
 * block.  Begin costs one fork (about 1 ms, more for a big daemon) and
 * returns 0 or -errno (socket, pipe or fork failed: counted in
 * dump_child_failed).  A step delivers what is there, stops once MAX
 * entries were delivered (or 4 x MAX messages looked at), and sets *done
 * at the end of the dump or on an error; it returns the entries delivered
 * or -errno: the kernel's error, -EPIPE when the child ended before the
 * dump did (killed, crashed; counted in dump_child_failed and logged),
 * -ECANCELED or FN's -errno when FN returned non-zero.  When a step finds
 * nothing to read, repl_ct_dump_waiting says so: poll repl_ct_dump_fd
 * (readable) before the next step.  Between steps the kernel keeps the
 * dump's place; entries created or removed meanwhile may or may not be
 * seen (the caller's event stream covers them).  One stepwise dump or
 * flush at a time: begin cancels a running one.  Cancel kills the child
 * without waiting for it (a child inside a hash walk dies when the walk
 * returns); it is reaped by a later step, begin or repl_ct_destroy (which
 * waits for it).  Children are reaped by pid only: SIGCHLD and the
 * caller's signal handling are not touched. */
int repl_ct_dump_begin(struct repl_ct *ct);
int repl_ct_dump_step(struct repl_ct *ct, size_t max, repl_ct_entry_fn fn,
		      void *arg, bool *done);
/* True from begin until a step sets *done (or cancel). */
bool repl_ct_dump_running(const struct repl_ct *ct);
/* True when the last step ran out of input: poll the fd. */
bool repl_ct_dump_waiting(const struct repl_ct *ct);
/* The running dump's or flush's pipe (EPOLLIN); -1 none. */
int repl_ct_dump_fd(const struct repl_ct *ct);
/* The running dump's or flush's child process (tests, logs); 0 none. */
pid_t repl_ct_dump_child(const struct repl_ct *ct);
void repl_ct_dump_cancel(struct repl_ct *ct);

/* Deletes every entry of the namespace's table like repl_ct_flush_table,
 * but in a child (the kernel's flush is one walk of the whole global
 * hash): it shares the dump's slot (begin cancels a running dump, the
 * same running/waiting/fd/cancel calls apply), and flush_step sets *done
 * with 0 or -errno once the kernel answered.  Queued injections are sent
 * first.  Begin flushes even an empty table: callers check
 * repl_ct_count first. */
int repl_ct_flush_begin(struct repl_ct *ct);
int repl_ct_flush_step(struct repl_ct *ct, bool *done);

/* Subscribes to NEW/UPDATE/DESTROY events with a receive buffer of
 * RCVBUF bytes (forced beyond rmem_max; 0 picks 16 MB). */
int repl_ct_subscribe(struct repl_ct *ct, size_t rcvbuf);
/* Turns event delivery off or back on without closing the socket (the
 * fd stays the same).  A standby copy has no use for events (they would
 * be the echoes of its own injections), and with no listener the kernel
 * does not even build them: a third of the cost of installing a bulk.
 * Entries keep their event extension (nf_conntrack_events is 1 in the
 * namespace), so they report again once delivery is back on.  Turning it
 * off discards what was queued.  0, -ENOTCONN (not subscribed), -errno. */
int repl_ct_set_events(struct repl_ct *ct, bool on);
bool repl_ct_events_on(const struct repl_ct *ct);
/* The event socket (non-blocking) to poll for input; -1 if unsubscribed. */
int repl_ct_event_fd(const struct repl_ct *ct);
/* Reads what is pending and calls FN per event.  Returns the number
 * delivered, or REPL_CT_LOST once if events were dropped since the last
 * call (the caller must schedule a bulk resync; delivery continues on the
 * next call), or another -errno. */
int repl_ct_read_events(struct repl_ct *ct, repl_ct_entry_fn fn, void *arg);

/* Queues E (op NEW, UPDATE or DESTROY) for injection; sends a batch once
 * it holds BATCH entries.  Returns 0 or -errno (-EINVAL for bad entries). */
int repl_ct_inject(struct repl_ct *ct, const struct repl_ct_entry *e);
/* Sends what is queued and settles the kernel's answers (retries EEXIST
 * as update and update-ENOENT as create).  Returns 0, or the last
 * unrecovered -errno (also counted in the stats). */
int repl_ct_inject_flush(struct repl_ct *ct);
/* Entries per sendmsg (1..REPL_CT_BATCH_MAX; default 64). */
#define REPL_CT_BATCH_MAX 512
int repl_ct_set_batch(struct repl_ct *ct, unsigned n);

/* Injection off the daemon's loop.  Every ctnetlink request takes the
 * kernel's conntrack nfnetlink mutex, one for all namespaces, and a dump
 * of another namespace's table holds it for a whole walk of the global
 * hash (about 70 ms with 150k entries in a hash sized for 1M): an install
 * made from the loop waits as long, and the mate's commands and our hold
 * timers wait behind it.  After repl_ct_writer_start, repl_ct_inject_flush
 * hands each batch to a child process with its own netlink socket in the
 * namespace and returns at once; the child installs the batches in order,
 * with the same retries, and answers each.  The caller polls
 * repl_ct_writer_fd and calls repl_ct_writer_read, which adds the child's
 * counts to the stats and tells FN what the kernel did not take.  Dumps,
 * flushes and the dump/flush children start only once every batch handed
 * over before them is answered, so a flush never overtakes an install.
 * If the child dies, what it had not answered is counted failed (FN too),
 * logged (930113), and injection goes back to the caller's process.
 * Without a writer (tests, tools) injection is synchronous as before. */
struct repl_ct_written {
	uint32_t failed_tcp, failed_udp;   /* records the kernel did not take */
	bool writer_gone;   /* the fd closes when FN returns: stop polling it */
};
typedef void (*repl_ct_written_fn)(void *arg, const struct repl_ct_written *w);
int repl_ct_writer_start(struct repl_ct *ct, repl_ct_written_fn fn, void *arg);
/* Its answers' socket (poll for input), -1 without a writer. */
int repl_ct_writer_fd(const struct repl_ct *ct);
/* Settles the answers there are; their number, or -errno (writer gone). */
int repl_ct_writer_read(struct repl_ct *ct);
/* Batches handed over and not yet answered. */
size_t repl_ct_writer_pending(const struct repl_ct *ct);
/* The child's pid (tests), 0 without a writer. */
pid_t repl_ct_writer_pid(const struct repl_ct *ct);

/* Entries in the namespace's table now (its nf_conntrack_count, every
 * protocol), or -1 if unknown. */
long repl_ct_count(const struct repl_ct *ct);

/* Deletes every entry of the namespace's table in one blocking kernel
 * call (tests, benches; the daemon uses repl_ct_flush_begin): an empty
 * table is left alone (a flush walks the whole global hash). */
int repl_ct_flush_table(struct repl_ct *ct);

const struct repl_ct_stats *repl_ct_get_stats(const struct repl_ct *ct);
void repl_ct_clear_stats(struct repl_ct *ct);

/* The conntrack hash (nf_conntrack_buckets, one for every namespace) is
 * raised to at least MIN buckets: a million entries in the default
 * 262144 buckets install at half the speed.  Never lowered, not restored
 * (a bigger hash costs 8 bytes a bucket).  The kernel takes the write
 * only from the initial network namespace: a caller elsewhere (the daemon
 * in its unit's namespace) enters PID 1's for the write and comes back,
 * which needs CAP_SYS_ADMIN there.  Logs what it did (MSG_930110) or why
 * not (MSG_930111).  Returns the buckets now, or -errno. */
#define REPL_CT_HASH_BUCKETS (1u << 20)
long repl_ct_size_hash(unsigned long min);
/* The buckets the daemon asks for: one per connection the kernel may
 * hold (nf_conntrack_max, rounded up to a power of two), at least
 * REPL_CT_HASH_BUCKETS, at most REPL_CT_HASH_BUCKETS_MAX (64 MB).  An
 * install looks its tuples up three or four times (exists? NAT tuple
 * taken? insert), each a walk of a chain: with 2M entries (a standby's
 * 1M beside the active's 1M on one kernel) in 1M buckets a bulk of 1M
 * took 6.4 s, in 8M buckets 3.9 s.  A bigger hash costs the dumps a
 * longer walk of empty buckets, so no more than that.  CT_MAX <= 0:
 * unknown, the minimum. */
#define REPL_CT_HASH_BUCKETS_MAX (1u << 23)
unsigned long repl_ct_hash_target(long ct_max);
/* nf_conntrack_max (global: the same read from every namespace), or
 * -errno. */
long repl_ct_max(void);

/* Short names for logs and `show` output. */
const char *repl_ct_op_name(enum repl_ct_op op);

#endif
