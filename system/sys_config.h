/*
 * sys_config: the system execution space's running configuration, as data.
 *
 * Handlers in system/sys_cmds.c change it; sys_config_write() prints it in
 * ASA's order, and that one writer serves `show running-config`,
 * `write memory`, configuration sync to the mate and the checksum.  Lines
 * mctx keeps but does not act on (`pager lines 24`, `ftp mode passive`, ...)
 * are stored verbatim and printed back in their own place.
 */
#ifndef MCTX_SYS_CONFIG_H
#define MCTX_SYS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

#define SYS_NAME_MAX 64
#define SYS_TEXT_MAX 256
#define SYS_MAX_GROUPS 2

/* SYS_FO_*: not FO_ROLE_*, which failover/fo_fsm.h defines for the FSM
 * (both headers meet in failover/fo_unit.c). */
enum fo_unit_role { SYS_FO_NONE = 0, SYS_FO_PRIMARY, SYS_FO_SECONDARY };

struct sys_iface {
	char name[SYS_NAME_MAX];        /* appliance name: Ethernet0.1 */
	char description[SYS_TEXT_MAX];
	int vlan;                       /* subinterfaces; 0 = none */
	bool shutdown;
	bool is_sub;
};

struct sys_alloc {
	char phys[SYS_NAME_MAX];        /* Ethernet0.1 */
	char mapped[SYS_NAME_MAX];      /* inside_context1, or "" */
	bool visible;
};

struct sys_context {
	char name[SYS_NAME_MAX];
	char description[SYS_TEXT_MAX];
	struct sys_alloc *allocs;
	size_t nallocs;
	char config_url[SYS_TEXT_MAX];
	int group;                      /* 0: not set (group 1) */
	char member[SYS_NAME_MAX];      /* resource class; "" = default */
};

struct sys_limit {
	char resource[SYS_NAME_MAX];    /* All, Conns, ASDM, ... */
	long value;
	bool percent;
};

struct sys_class {
	char name[SYS_NAME_MAX];
	struct sys_limit *limits;
	size_t nlimits;
};

struct fo_ifip {
	char ifname[SYS_NAME_MAX];
	uint32_t ip, mask, standby;     /* host byte order */
};

struct fo_group_mac {
	char ifname[SYS_NAME_MAX];
	uint8_t active[6], standby[6];
};

struct fo_group_cfg {
	bool defined;
	enum fo_unit_role pref;         /* primary unless set */
	bool preempt;
	int preempt_delay;              /* seconds; 0 = none given */
	int if_poll_ms;                 /* polltime interface; 0 = default */
	int if_hold_ms;
	bool if_poll_msec;              /* typed in msec */
	int policy;                     /* interface-policy; 0 = default */
	bool policy_percent;
	bool replication_http;
	struct fo_group_mac *macs;
	size_t nmacs;
};

struct sys_failover {
	bool enabled;
	enum fo_unit_role lan_unit;
	bool lan_enable;
	char lan_ifname[SYS_NAME_MAX], lan_phy[SYS_NAME_MAX];
	char link_ifname[SYS_NAME_MAX], link_phy[SYS_NAME_MAX];
	struct fo_ifip ifips[4];
	size_t nifips;
	char key[SYS_TEXT_MAX];         /* "" = none */
	bool key_hex;
	int unit_poll_ms, unit_hold_ms; /* 0 = defaults */
	bool unit_poll_msec, unit_hold_msec;
	struct fo_group_cfg groups[SYS_MAX_GROUPS];
};

struct sys_config {
	char hostname[SYS_NAME_MAX];
	bool mac_auto;
	bool mac_auto_set;              /* `no mac-address auto` typed */
	struct sys_iface *ifaces;
	size_t nifaces;
	struct sys_class *classes;
	size_t nclasses;
	struct sys_failover fo;
	char admin_context[SYS_NAME_MAX];
	struct sys_context *contexts;
	size_t ncontexts;
	char prompt[SYS_TEXT_MAX];      /* "" = default "hostname context" */
	char **verbatim;                /* kept, not acted on */
	size_t nverbatim;
};

/* Defaults ASA shows: unit poll 1 s / hold 15 s; interface 5 s / 25 s. */
#define FO_DEFAULT_UNIT_POLL_MS 1000
#define FO_DEFAULT_UNIT_HOLD_MS 15000
#define FO_DEFAULT_IF_POLL_MS 5000
#define FO_DEFAULT_IF_HOLD_MS 25000

struct sys_config *sys_config_create(void);
void sys_config_destroy(struct sys_config *c);
/* Empties it back to factory defaults. */
void sys_config_clear(struct sys_config *c);

struct sys_iface *sys_config_iface(struct sys_config *c, const char *name,
				   bool create);
bool sys_config_iface_remove(struct sys_config *c, const char *name);
struct sys_context *sys_config_context(struct sys_config *c, const char *name,
				       bool create);
bool sys_config_context_remove(struct sys_config *c, const char *name);
struct sys_class *sys_config_class(struct sys_config *c, const char *name,
				   bool create);
bool sys_config_class_remove(struct sys_config *c, const char *name);
void sys_config_verbatim_add(struct sys_config *c, const char *line);
/* Removes the verbatim line equal to line; false if none. */
bool sys_config_verbatim_remove(struct sys_config *c, const char *line);
/* Effective failover group of a context (admin: always 1). */
int sys_config_context_group(const struct sys_config *c,
			     const struct sys_context *ctx);
/* Which context, if any, holds PHY allocated. */
struct sys_context *sys_config_alloc_owner(struct sys_config *c,
					   const char *phys);

enum sys_write_flags {
	SYS_WRITE_ALL = 1 << 0,        /* include defaults */
	SYS_WRITE_SECRETS = 1 << 1,    /* real key (flash, sync) not ***** */
	SYS_WRITE_FAILOVER = 1 << 2,   /* only the failover section */
	SYS_WRITE_CONTEXTS = 1 << 3,   /* only the context section */
	SYS_WRITE_BODY = 1 << 4,       /* no header/checksum trailer */
};
/* version: e.g. "1.0(1)".  The trailer's checksum is the MD5 of the body. */
void sys_config_write(const struct sys_config *c, const char *version,
		      unsigned flags, struct buf *out);
/* Hex MD5 of a text, as `Cryptochecksum:` shows. */
void sys_config_md5(const char *text, size_t len, char hex[33]);

const char *sys_fo_role_name(enum fo_unit_role r);   /* "Primary"... */
/* MAC "aabb.ccdd.eeff" <-> bytes. */
int sys_parse_mac(const char *s, uint8_t mac[6]);
void sys_format_mac(const uint8_t mac[6], char buf[15]);

#endif
