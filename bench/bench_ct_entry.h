/*
 * bench_ct_entry: the synthetic conntrack entry number I that the
 * benchmarks install (established TCP 10.x.y.z -> 198.51.100.n:443, one in
 * four source-NATed to its own 203.0.113.n address and port, as the
 * kernel's masquerade would pick).  Shared by bench/ct_bulk.c and
 * bench/repl_bench.c so both measure the same population.
 */
#ifndef MCTX_BENCH_CT_ENTRY_H
#define MCTX_BENCH_CT_ENTRY_H

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <string.h>

#include "replication/repl_ct.h"

static inline void bench_ct_entry(unsigned i, struct repl_ct_entry *e)
{
	memset(e, 0, sizeof *e);
	e->op = REPL_CT_NEW;
	e->family = AF_INET;
	e->proto = IPPROTO_TCP;
	e->status = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED;
	e->timeout = 3600;
	e->tcp_state = TCP_CONNTRACK_ESTABLISHED;
	uint32_t src = htonl(0x0a000000u | (i >> 10));        /* 10.x.y.z */
	uint32_t dst = htonl(0xc6336400u | (i & 0xff));       /* 198.51.100.n */
	memcpy(e->orig.src, &src, 4);
	memcpy(e->orig.dst, &dst, 4);
	e->orig.sport = (uint16_t)(10000 + (i & 0x3ff));
	e->orig.dport = 443;
	memcpy(e->reply.src, &dst, 4);
	memcpy(e->reply.dst, &src, 4);
	e->reply.sport = 443;
	e->reply.dport = e->orig.sport;
	if (i % 4 == 0) {
		/* A unique public address:port per translated entry, as the
		 * kernel's masquerade would have chosen. */
		unsigned k = i / 4;
		uint32_t pub = htonl(0xcb007100u | (k / 60000)); /* 203.0.113.n */
		e->status |= IPS_SRC_NAT;
		e->snat.set = true;
		memcpy(e->snat.addr, &pub, 4);
		e->snat.port = (uint16_t)(1024 + k % 60000);
		e->reply.dport = e->snat.port;
		memcpy(e->reply.dst, &pub, 4);
	}
}

#endif
