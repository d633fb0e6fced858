/*
 * repl_arp: one context's neighbour (ARP/ND) table, for stateful failover.
 *
 * The ASA passes the ARP table to the standby so the new active unit can
 * forward at once instead of resolving every next hop again.  A struct
 * repl_arp is bound to one namespace (like repl_ct) and uses libnl-route-3
 * to dump the table, follow its events and install entries from the mate.
 *
 * Which entries travel: learned ones that are usable (REACHABLE, STALE,
 * DELAY, PROBE).  Static configuration (PERMANENT, NOARP) is replicated as
 * configuration, not here, and an existing PERMANENT/NOARP entry on the
 * receiving side is never overwritten.  Entries are installed REACHABLE if
 * they were REACHABLE on the mate, STALE otherwise (the kernel re-verifies
 * a STALE entry with a unicast probe when it is first used).
 *
 * Interfaces travel by name: ifindexes differ between units, names are
 * what the context configuration gives both units.
 */
#ifndef MCTX_REPL_ARP_H
#define MCTX_REPL_ARP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum repl_arp_op {
	REPL_ARP_SET = 1,     /* learned or changed */
	REPL_ARP_DEL = 2,     /* gone */
	REPL_ARP_OP_MAX
};

#define REPL_ARP_IFNAME_MAX 16    /* IFNAMSIZ, with the NUL */

struct repl_arp_entry {
	uint8_t op;                       /* enum repl_arp_op */
	uint8_t family;                   /* AF_INET or AF_INET6 */
	uint8_t flags;                    /* NTF_* (router, ...) */
	bool has_lladdr;
	uint16_t state;                   /* NUD_* on the sender */
	char ifname[REPL_ARP_IFNAME_MAX];
	uint8_t addr[16];                 /* network order; IPv4 in 4 bytes */
	uint8_t lladdr[6];
};

#define REPL_ARP_VERSION 1
#define REPL_ARP_RECORD_MAX 64

/* Appends one record; -EINVAL for an unencodable entry (bad op, family,
 * empty or over-long interface name, SET without link-layer address). */
int repl_arp_encode(const struct repl_arp_entry *e, struct buf *out);
/* Returns the record's length (> 0) or -EMSGSIZE (truncated), -EPROTO
 * (version), -EBADMSG (malformed).  *E is zeroed on error. */
int repl_arp_decode(const void *bytes, size_t len, struct repl_arp_entry *e);

/* ---- kernel access ----------------------------------------------------- */

struct repl_arp;

struct repl_arp_stats {
	uint64_t dumped, events;
	uint64_t events_echo;      /* our own installs, dropped */
	uint64_t events_lost;      /* overruns: resync needed */
	uint64_t skipped;          /* not replicated (state, lo, no lladdr) */
	uint64_t install_ok;
	uint64_t install_kept;     /* local PERMANENT/NOARP left alone */
	uint64_t install_noif;     /* interface name unknown here */
	uint64_t install_err;      /* kernel refused */
	uint64_t delete_missing;   /* delete of an entry already gone */
};

#define REPL_ARP_LOST (-ENOBUFS)

typedef int (*repl_arp_entry_fn)(void *arg, const struct repl_arp_entry *e);

int repl_arp_create(const char *netns, struct repl_arp **out);
void repl_arp_destroy(struct repl_arp *arp);

/* Calls FN (op SET) per replicable entry; returns the count or -errno. */
int repl_arp_dump(struct repl_arp *arp, repl_arp_entry_fn fn, void *arg);

/* Neighbour events: subscribe, poll the fd, read.  read returns the number
 * delivered or REPL_ARP_LOST (caller resyncs) or -errno. */
int repl_arp_subscribe(struct repl_arp *arp);
int repl_arp_event_fd(const struct repl_arp *arp);
int repl_arp_read_events(struct repl_arp *arp, repl_arp_entry_fn fn, void *arg);

/* Applies a record from the mate to this namespace.  Returns 0 (also when
 * a local permanent entry was deliberately kept) or -errno. */
int repl_arp_install(struct repl_arp *arp, const struct repl_arp_entry *e);

const struct repl_arp_stats *repl_arp_get_stats(const struct repl_arp *arp);

#endif
