/*
 * Lab helper for 50_ct_handover.sh: replicates one namespace's connection
 * table into another through the real replication path: repl_ct dump ->
 * repl_mode (bulk sync) -> batches of encoded records -> the mate's
 * repl_mode recv -> repl_ct injection.
 *   50_ct_sync SRC_NS DST_NS      prints "synced N"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replication/repl_ct.h"
#include "replication/repl_mode.h"
#include "system/sys_log.h"

struct link_to {
	const struct repl_mode *ops;
	struct repl_mode_state *peer;
	unsigned batches;
};

/* Delivered at once: the lab has no failover link yet. */
static int deliver(void *arg, const void *batch, size_t len)
{
	struct link_to *l = arg;
	l->batches++;
	return l->ops->recv(l->peer, batch, len);
}

static int no_send(void *arg, const void *batch, size_t len)
{
	(void)arg; (void)batch; (void)len;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SRC_NS DST_NS\n", argv[0]);
		return 2;
	}
	log_init("50_ct_sync", true, LOG_SEV_WARN);
	struct repl_ct *src, *dst;
	if (repl_ct_create(argv[1], &src) || repl_ct_create(argv[2], &dst))
		return 1;
	const struct repl_mode *ops = &repl_mode_bulk;
	struct repl_mode_state *ms, *md;
	struct repl_mode_env denv = { .kernel = dst, .send = no_send };
	if (ops->init(&denv, &md))
		return 1;
	struct link_to link = { .ops = ops, .peer = md };
	struct repl_mode_env senv = { .kernel = src, .send = deliver, .send_arg = &link };
	if (ops->init(&senv, &ms))
		return 1;
	int rc = ops->resync(ms);
	const struct repl_mode_stats *st = ops->stats(md);
	const struct repl_ct_stats *ct = repl_ct_get_stats(dst);
	printf("synced %llu records in %u batches (bulk_received %llu, inject ok %llu, errors %llu)\n",
	       (unsigned long long)st->rx_records, link.batches,
	       (unsigned long long)st->bulk_received,
	       (unsigned long long)ct->inject_ok,
	       (unsigned long long)(ct->inject_other + ct->inject_ebusy + ct->inject_enobufs));
	ops->kill(ms);
	ops->kill(md);
	repl_ct_destroy(src);
	repl_ct_destroy(dst);
	return rc || st->bulk_received != 1 ? 1 : 0;
}
