/*
 * fo_ifsm: state machine of one monitored interface (see fo_ifsm.h).
 *
 * One assignment point (ifsm_set_state) so every change reaches
 * ops->changed.  Deadlines are absolute monotonic milliseconds given by
 * the caller, which makes the machine testable with a fake clock.
 */
#include "failover/fo_ifsm.h"

#include <errno.h>
#include <stdlib.h>

struct fo_ifsm {
	const struct fo_ifsm_ops *ops;
	void *ctx;
	uint32_t hold_ms, test_ms;
	enum fo_if_state state;
	enum fo_if_state mate_state;   /* FO_IFS_MAX: never heard */
	bool link_up;
	bool addresses;
	bool mate_ever_heard;
	uint64_t last_hello_ms;        /* UINT64_MAX: never */
	uint64_t quiet_since_ms;       /* start of the current hold period */
	enum fo_if_test test;          /* FO_IF_TEST_MAX: none running */
	uint64_t test_deadline_ms;
	bool retest;                   /* tests run from Failed (state kept) */
	enum fo_if_test decisive;
};

static const char *const if_state_names[] = {
	[FO_IFS_NORMAL] = "Normal",
	[FO_IFS_WAITING] = "Waiting",
	[FO_IFS_TESTING] = "Testing",
	[FO_IFS_FAILED] = "Failed",
	[FO_IFS_NO_LINK] = "No Link",
};
_Static_assert(sizeof(if_state_names) / sizeof(if_state_names[0]) ==
	       FO_IFS_MAX, "fo_if_state names");

static const char *const if_test_names[] = {
	[FO_IF_TEST_LINK] = "link state",
	[FO_IF_TEST_ACTIVITY] = "network activity",
	[FO_IF_TEST_ARP] = "ARP",
	[FO_IF_TEST_BROADCAST] = "broadcast ping",
};
_Static_assert(sizeof(if_test_names) / sizeof(if_test_names[0]) ==
	       FO_IF_TEST_MAX, "fo_if_test names");

const char *fo_if_state_name(enum fo_if_state s)
{
	if ((unsigned)s >= FO_IFS_MAX)
		return "Unknown";
	return if_state_names[s];
}

const char *fo_if_test_name(enum fo_if_test t)
{
	if ((unsigned)t >= FO_IF_TEST_MAX)
		return "?";
	return if_test_names[t];
}

bool fo_if_state_is_failure(enum fo_if_state s)
{
	return s == FO_IFS_FAILED || s == FO_IFS_NO_LINK;
}

static void ifsm_set_state(struct fo_ifsm *sm, enum fo_if_state to)
{
	enum fo_if_state from = sm->state;

	if (from == to)
		return;
	sm->state = to;
	if (sm->ops->changed)
		sm->ops->changed(sm->ctx, from, to);
}

static void ifsm_stop_tests(struct fo_ifsm *sm)
{
	sm->test = FO_IF_TEST_MAX;
	sm->retest = false;
}

/* The sequence ended: PASSED means the interface works. */
static void ifsm_tests_done(struct fo_ifsm *sm, uint64_t now_ms, bool passed)
{
	ifsm_stop_tests(sm);
	sm->quiet_since_ms = now_ms;
	if (passed) {
		/* Our side receives traffic: the silent side is the mate's. */
		sm->mate_state = FO_IFS_FAILED;
		ifsm_set_state(sm, FO_IFS_NORMAL);
	} else {
		ifsm_set_state(sm, FO_IFS_FAILED);
	}
}

/* Starts tests from T on; runs instant verdicts through. */
static void ifsm_run_from(struct fo_ifsm *sm, uint64_t now_ms,
			  enum fo_if_test t)
{
	for (; t < FO_IF_TEST_MAX; t++) {
		enum fo_if_verdict v = sm->ops->test_start(sm->ctx, t);

		sm->decisive = t;
		if (t == FO_IF_TEST_LINK) {
			/* Decided at once; an up link only lets the other
			 * tests run. */
			if (v != FO_IF_FAIL)
				continue;
			/* Link down: no other test can pass. */
			ifsm_stop_tests(sm);
			sm->link_up = false;
			ifsm_set_state(sm, FO_IFS_NO_LINK);
			return;
		}
		if (v == FO_IF_PENDING) {
			sm->test = t;
			sm->test_deadline_ms = now_ms + sm->test_ms;
			return;
		}
		if (v == FO_IF_PASS) {
			ifsm_tests_done(sm, now_ms, true);
			return;
		}
	}
	ifsm_tests_done(sm, now_ms, false);
}

static void ifsm_start_tests(struct fo_ifsm *sm, uint64_t now_ms)
{
	sm->retest = sm->state == FO_IFS_FAILED;
	if (!sm->retest)
		ifsm_set_state(sm, FO_IFS_TESTING);
	ifsm_run_from(sm, now_ms, FO_IF_TEST_LINK);
}

