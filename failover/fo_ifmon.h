/*
 * fo_ifmon: failover monitoring of one data interface (`monitor-interface
 * NAMEIF` inside a context), as ASA does it.
 *
 * Both units send small UDP hellos to each other over the monitored
 * interface every interface poll time (`polltime interface`, default 5 s,
 * hold 25 s), from this unit's address on that interface (active or standby
 * address) to the mate's, on a socket opened inside the context's network
 * namespace and bound to the interface.  While hellos arrive the interface
 * is Normal.  When none arrived for the hold time, ASA's tests run in
 * order, each for the test time:
 *   1. link state   the Linux link's carrier/operstate ("No Link" if down);
 *   2. activity     the link's rx packet counter increases;
 *   3. ARP          ARP requests for the most recent neighbour entries of
 *                   the interface; any rx counts;
 *   4. broadcast    an ICMP echo to the subnet broadcast; any rx counts.
 * All failing: the interface is Failed.  Any passing: the interface works
 * and the mate's copy is the broken one (ours stays Normal, the mate's
 * shows Failed).  A link going down is seen at once (netlink link events)
 * and gives "No Link" from any state.  Without an own or mate address no
 * hello can be sent: the interface stays "Waiting" (the seed's note), as it
 * does until the mate is first heard.
 *
 * Each hello carries the sender's state of the interface, so `show
 * failover` can print the "Other host" lines, and a random sender id so a
 * unit ignores its own hellos when addresses move during a takeover.
 *
 * The context firewall drops traffic to the box except its `to_box`
 * entries: UDP port FO_IFMON_UDP_PORT (or cfg.port) must be listed there.
 *
 * Driven by the daemon's event loop: create() adds its descriptors and
 * timers to LOOP; no threads.  The state machine itself is fo_ifsm.h (pure,
 * fake-clock testable); the policy (`interface-policy`) is below.
 */
#ifndef MCTX_FO_IFMON_H
#define MCTX_FO_IFMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "failover/fo_ifsm.h"
#include "system/sys_buf.h"
#include "system/sys_loop.h"

/* The UDP port of interface hellos (to open in the context firewall). */
#define FO_IFMON_UDP_PORT 10105

/* ASA's defaults for `polltime interface`. */
#define FO_IFMON_DEFAULT_POLL_MS 5000
#define FO_IFMON_DEFAULT_HOLD_MS 25000

struct fo_ifmon_cfg {
	const char *context;   /* context name, for show failover and logs */
	const char *nameif;    /* "inside": show/log name */
	const char *netns;     /* context's namespace; NULL or "" = current */
	const char *ifname;    /* the Linux link inside NETNS */
	uint32_t own_ip;       /* this unit's address on it, host order;
				  0 = none (Waiting) */
	uint32_t mate_ip;      /* the mate's address, host order; 0 = none */
	uint32_t poll_ms;      /* 0 = FO_IFMON_DEFAULT_POLL_MS */
	uint32_t hold_ms;      /* 0 = FO_IFMON_DEFAULT_HOLD_MS; >= 2 x poll */
	uint32_t test_ms;      /* length of each test; 0 = poll time, at most
				  5 s and at least 100 ms */
	uint16_t port;         /* UDP port; 0 = FO_IFMON_UDP_PORT */
};

struct fo_ifmon;

/* Called after every change of this unit's state of the interface (not
 * from inside fo_ifmon_destroy).  The callback may query M and call
 * fo_ifmon_policy_exceeded(), but not destroy M. */
typedef void (*fo_ifmon_change_cb)(void *arg, struct fo_ifmon *m,
				   enum fo_if_state from, enum fo_if_state to);

/*
 * Opens the hello socket and a link-event netlink socket inside
 * cfg->netns, bound to cfg->ifname, and starts polling.  Returns 0, or
 * -EINVAL (bad cfg), -ENOENT (no such namespace), -ENODEV (no such link
 * in it), other -errno from the sockets.  CB may be NULL.
 */
