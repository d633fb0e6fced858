/*
 * repl_arp: neighbour record codec (table-driven, truncation, garbage) and
 * the real kernel: namespaces A and B with a veth of the same name, ARP
 * entries learned in A travel to B; permanent entries stay untouched;
 * deletes, unknown interfaces, events and echo suppression.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "replication/repl_arp.h"
#include "system/sys_buf.h"
#include "system/sys_netns.h"

static struct repl_arp_entry mk4(const char *ifname, const char *ip,
				 uint16_t state)
{
	struct repl_arp_entry e = { .op = REPL_ARP_SET, .family = AF_INET,
				    .state = state, .has_lladdr = true,
				    .lladdr = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 } };
	snprintf(e.ifname, sizeof e.ifname, "%s", ifname);
	assert_int_equal(inet_pton(AF_INET, ip, e.addr), 1);
	return e;
}

static void assert_arp_equal(const struct repl_arp_entry *a,
			     const struct repl_arp_entry *b)
{
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->has_lladdr, b->has_lladdr);
	assert_string_equal(a->ifname, b->ifname);
	assert_memory_equal(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
	if (a->has_lladdr)
		assert_memory_equal(a->lladdr, b->lladdr, 6);
}

/* ---- codec ---------------------------------------------------------------------- */

static void test_codec_roundtrip(void **state)
{
	(void)state;
	struct repl_arp_entry cases[5];
	cases[0] = mk4("inside", "10.0.0.1", NUD_REACHABLE);
	cases[1] = mk4("Ethernet0.1234", "192.0.2.254", NUD_STALE);
	cases[1].flags = NTF_ROUTER;
	cases[2] = mk4("o", "10.0.0.2", NUD_FAILED);
	cases[2].op = REPL_ARP_DEL;
	cases[2].has_lladdr = false;
	memset(cases[2].lladdr, 0, 6);
	cases[3] = mk4("outside", "0.0.0.0", 0xffff);
	cases[3].family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", cases[3].addr), 1);
	cases[4] = mk4("x123456789abcde", "255.255.255.255", NUD_DELAY);  /* 15 chars */
	for (size_t i = 0; i < 5; i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(repl_arp_encode(&cases[i], &b), 0);
		assert_true(b.len <= REPL_ARP_RECORD_MAX);
		struct repl_arp_entry out;
		assert_int_equal(repl_arp_decode(b.data, b.len, &out), (int)b.len);
		assert_arp_equal(&cases[i], &out);
		for (size_t len = 0; len < b.len; len++)
			assert_int_equal(repl_arp_decode(b.data, len, &out), -EMSGSIZE);
		buf_free(&b);
	}
}

