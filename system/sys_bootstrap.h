/*
 * sys_bootstrap: the daemon's libconfig bootstrap file (schemas/mctxd.conf.md).
 * It says who this unit is and where its state lives; everything an
 * operator configures lives in the flash, not here.
 */
#ifndef MCTX_SYS_BOOTSTRAP_H
#define MCTX_SYS_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#define BOOT_PATH_MAX 256
#define BOOT_NAME_MAX 64

struct boot_iface {
	char name[BOOT_NAME_MAX];     /* appliance name: GigabitEthernet0/1 */
	char link[16];                /* Linux link name */
};

struct bootstrap {
	char unit[BOOT_NAME_MAX];
	char state_dir[BOOT_PATH_MAX];
	char console_socket[BOOT_PATH_MAX];
	char console_group[BOOT_NAME_MAX];
	/* "" = none; else <dir>/<context>.sock per context, each session
	 * confined to its context (issue 3, isolation). */
	char context_console_dir[BOOT_PATH_MAX];
	char netns_prefix[32];
	char netns[BOOT_NAME_MAX];    /* "" = stay where started */
	int log_level;
	char log_file[BOOT_PATH_MAX];
	bool kernel;                  /* false: configuration model only */
	struct boot_iface *ifaces;
	size_t nifaces;
};

/* Reads path; on error returns -1 and writes "FILE:LINE: reason" to err. */
int bootstrap_load(const char *path, struct bootstrap *b, char *err,
		   size_t errlen);
void bootstrap_free(struct bootstrap *b);
/* Linux link for an appliance interface name: the inventory's mapping, or
 * the name itself.  NULL when the name cannot be a Linux link name. */
const char *bootstrap_link_for(const struct bootstrap *b, const char *name);

#endif
