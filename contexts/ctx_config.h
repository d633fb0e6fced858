/*
 * ctx_config: one security context's running configuration, as data.
 *
 * contexts/ctx_cmds.c changes it; ctx_config_write() prints it in ASA's
 * order (the one writer for show running-config, write memory, config-url
 * files, sync to the mate and the per-context digest).  The kernel layers
 * (ctx_ns, ctx_fw) receive plain structs derived from it.
 */
#ifndef MCTX_CTX_CONFIG_H
#define MCTX_CTX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

#define CTX_NAME_MAX 64
#define CTX_TEXT_MAX 256

struct ctx_iface {
	char name[CTX_NAME_MAX];        /* as allocated: inside_context1 */
	char nameif[CTX_NAME_MAX];      /* "" = none */
	char description[CTX_TEXT_MAX];
	int security_level;             /* -1 = not set */
	bool has_ip;
	uint32_t ip, mask, standby;     /* host order; standby 0 = none */
	bool has_mac, has_mac_standby;
	uint8_t mac[6], mac_standby[6];
	bool shutdown;
	int mtu;                        /* 0 = default 1500 */
	bool monitored;                 /* monitor-interface NAMEIF */
};

enum ctx_addr_kind { CTX_ADDR_ANY, CTX_ADDR_HOST, CTX_ADDR_NET,
		     CTX_ADDR_OBJECT };
enum ctx_port_op { CTX_PORT_NONE, CTX_PORT_EQ, CTX_PORT_NEQ, CTX_PORT_LT,
		   CTX_PORT_GT, CTX_PORT_RANGE };

struct ctx_addr {
	enum ctx_addr_kind kind;
	uint32_t ip, mask;
	char object[CTX_NAME_MAX];
};

struct ctx_port {
	enum ctx_port_op op;
	int lo, hi;
	char text[32];                  /* as typed: "www" */
	char text2[32];
};

struct ctx_ace {
	char acl[CTX_NAME_MAX];
	bool remark;
	char remark_text[CTX_TEXT_MAX];
	bool permit;
	char proto[16];                 /* ip tcp udp icmp or a number */
	struct ctx_addr src, dst;
	struct ctx_port sport, dport;
};

struct ctx_access_group {
	char acl[CTX_NAME_MAX];
	char nameif[CTX_NAME_MAX];
	bool out;                       /* in interface by default */
};

struct ctx_cfg_route {
	char nameif[CTX_NAME_MAX];
	uint32_t net, mask, gw;
	int metric;
};

struct ctx_static {
	char real_if[CTX_NAME_MAX], mapped_if[CTX_NAME_MAX];
	uint32_t mapped, real, mask;
};

enum ctx_obj_kind { CTX_OBJ_NONE, CTX_OBJ_HOST, CTX_OBJ_SUBNET,
		    CTX_OBJ_RANGE };

struct ctx_object {
	char name[CTX_NAME_MAX];
	enum ctx_obj_kind kind;
	uint32_t a, b;                  /* host; subnet net/mask; range lo/hi */
	bool has_nat;
	char real_if[CTX_NAME_MAX], mapped_if[CTX_NAME_MAX];
	bool nat_static;                /* static vs dynamic */
	bool nat_interface;             /* mapped to the interface (PAT) */
	uint32_t nat_mapped;
};

enum ctx_timeout { CTX_TO_XLATE, CTX_TO_CONN, CTX_TO_HALF_CLOSED, CTX_TO_UDP,
		   CTX_TO_ICMP, CTX_TO_MAX };

struct ctx_config {
	char name[CTX_NAME_MAX];
	char hostname[CTX_NAME_MAX];
	struct ctx_iface *ifaces;
	size_t nifaces;
	struct ctx_ace *aces;
	size_t naces;
	struct ctx_access_group *groups;
	size_t ngroups;
	struct ctx_cfg_route *routes;
	size_t nroutes;
	struct ctx_static *statics;
	size_t nstatics;
	struct ctx_object *objects;
	size_t nobjects;
	long timeouts[CTX_TO_MAX];      /* seconds */
	char **verbatim;                /* kept, not acted on */
	size_t nverbatim;
};

struct ctx_config *ctx_config_create(const char *name);
void ctx_config_destroy(struct ctx_config *c);
void ctx_config_clear(struct ctx_config *c);

struct ctx_iface *ctx_config_iface(struct ctx_config *c, const char *name,
				   bool create);
/* Removes interface NAME and every route, access-group, static and
 * object NAT that uses its nameif (deallocation). */
bool ctx_config_iface_remove(struct ctx_config *c, const char *name);
struct ctx_iface *ctx_config_nameif(struct ctx_config *c, const char *nameif);
void ctx_config_ace_add(struct ctx_config *c, const struct ctx_ace *ace);
/* Removes the ACE equal to *ace (one), or the whole ACL when ace->acl is
 * the only field that matters (whole == true).  Returns count removed. */
size_t ctx_config_ace_remove(struct ctx_config *c, const struct ctx_ace *ace,
			     bool whole);
bool ctx_config_acl_exists(const struct ctx_config *c, const char *acl);
struct ctx_object *ctx_config_object(struct ctx_config *c, const char *name,
				     bool create);
void ctx_config_verbatim_add(struct ctx_config *c, const char *line);
bool ctx_config_verbatim_remove(struct ctx_config *c, const char *line);
/* Appends a continuation line to the last verbatim entry (blocks). */
void ctx_config_verbatim_append(struct ctx_config *c, const char *line);

extern const long ctx_timeout_default[CTX_TO_MAX];
const char *ctx_timeout_name(enum ctx_timeout t);

/* Formats one ACE as its configuration line (without a newline). */
void ctx_ace_format(const struct ctx_ace *ace, struct buf *out);

enum ctx_write_flags {
	CTX_WRITE_ALL = 1 << 0,
	CTX_WRITE_BODY = 1 << 1,        /* no header/trailer */
};
void ctx_config_write(const struct ctx_config *c, const char *version,
		      unsigned flags, struct buf *out);

#endif