static void test_codec_unencodable(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	struct repl_arp_entry e = mk4("in", "10.0.0.1", NUD_REACHABLE);
	e.op = 0;
	assert_int_equal(repl_arp_encode(&e, &b), -EINVAL);
	e = mk4("in", "10.0.0.1", NUD_REACHABLE);
	e.family = AF_PACKET;
	assert_int_equal(repl_arp_encode(&e, &b), -EINVAL);
	e = mk4("", "10.0.0.1", NUD_REACHABLE);
	assert_int_equal(repl_arp_encode(&e, &b), -EINVAL);
	e = mk4("in", "10.0.0.1", NUD_REACHABLE);
	memset(e.ifname, 'a', sizeof e.ifname);      /* no NUL */
	assert_int_equal(repl_arp_encode(&e, &b), -EINVAL);
	e = mk4("in", "10.0.0.1", NUD_REACHABLE);
	e.has_lladdr = false;                        /* SET needs lladdr */
	assert_int_equal(repl_arp_encode(&e, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Record of mk4("eth1", ...): hdr(4) FAMILY(3) IFNAME(2+4) ADDR4(6)
 * LLADDR(8) STATE(4) FLAGS(3) = 34 bytes. */
static const struct { const char *name; size_t off; uint8_t v; int want; } bad_cases[] = {
	{ "version", 0, 7, -EPROTO },
	{ "op", 1, 9, -EBADMSG },
	{ "length small", 3, 1, -EBADMSG },
	{ "length big", 3, 200, -EMSGSIZE },
	{ "type zero", 4, 0, -EBADMSG },
	{ "family size", 5, 2, -EBADMSG },
	{ "family", 6, 99, -EBADMSG },
	{ "ifname size 0", 8, 0, -EBADMSG },
	{ "ifname NUL", 10, 0, -EBADMSG },
	{ "ifname overruns", 8, 60, -EBADMSG },
	{ "addr6 in v4", 13, 4, -EBADMSG },
	{ "duplicate ifname", 13, 2, -EBADMSG },
	{ "lladdr size", 20, 5, -EBADMSG },
};

static void test_codec_bad(void **state)
{
	(void)state;
	struct repl_arp_entry e = mk4("eth1", "10.0.0.1", NUD_REACHABLE), out;
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_arp_encode(&e, &b), 0);
	assert_int_equal(b.len, 34);
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		uint8_t rec[64];
		memcpy(rec, b.data, b.len);
		rec[bad_cases[i].off] = bad_cases[i].v;
		int rc = repl_arp_decode(rec, b.len, &out);
		if (rc != bad_cases[i].want)
			fail_msg("case %s: got %d want %d", bad_cases[i].name, rc, bad_cases[i].want);
	}
	/* SET without lladdr: drop the LLADDR attribute (offset 19, 8 bytes). */
	uint8_t rec[64];
	memcpy(rec, b.data, 19);
	memcpy(rec + 19, b.data + 27, b.len - 27);
	rec[3] = (uint8_t)(b.len - 8);
	assert_int_equal(repl_arp_decode(rec, b.len - 8, &out), -EBADMSG);
	rec[1] = REPL_ARP_DEL;                       /* fine for DEL */
	assert_int_equal(repl_arp_decode(rec, b.len - 8, &out), (int)b.len - 8);
	buf_free(&b);
}

static void test_codec_garbage(void **state)
{
	(void)state;
	unsigned seed = 777;
	struct repl_arp_entry e = mk4("eth1", "10.0.0.1", NUD_REACHABLE), out;
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_arp_encode(&e, &b), 0);
	for (int i = 0; i < 100000; i++) {
		uint8_t rec[96];
		size_t len;
		if (i & 1) {
			memcpy(rec, b.data, b.len);
			len = b.len;
			rec[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		} else {
			len = (size_t)rand_r(&seed) % sizeof rec;
			for (size_t k = 0; k < len; k++)
				rec[k] = (uint8_t)rand_r(&seed);
		}
		int rc = repl_arp_decode(rec, len, &out);
		if (rc > 0) {
			struct buf again;
			buf_init(&again);
			assert_int_equal(repl_arp_encode(&out, &again), 0);
			buf_free(&again);
		} else {
			assert_true(rc == -EMSGSIZE || rc == -EPROTO || rc == -EBADMSG);
		}
	}
	buf_free(&b);
}

/* ---- real kernel ----------------------------------------------------------------- */

struct lab {
	char ns_a[32], ns_b[32], ifname[16], peer[16];
	struct repl_arp *a, *b;
	bool ok;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof *l);
	*state = l;
	int pid = (int)getpid();
	snprintf(l->ns_a, sizeof l->ns_a, "t%dxarpa", pid);
	snprintf(l->ns_b, sizeof l->ns_b, "t%dxarpb", pid);
	snprintf(l->ifname, sizeof l->ifname, "t%dv0", pid);
	snprintf(l->peer, sizeof l->peer, "t%dv1", pid);
	if (netns_create(l->ns_a) || netns_create(l->ns_b))
		return 0;
	const char *ns[2] = { l->ns_a, l->ns_b };
	for (int i = 0; i < 2; i++)
		if (sh("ip -n %s link add %s type veth peer name %s && "
		       "ip -n %s link set %s up && ip -n %s link set %s up && "
		       "ip -n %s addr add 10.9.0.1/24 dev %s",
		       ns[i], l->ifname, l->peer, ns[i], l->ifname, ns[i], l->peer,
		       ns[i], l->ifname))
			return 0;
	if (repl_arp_create(l->ns_a, &l->a) || repl_arp_create(l->ns_b, &l->b))
		return 0;
	l->ok = true;
	return 0;
}

