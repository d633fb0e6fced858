/*
 * sys_log: catalogued, ASA-style logging.
 *
 * Every call site names a message id from a catalogue (system/sys_msgs.c
 * pulls in each subsystem's *_msgs.def).  The id fixes the severity, so the
 * same event is always logged at the same level, and operators can grep for
 * "%MCTX-1-104001" just as they would for "%ASA-1-104001".  ASA's own ids
 * are used where the seeds give them; mctx's own live in 9xxxxx:
 *   9000xx system, 9100xx contexts, 9200xx failover, 9300xx replication,
 *   9400xx vpn.
 */
#ifndef MCTX_SYS_LOG_H
#define MCTX_SYS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_sev {
	LOG_SEV_EMERG = 0, LOG_SEV_ALERT, LOG_SEV_CRIT, LOG_SEV_ERR,
	LOG_SEV_WARN, LOG_SEV_NOTICE, LOG_SEV_INFO, LOG_SEV_DEBUG,
};

struct log_msgdef {
	int id;                 /* ASA-style 6-digit id */
	enum log_sev sev;
	const char *name;       /* short symbolic name */
	const char *explanation;
};

/* Catalogue ids: MSG_<id>.  Add rows to the subsystem's *_msgs.def. */
enum log_msgid {
#define MSG(id, sev, name, expl) MSG_##id,
#include "system/sys_msgs.def"
#include "contexts/ctx_msgs.def"
#include "failover/fo_msgs.def"
#include "replication/repl_msgs.def"
#include "vpn/vpn_msgs.def"
#undef MSG
	MSG_MAX
};

/* to_stderr: -d; else syslog(3).  max_sev: messages above it are dropped. */
void log_init(const char *ident, bool to_stderr, enum log_sev max_sev);
void log_set_level(enum log_sev max_sev);
/* Optionally also append every emitted line to this file (lab tests). */
int log_set_file(const char *path);
void log_close(void);

void mlog(enum log_msgid msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const struct log_msgdef *log_msgdef(enum log_msgid msg);
const struct log_msgdef *log_msgdef_by_id(int id);
size_t log_catalogue_size(void);
/* Parses "emergencies".."debugging" or 0..7; -1 if unknown. */
int log_sev_parse(const char *s);
const char *log_sev_name(enum log_sev sev);

/* Recent messages kept in memory for `show logging`: calls fn per line. */
void log_ring_walk(void (*fn)(const char *line, void *arg), void *arg);

#endif