struct fo_ifsm *fo_ifsm_create(const struct fo_ifsm_ops *ops, void *ctx,
			       uint32_t hold_ms, uint32_t test_ms,
			       uint64_t now_ms)
{
	struct fo_ifsm *sm;

	if (!ops || !ops->test_start || !ops->test_finish || !hold_ms ||
	    !test_ms)
		return NULL;
	sm = calloc(1, sizeof(*sm));
	if (!sm)
		return NULL;
	sm->ops = ops;
	sm->ctx = ctx;
	sm->hold_ms = hold_ms;
	sm->test_ms = test_ms;
	sm->state = FO_IFS_WAITING;
	sm->mate_state = FO_IFS_MAX;
	sm->link_up = true;
	sm->addresses = true;
	sm->last_hello_ms = UINT64_MAX;
	sm->quiet_since_ms = now_ms;
	sm->test = FO_IF_TEST_MAX;
	sm->decisive = FO_IF_TEST_MAX;
	return sm;
}

void fo_ifsm_destroy(struct fo_ifsm *sm)
{
	free(sm);
}

int fo_ifsm_set_times(struct fo_ifsm *sm, uint32_t hold_ms, uint32_t test_ms)
{
	if (!hold_ms || !test_ms)
		return -EINVAL;
	sm->hold_ms = hold_ms;
	sm->test_ms = test_ms;
	return 0;
}

void fo_ifsm_hello(struct fo_ifsm *sm, uint64_t now_ms,
		   enum fo_if_state mate_state)
{
	sm->last_hello_ms = now_ms;
	sm->quiet_since_ms = now_ms;
	sm->mate_ever_heard = true;
	sm->mate_state = (unsigned)mate_state < FO_IFS_MAX ? mate_state
							  : FO_IFS_MAX;
	/* A hello proves the path works, but not a downed link of ours (a
	 * late datagram): link events decide that. */
	if (!sm->link_up || !sm->addresses)
		return;
	ifsm_stop_tests(sm);
	ifsm_set_state(sm, FO_IFS_NORMAL);
}

void fo_ifsm_link(struct fo_ifsm *sm, uint64_t now_ms, bool up)
{
	if (up == sm->link_up)
		return;
	sm->link_up = up;
	ifsm_stop_tests(sm);
	sm->quiet_since_ms = now_ms;
	if (!up)
		ifsm_set_state(sm, FO_IFS_NO_LINK);
	else
		ifsm_set_state(sm, FO_IFS_WAITING);
}

void fo_ifsm_addresses(struct fo_ifsm *sm, uint64_t now_ms, bool present)
{
	if (present == sm->addresses)
		return;
	sm->addresses = present;
	sm->quiet_since_ms = now_ms;
	if (!sm->link_up)
		return;
	ifsm_stop_tests(sm);
	ifsm_set_state(sm, FO_IFS_WAITING);
}

/* Whether a quiet hold period leads to tests in the current state. */
static bool ifsm_hold_applies(const struct fo_ifsm *sm)
{
	if (!sm->link_up || !sm->addresses || sm->test != FO_IF_TEST_MAX)
		return false;
	switch (sm->state) {
	case FO_IFS_NORMAL:
	case FO_IFS_FAILED:
		return true;
	case FO_IFS_WAITING:
		return sm->mate_ever_heard;
	case FO_IFS_TESTING:
	case FO_IFS_NO_LINK:
	case FO_IFS_MAX:
		break;
	}
	return false;
}

uint64_t fo_ifsm_next_deadline(const struct fo_ifsm *sm)
{
	if (sm->test != FO_IF_TEST_MAX)
		return sm->test_deadline_ms;
	if (ifsm_hold_applies(sm))
		return sm->quiet_since_ms + sm->hold_ms;
	return UINT64_MAX;
}

void fo_ifsm_tick(struct fo_ifsm *sm, uint64_t now_ms)
{
	if (sm->test != FO_IF_TEST_MAX) {
		enum fo_if_test t = sm->test;

		if (now_ms < sm->test_deadline_ms)
			return;
		if (sm->ops->test_finish(sm->ctx, t) == FO_IF_PASS) {
			ifsm_tests_done(sm, now_ms, true);
			return;
		}
		ifsm_run_from(sm, now_ms, t + 1);
		return;
	}
	if (ifsm_hold_applies(sm) && now_ms >= sm->quiet_since_ms + sm->hold_ms)
		ifsm_start_tests(sm, now_ms);
}

enum fo_if_state fo_ifsm_state(const struct fo_ifsm *sm)
{
	return sm->state;
}

enum fo_if_state fo_ifsm_mate_state(const struct fo_ifsm *sm)
{
	return sm->mate_state;
}

enum fo_if_test fo_ifsm_current_test(const struct fo_ifsm *sm)
{
	return sm->test;
}

uint64_t fo_ifsm_last_hello_ms(const struct fo_ifsm *sm)
{
	return sm->last_hello_ms;
}

enum fo_if_test fo_ifsm_last_decisive_test(const struct fo_ifsm *sm)
{
	return sm->decisive;
}