static int lab_teardown(void **state)
{
	struct lab *l = *state;
	repl_arp_destroy(l->a);
	repl_arp_destroy(l->b);
	netns_delete(l->ns_a);   /* takes the veths with it */
	netns_delete(l->ns_b);
	free(l);
	return 0;
}

static struct lab *need_lab(void **state)
{
	struct lab *l = *state;
	if (!l->ok) {
		printf("SKIP: cannot build the namespace/veth lab here\n");
		skip();
	}
	return l;
}

struct collect {
	struct repl_arp_entry v[64];
	size_t n;
};

static int collect_fn(void *arg, const struct repl_arp_entry *e)
{
	struct collect *c = arg;
	if (c->n < 64)
		c->v[c->n++] = *e;
	return 0;
}

static const struct repl_arp_entry *find(const struct collect *c, const char *ip)
{
	uint8_t a[16] = { 0 };
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(fam, ip, a), 1);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].family == fam &&
		    !memcmp(c->v[i].addr, a, fam == AF_INET ? 4 : 16))
			return &c->v[i];
	return NULL;
}

static int install_fn(void *arg, const struct repl_arp_entry *e)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(repl_arp_encode(e, &b), 0);
	struct repl_arp_entry d;
	assert_int_equal(repl_arp_decode(b.data, b.len, &d), (int)b.len);
	buf_free(&b);
	return repl_arp_install(arg, &d);
}

static void test_kernel_dump_install(void **state)
{
	struct lab *l = need_lab(state);
	assert_int_equal(sh("ip -n %s neigh replace 10.9.0.5 lladdr 02:00:00:00:00:05 dev %s nud reachable && "
			    "ip -n %s neigh replace 10.9.0.6 lladdr 02:00:00:00:00:06 dev %s nud stale && "
			    "ip -n %s neigh replace 10.9.0.7 lladdr 02:00:00:00:00:07 dev %s nud permanent && "
			    "ip -n %s neigh replace 2001:db8::6 lladdr 02:00:00:00:00:66 dev %s nud stale",
			    l->ns_a, l->ifname, l->ns_a, l->ifname, l->ns_a, l->ifname,
			    l->ns_a, l->ifname), 0);
	struct collect ca = { .n = 0 };
	assert_int_equal(repl_arp_dump(l->a, collect_fn, &ca), 3);
	assert_null(find(&ca, "10.9.0.7"));          /* permanent: config */
	const struct repl_arp_entry *r = find(&ca, "10.9.0.5");
	assert_non_null(r);
	assert_true(r->state & NUD_REACHABLE);
	assert_string_equal(r->ifname, l->ifname);
	static const uint8_t mac5[6] = { 2, 0, 0, 0, 0, 5 };
	assert_memory_equal(r->lladdr, mac5, 6);

	/* B already has a permanent entry for .6: it must stay. */
	assert_int_equal(sh("ip -n %s neigh replace 10.9.0.6 lladdr 02:00:00:00:00:99 dev %s nud permanent",
			    l->ns_b, l->ifname), 0);
	assert_int_equal(repl_arp_dump(l->a, install_fn, l->b), 3);
	const struct repl_arp_stats *st = repl_arp_get_stats(l->b);
	assert_int_equal(st->install_ok, 2);
	assert_int_equal(st->install_kept, 1);

	struct collect cb = { .n = 0 };
	assert_int_equal(repl_arp_dump(l->b, collect_fn, &cb), 2);
	const struct repl_arp_entry *b5 = find(&cb, "10.9.0.5");
	assert_non_null(b5);
	assert_true(b5->state & NUD_REACHABLE);
	assert_memory_equal(b5->lladdr, mac5, 6);
	const struct repl_arp_entry *b6 = find(&cb, "2001:db8::6");
	assert_non_null(b6);
	assert_true(b6->state & NUD_STALE);
	assert_int_equal(sh("ip -n %s neigh show 10.9.0.6 dev %s | grep -q '02:00:00:00:00:99 PERMANENT'",
			    l->ns_b, l->ifname), 0);

	/* Deletes, twice (second finds nothing), and unknown interfaces. */
	struct repl_arp_entry del = *b5;
	del.op = REPL_ARP_DEL;
	assert_int_equal(repl_arp_install(l->b, &del), 0);
	assert_int_equal(repl_arp_install(l->b, &del), 0);
	assert_int_equal(st->delete_missing, 1);
	cb.n = 0;
	assert_int_equal(repl_arp_dump(l->b, collect_fn, &cb), 1);
	struct repl_arp_entry bad = mk4("nosuch0", "10.9.0.9", NUD_REACHABLE);
	assert_int_equal(repl_arp_install(l->b, &bad), -ENODEV);
	assert_int_equal(st->install_noif, 1);
	bad.op = 0;
	assert_int_equal(repl_arp_install(l->b, &bad), -EINVAL);
}