int fo_ifmon_create(struct ev_loop *loop, const struct fo_ifmon_cfg *cfg,
		    fo_ifmon_change_cb cb, void *cb_arg,
		    struct fo_ifmon **out);
/* Closes the sockets, removes them and the timers from the loop. */
void fo_ifmon_destroy(struct fo_ifmon *m);

/* After a takeover (active/standby addresses swapped) or a config change:
 * this unit's and the mate's address on the interface, host order.  Either
 * 0: Waiting.  Returns 0. */
int fo_ifmon_set_addresses(struct fo_ifmon *m, uint32_t own_ip,
			   uint32_t mate_ip);
/* `polltime interface`: 0 = default; -EINVAL when hold < 2 x poll. */
int fo_ifmon_set_timers(struct fo_ifmon *m, uint32_t poll_ms,
			uint32_t hold_ms);

/* This unit's state of the interface. */
enum fo_if_state fo_ifmon_state(const struct fo_ifmon *m);
/* The mate's state as it last reported it; FO_IFS_FAILED when our tests
 * passed while the mate stayed silent; FO_IFS_MAX ("Unknown") when never
 * heard. */
enum fo_if_state fo_ifmon_mate_state(const struct fo_ifmon *m);
/* Milliseconds since the last hello from the mate; UINT64_MAX if never. */
uint64_t fo_ifmon_mate_silent_ms(const struct fo_ifmon *m);
/* Sends a hello now asking the mate to answer at once (the FSM's
 * test_mate_on_data_interfaces: then look at fo_ifmon_mate_silent_ms()
 * after a short wait).  Returns 0 or -errno from the send. */
int fo_ifmon_probe_mate(struct fo_ifmon *m);

const char *fo_ifmon_context(const struct fo_ifmon *m);
const char *fo_ifmon_nameif(const struct fo_ifmon *m);

/* One line of show failover / show monitor-interface, with newline:
 * "[context1 ]Interface inside (192.168.1.1): Normal" for this unit, or
 * with MATE the mate's address and state. */
void fo_ifmon_format_line(const struct fo_ifmon *m, bool mate,
			  bool with_context, struct buf *out);

/* Counters (hellos and drops). */
enum fo_ifmon_counter {
	FO_IFMON_TX,             /* hellos sent */
	FO_IFMON_TX_ERR,         /* sendmsg failed (e.g. address not yet up) */
	FO_IFMON_RX,             /* valid hellos from the mate */
	FO_IFMON_DROP_SHORT,     /* truncated datagram */
	FO_IFMON_DROP_MAGIC,     /* not a hello (magic/version/length) */
	FO_IFMON_DROP_SOURCE,    /* from neither interface address */
	FO_IFMON_DROP_SELF,      /* our own hello (sender id) */
	FO_IFMON_TESTS_RUN,      /* test sequences started */
	FO_IFMON_COUNTER_MAX
};
uint64_t fo_ifmon_counter(const struct fo_ifmon *m, enum fo_ifmon_counter c);
const char *fo_ifmon_counter_name(enum fo_ifmon_counter c);

/*
 * `interface-policy N|N%` of a failover group: true when the failed
 * interfaces (Failed or No Link) among the group's N_STATES monitored
 * interfaces reach the policy: count >= VALUE, or with PERCENT,
 * count * 100 >= VALUE * n_states (and at least one failed).  VALUE 0 =
 * default 1.  Feed FO_EV_IF_FAILED when it becomes true, FO_EV_IF_OK when
 * it becomes false (fo_fsm.h).  No interfaces: false.
 */
bool fo_ifmon_policy_exceeded(const enum fo_if_state *states, size_t n_states,
			      unsigned value, bool percent);
/* Same over monitors (NULL entries are skipped). */
bool fo_ifmon_group_exceeded(struct fo_ifmon *const *mons, size_t n,
			     unsigned value, bool percent);
/* Number of Failed / No Link entries. */
size_t fo_ifmon_failed_count(const enum fo_if_state *states,
			     size_t n_states);

#endif
