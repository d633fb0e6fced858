/*
 * ctx_fw_priv: what ctx_fw.c (policy, ruleset, access-list counters) and
 * ctx_fw_show.c (conntrack shows) share.  Not a public interface: only
 * those two files include it.
 */
#ifndef MCTX_CTX_FW_PRIV_H
#define MCTX_CTX_FW_PRIV_H

#include <limits.h>
#include <time.h>

#include "contexts/ctx_fw.h"

struct ctx_fw {
	char netns[NAME_MAX + 1];
	/* Deep copy of the policy last applied (NULL before the first apply):
	 * the shows name interfaces and ACEs with it. */
	struct ctx_fw_policy *applied;
	struct timespec applied_at;     /* CLOCK_MONOTONIC */
	unsigned conn_peak;             /* "most used" of show conn */
	unsigned xlate_peak;            /* "most used" of show xlate */
};

/* Dotted quad of a host-order address into a static-free caller buffer. */
char *fw_ip_str(uint32_t ip, char out[16]);
/* Prefix length of a contiguous mask, or -1. */
int fw_mask_len(uint32_t mask);
/* H:MM:SS, as ASA prints idle times and timeouts. */
void fw_hms(struct buf *out, uint64_t seconds);
/* The interface whose subnet (or, failing that, route) holds IP. */
const struct ctx_fw_ifc *fw_ifc_for_addr(const struct ctx_fw_policy *p,
					 uint32_t ip);
const struct ctx_fw_ifc *fw_ifc_by_nameif(const struct ctx_fw_policy *p,
					  const char *nameif);
/* Reads an integer sysctl under /proc/sys/net/netfilter/ in the current
 * namespace; -errno when absent. */
long fw_nf_sysctl_read(const char *name);

#endif
