/*
 * fo_ifsm: the state machine of one monitored interface (ASA's interface
 * monitoring), as pure logic.  No sockets and no clock of its own: the
 * caller passes the monotonic time in milliseconds with every input and
 * calls fo_ifsm_tick() at fo_ifsm_next_deadline().  The tests themselves
 * (link state, rx activity, ARP, broadcast ping) are done by the caller
 * through `struct fo_ifsm_ops`; fo_ifmon.c is the real caller.
 *
 *   Waiting  --hello-->  Normal  --hold expired-->  Testing
 *   Testing  --a test passes-->  Normal (the mate's copy is Failed)
 *   Testing  --every test fails-->  Failed  (retested every hold time)
 *   Testing  --link test fails-->  No Link
 *   any      --link down-->  No Link  --link up-->  Waiting
 *   any      --hello-->  Normal;  no own/mate address: Waiting
 *
 * Waiting until the mate is first heard: a unit alone does not fail its
 * interfaces.  After the mate was heard once, Waiting (link back up) runs
 * the tests when the hold time passes without a hello.
 */
#ifndef MCTX_FO_IFSM_H
#define MCTX_FO_IFSM_H

#include <stdbool.h>
#include <stdint.h>

/* Names are what show failover prints ("Unknown" for FO_IFS_MAX). */
enum fo_if_state {
	FO_IFS_NORMAL,
	FO_IFS_WAITING,
	FO_IFS_TESTING,
	FO_IFS_FAILED,
	FO_IFS_NO_LINK,
	FO_IFS_MAX
};

/* ASA's tests, run in this order. */
enum fo_if_test {
	FO_IF_TEST_LINK,      /* carrier / operstate */
	FO_IF_TEST_ACTIVITY,  /* rx packet counter increases */
	FO_IF_TEST_ARP,       /* ARP requests to recent neighbours, rx */
	FO_IF_TEST_BROADCAST, /* ping to the broadcast address, rx */
	FO_IF_TEST_MAX
};

enum fo_if_verdict {
	FO_IF_PASS,
	FO_IF_FAIL,
	FO_IF_PENDING         /* decided by test_finish after test_ms */
};

struct fo_ifsm_ops {
	/* Start test T: FO_IF_PASS/FAIL now, or FO_IF_PENDING (not for
	 * FO_IF_TEST_LINK, decided at once: FAIL = link down). */
	enum fo_if_verdict (*test_start)(void *ctx, enum fo_if_test t);
	/* The test time of a pending T is over: FO_IF_PASS or FO_IF_FAIL. */
	enum fo_if_verdict (*test_finish)(void *ctx, enum fo_if_test t);
	/* Optional: after every state change. */
	void (*changed)(void *ctx, enum fo_if_state from, enum fo_if_state to);
};

struct fo_ifsm;

/* Starts in Waiting (link assumed up, addresses present).  hold_ms >=
 * 1, test_ms >= 1.  NULL on bad arguments or no memory. */
struct fo_ifsm *fo_ifsm_create(const struct fo_ifsm_ops *ops, void *ctx,
			       uint32_t hold_ms, uint32_t test_ms,
			       uint64_t now_ms);
void fo_ifsm_destroy(struct fo_ifsm *sm);
/* -EINVAL for 0. */
int fo_ifsm_set_times(struct fo_ifsm *sm, uint32_t hold_ms, uint32_t test_ms);

/* Inputs. MATE_STATE: the state the mate reports for its copy. */
void fo_ifsm_hello(struct fo_ifsm *sm, uint64_t now_ms,
		   enum fo_if_state mate_state);
void fo_ifsm_link(struct fo_ifsm *sm, uint64_t now_ms, bool up);
/* Whether this unit and the mate both have an address on the interface. */
void fo_ifsm_addresses(struct fo_ifsm *sm, uint64_t now_ms, bool present);
/* Time passed: hold expiry, test time over. */
void fo_ifsm_tick(struct fo_ifsm *sm, uint64_t now_ms);
/* When fo_ifsm_tick() must be called next; UINT64_MAX = no deadline. */
uint64_t fo_ifsm_next_deadline(const struct fo_ifsm *sm);

enum fo_if_state fo_ifsm_state(const struct fo_ifsm *sm);
/* FO_IFS_MAX until heard. */
enum fo_if_state fo_ifsm_mate_state(const struct fo_ifsm *sm);
/* The test under way, FO_IF_TEST_MAX when none. */
enum fo_if_test fo_ifsm_current_test(const struct fo_ifsm *sm);
/* UINT64_MAX if the mate was never heard. */
uint64_t fo_ifsm_last_hello_ms(const struct fo_ifsm *sm);
/* The test that decided the last test sequence's verdict (passed, or the
 * last that failed), FO_IF_TEST_MAX before any sequence. */
enum fo_if_test fo_ifsm_last_decisive_test(const struct fo_ifsm *sm);

const char *fo_if_state_name(enum fo_if_state s);
const char *fo_if_test_name(enum fo_if_test t);
/* Failed or No Link: counts against interface-policy. */
bool fo_if_state_is_failure(enum fo_if_state s);

#endif