static void test_kernel_events_and_echo(void **state)
{
	struct lab *l = need_lab(state);
	assert_int_equal(repl_arp_subscribe(l->a), 0);
	assert_int_equal(repl_arp_subscribe(l->a), -EALREADY);
	assert_int_equal(repl_arp_subscribe(l->b), 0);
	assert_true(repl_arp_event_fd(l->a) >= 0);

	assert_int_equal(sh("ip -n %s neigh replace 10.9.0.20 lladdr 02:00:00:00:00:20 dev %s nud reachable",
			    l->ns_a, l->ifname), 0);
	assert_int_equal(sh("ip -n %s neigh del 10.9.0.5 dev %s", l->ns_a, l->ifname), 0);
	struct collect ev = { .n = 0 };
	int n = repl_arp_read_events(l->a, collect_fn, &ev);
	/* A delete is announced as FAILED then deleted: two DELs. */
	assert_true(n >= 2);
	assert_int_equal(ev.n, (size_t)n);
	for (size_t i = 0; i < ev.n; i++) {
		char ip[64];
		inet_ntop(ev.v[i].family, ev.v[i].addr, ip, sizeof ip);
		if (!strcmp(ip, "10.9.0.20"))
			assert_int_equal(ev.v[i].op, REPL_ARP_SET);
		else if (!strcmp(ip, "10.9.0.5"))
			assert_int_equal(ev.v[i].op, REPL_ARP_DEL);
		else
			fail_msg("unexpected event for %s", ip);
	}
	const struct repl_arp_entry *set = find(&ev, "10.9.0.20");
	assert_non_null(set);
	assert_int_equal(set->op, REPL_ARP_SET);
	const struct repl_arp_entry *gone = find(&ev, "10.9.0.5");
	assert_non_null(gone);
	assert_int_equal(gone->op, REPL_ARP_DEL);

	/* Forward to B: B's own listener must not see them as news. */
	for (size_t i = 0; i < ev.n; i++)
		assert_int_equal(repl_arp_install(l->b, &ev.v[i]), 0);
	struct collect echo = { .n = 0 };
	assert_int_equal(repl_arp_read_events(l->b, collect_fn, &echo), 0);
	assert_true(repl_arp_get_stats(l->b)->events_echo >= 1);
	struct collect cb = { .n = 0 };
	repl_arp_dump(l->b, collect_fn, &cb);
	assert_non_null(find(&cb, "10.9.0.20"));
	assert_null(find(&cb, "10.9.0.5"));
}

static void test_kernel_bad_namespace(void **state)
{
	(void)state;
	struct repl_arp *a = (struct repl_arp *)1;
	assert_int_equal(repl_arp_create("t-no-such-ns-arp", &a), -ENOENT);
	assert_null(a);
}

int main(void)
{
	const struct CMUnitTest codec[] = {
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_unencodable),
		cmocka_unit_test(test_codec_bad),
		cmocka_unit_test(test_codec_garbage),
	};
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test(test_kernel_dump_install),
		cmocka_unit_test(test_kernel_events_and_echo),
		cmocka_unit_test(test_kernel_bad_namespace),
	};
	int failed = cmocka_run_group_tests_name("repl_arp codec", codec, NULL, NULL);
	failed += cmocka_run_group_tests_name("repl_arp kernel", kernel,
					      lab_setup, lab_teardown);
	return failed;
}
