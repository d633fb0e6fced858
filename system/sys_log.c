/*
 * sys_log: see sys_log.h.  Lines look like ASA's:
 *   %MCTX-1-104001: (Primary) Switching to ACTIVE - ...
 * A small ring keeps recent lines for `show logging`; repeats of one id are
 * limited to a burst per second so a flapping link cannot flood syslog.
 */
#include "system/sys_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const struct log_msgdef catalogue[] = {
#define MSG(id, sev, name, expl) { id, sev, name, expl },
#include "system/sys_msgs.def"
#include "contexts/ctx_msgs.def"
#include "failover/fo_msgs.def"
#include "replication/repl_msgs.def"
#include "vpn/vpn_msgs.def"
#undef MSG
};
_Static_assert(sizeof catalogue / sizeof catalogue[0] == MSG_MAX,
	       "catalogue and enum disagree");

#define RING_LINES 256
#define RING_LINE_MAX 512
#define BURST_PER_SEC 20

/* Process-wide by nature: one log per process, like syslog(3) itself. */
static struct {
	bool to_stderr;
	bool opened;
	enum log_sev max_sev;
	FILE *file;
	char ring[RING_LINES][RING_LINE_MAX];
	unsigned ring_next;
	unsigned ring_count;
	struct { time_t sec; unsigned count; } rate[MSG_MAX];
} logstate = { .to_stderr = true, .max_sev = LOG_SEV_INFO };

static const char *const sev_names[] = {
	"emergencies", "alerts", "critical", "errors",
	"warnings", "notifications", "informational", "debugging",
};

void log_init(const char *ident, bool to_stderr, enum log_sev max_sev)
{
	logstate.to_stderr = to_stderr;
	logstate.max_sev = max_sev;
	if (!to_stderr) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		logstate.opened = true;
	}
}

void log_set_level(enum log_sev max_sev) { logstate.max_sev = max_sev; }

int log_set_file(const char *path)
{
	FILE *f = fopen(path, "a");
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	if (logstate.file)
		fclose(logstate.file);
	logstate.file = f;
	return 0;
}

void log_close(void)
{
	if (logstate.file)
		fclose(logstate.file);
	logstate.file = NULL;
	if (logstate.opened)
		closelog();
	logstate.opened = false;
}

const struct log_msgdef *log_msgdef(enum log_msgid msg)
{
	if ((unsigned)msg >= MSG_MAX)
		return NULL;
	return &catalogue[msg];
}

const struct log_msgdef *log_msgdef_by_id(int id)
{
	for (size_t i = 0; i < MSG_MAX; i++)
		if (catalogue[i].id == id)
			return &catalogue[i];
	return NULL;
}

size_t log_catalogue_size(void) { return MSG_MAX; }

int log_sev_parse(const char *s)
{
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

const char *log_sev_name(enum log_sev sev)
{
	return (unsigned)sev < 8 ? sev_names[sev] : "?";
}

/* Returns false when this id has used up its burst for the current second. */
static bool rate_allow(enum log_msgid msg)
{
	time_t now = time(NULL);
	if (logstate.rate[msg].sec != now) {
		logstate.rate[msg].sec = now;
		logstate.rate[msg].count = 0;
	}
	return ++logstate.rate[msg].count <= BURST_PER_SEC;
}

static void emit(enum log_sev sev, const char *line)
{
	struct timespec ts;
	struct tm tm;
	char stamp[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);

	snprintf(logstate.ring[logstate.ring_next], RING_LINE_MAX, "%s %s",
		 stamp, line);
	logstate.ring_next = (logstate.ring_next + 1) % RING_LINES;
	if (logstate.ring_count < RING_LINES)
		logstate.ring_count++;

	if (logstate.to_stderr)
		fprintf(stderr, "%s %s\n", stamp, line);
	else
		syslog((int)sev, "%s", line);
	if (logstate.file)
		fprintf(logstate.file, "%s %s\n", stamp, line);
}

void mlog(enum log_msgid msg, const char *fmt, ...)
{
	const struct log_msgdef *def = log_msgdef(msg);
	char text[RING_LINE_MAX - 64];
	char line[RING_LINE_MAX];
	va_list ap;

	if (!def || def->sev > logstate.max_sev)
		return;
	if (!rate_allow(msg)) {
		if (logstate.rate[msg].count == BURST_PER_SEC + 1) {
			snprintf(line, sizeof line,
				 "%%MCTX-%d-%06d: message %06d rate-limited",
				 LOG_SEV_WARN, 900007, def->id);
			emit(LOG_SEV_WARN, line);
		}
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%%MCTX-%d-%06d: %s", def->sev, def->id,
		 text);
	emit(def->sev, line);
}

void log_ring_walk(void (*fn)(const char *line, void *arg), void *arg)
{
	unsigned start = (logstate.ring_next + RING_LINES - logstate.ring_count) %
			 RING_LINES;
	for (unsigned i = 0; i < logstate.ring_count; i++)
		fn(logstate.ring[(start + i) % RING_LINES], arg);
}
