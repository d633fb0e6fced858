/*
 * cli: the ASA-style command language.
 *
 * Every console command is one row of a table (struct cli_cmd): its syntax,
 * per-token help, the modes and execution spaces it exists in, whether it
 * changes configuration and whether it is replicated to the mate, and its
 * handler.  Subsystems publish their own tables (system/sys_cmds.c,
 * contexts/ctx_cmds.c, ...); the engine merges them.  Rules such as "show,
 * debug, mode, firewall and failover lan unit are not replicated" are the
 * CLI_F_REPLICATE bit of those rows, not code.
 *
 * Syntax language (compiled once into a small NFA per row):
 *   keyword         a literal, matched by unique prefix ("sh" -> "show")
 *   keyword:name    a literal bound under another name (for alternatives)
 *   WORD:name       any word          LINE:name   the rest of the line, raw
 *   A.B.C.D:name    an IPv4 address   MASK:name   a contiguous netmask
 *   <lo-hi>:name    an integer in [lo, hi]
 *   HHMMSS:name     a duration h:mm:ss (ASA timeouts)
 *   [ ... ]         optional          { a | b c | ... }  alternatives
 * Handlers read what was typed by name (cli_str(a, "name")), never by
 * position, so a grammar change does not silently shift arguments.
 */
#ifndef MCTX_CLI_H
#define MCTX_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

/* Modes, each with its prompt suffix and parent (cli.c mode table). */
enum cli_mode {
	CLI_MODE_EXEC,          /* hostname>  */
	CLI_MODE_PRIV,          /* hostname#  */
	CLI_MODE_CONFIG,        /* hostname(config)# */
	CLI_MODE_IF,            /* hostname(config-if)# / (config-subif)# */
	CLI_MODE_CTX,           /* hostname(config-ctx)# */
	CLI_MODE_FOGROUP,       /* hostname(config-fover-group)# */
	CLI_MODE_CLASS,         /* hostname(config-class)# */
	CLI_MODE_OBJECT,        /* hostname(config-network-object)# */
	CLI_MODE_BLOCK,         /* kept-verbatim blocks: class-map, policy-map */
	CLI_MODE_MAX
};

#define CLI_M(m) (1u << (m))
#define CLI_M_EXEC    CLI_M(CLI_MODE_EXEC)
#define CLI_M_PRIV    CLI_M(CLI_MODE_PRIV)
#define CLI_M_CONFIG  CLI_M(CLI_MODE_CONFIG)
#define CLI_M_IF      CLI_M(CLI_MODE_IF)
#define CLI_M_CTX     CLI_M(CLI_MODE_CTX)
#define CLI_M_FOGROUP CLI_M(CLI_MODE_FOGROUP)
#define CLI_M_CLASS   CLI_M(CLI_MODE_CLASS)
#define CLI_M_OBJECT  CLI_M(CLI_MODE_OBJECT)
#define CLI_M_BLOCK   CLI_M(CLI_MODE_BLOCK)
/* Commands usable wherever a privileged user is (show, write, copy...). */
#define CLI_M_ANYPRIV (CLI_M_PRIV | CLI_M_CONFIG | CLI_M_IF | CLI_M_CTX | \
		       CLI_M_FOGROUP | CLI_M_CLASS | CLI_M_OBJECT)

enum cli_flags {
	CLI_F_SYS       = 1u << 0,  /* exists in the system execution space */
	CLI_F_CTX       = 1u << 1,  /* exists inside a security context */
	CLI_F_CONFIG    = 1u << 2,  /* changes the running configuration */
	CLI_F_REPLICATE = 1u << 3,  /* sent to the mate (issue 5) */
	CLI_F_NO        = 1u << 4,  /* has a `no` form */
	CLI_F_NO_SHORT  = 1u << 5,  /* the `no` form may stop after any token */
	CLI_F_HIDDEN    = 1u << 6,  /* accepted but not listed by '?' */
	CLI_F_FILE      = 1u << 7,  /* a file command (copy, rename, ...) */
	CLI_F_NO_ONLY   = 1u << 8,  /* exists only in its `no` form */
};
#define CLI_F_BOTH (CLI_F_SYS | CLI_F_CTX)

enum cli_status {
	CLI_OK = 0,
	CLI_WARNING = 1,
	CLI_ERROR = 2,
	CLI_INCOMPLETE = 3,
	CLI_AMBIGUOUS = 4,
};

struct cli_session;
struct cli_args;

typedef enum cli_status (*cli_handler_fn)(struct cli_session *s,
					  const struct cli_args *a);

struct cli_help {
	const char *token;   /* keyword text or variable name */
	const char *text;
};

struct cli_cmd {
	const char *syntax;
	const struct cli_help *help;    /* {NULL, NULL} terminated; optional */
	uint32_t modes;                 /* CLI_M_* */
	uint32_t flags;                 /* CLI_F_* */
	cli_handler_fn handler;
};

struct cli_engine;

/* Builds the engine from NULL-terminated list of tables, each ended by a
 * row whose syntax is NULL.  Returns NULL and writes the offending syntax
 * into err when a row is malformed: a table bug, caught by the unit tests. */
struct cli_engine *cli_engine_create(const struct cli_cmd *const *tables,
				     char *err, size_t errlen);
void cli_engine_destroy(struct cli_engine *e);
/* Global help for common keywords, used when a row has none. */
const char *cli_keyword_help(const char *keyword);

/* Walks every row (tests check help coverage and flags). */
void cli_walk(const struct cli_engine *e,
	      void (*fn)(const struct cli_cmd *cmd, void *arg), void *arg);
/* Finds the row a full line runs in (mode, space); NULL if none.  Used by
 * tests and by replication to read a command's flags. */
const struct cli_cmd *cli_lookup(const struct cli_engine *e,
				 enum cli_mode mode, bool in_context,
				 const char *line, bool *negated);
/* Every keyword and variable in the row has help text (tests). */
bool cli_cmd_help_complete(const struct cli_engine *e,
			   const struct cli_cmd *cmd, char *missing,
			   size_t len);

/* ---- sessions ---- */

struct cli_session_ops {
	/* The hostname shown in prompts (system hostname or context's). */
	const char *(*hostname)(void *owner, const char *context);
	/* Extra prompt parts (`prompt hostname priority state context`):
	 * fills buf with e.g. "/pri/act" — may be NULL. */
	void (*prompt_extra)(void *owner, const char *context, struct buf *b);
	/* After a command's handler ran (not while loading): replication
	 * sends CLI_F_REPLICATE commands to the mate from here, and may print
	 * ASA's standby warning into the session's output.  May be NULL. */
	void (*executed)(void *owner, struct cli_session *s,
			 const struct cli_cmd *cmd, const char *line,
			 enum cli_status status);
};

/* owner: the object handlers reach through cli_owner() (the unit). */
struct cli_session *cli_session_create(const struct cli_engine *e,
				       void *owner,
				       const struct cli_session_ops *ops,
				       bool interactive);
void cli_session_destroy(struct cli_session *s);

/* Runs one line; output (including errors) is appended to out. */
enum cli_status cli_execute(struct cli_session *s, const char *line,
			    struct buf *out);
/* '?' help for a partial line (as typed, without the '?'). */
void cli_help(struct cli_session *s, const char *partial, struct buf *out);
/* Tab completion candidates, one per line. */
void cli_complete(struct cli_session *s, const char *partial,
		  struct buf *out);
void cli_prompt(struct cli_session *s, struct buf *out);

/* Session state, for handlers. */
void *cli_owner(struct cli_session *s);
enum cli_mode cli_mode(const struct cli_session *s);
/* Current security context, or NULL in the system execution space. */
const char *cli_context(const struct cli_session *s);
/* Object the sub-mode edits (interface, context, group, class name). */
const char *cli_mode_object(const struct cli_session *s);
void cli_set_mode(struct cli_session *s, enum cli_mode mode,
		  const char *object);
/* The command line that entered the current sub-mode ("interface X",
 * "context Y", "failover group 1"), or NULL at the top: a replicated
 * sub-mode command is sent with it so the mate lands in the same place. */
const char *cli_mode_entry(const struct cli_session *s);
/* changeto: context NULL = system.  Resets to privileged mode. */
void cli_set_context(struct cli_session *s, const char *context);
/* A session confined to one context cannot changeto out of it. */
void cli_confine(struct cli_session *s, const char *context);
bool cli_confined(const struct cli_session *s);
bool cli_interactive(const struct cli_session *s);
/* `exit` at the top: the console server ends the session. */
void cli_request_close(struct cli_session *s);
bool cli_close_requested(const struct cli_session *s);
/* Set while replaying a saved or replicated configuration: handlers skip
 * interactive-only output and kernel work is deferred to the caller. */
void cli_set_loading(struct cli_session *s, bool loading);
bool cli_loading(const struct cli_session *s);

/* Output helpers for handlers. */
void cli_printf(struct cli_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_puts(struct cli_session *s, const char *text);
struct buf *cli_out(struct cli_session *s);
/* "ERROR: <msg>" line; returns CLI_ERROR for `return cli_error(...)`. */
enum cli_status cli_error(struct cli_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum cli_status cli_warning(struct cli_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ASA's caret error under the word bound to `name` (an unknown interface,
 * a value the grammar accepts but the config refuses). */
enum cli_status cli_error_at(struct cli_session *s, const struct cli_args *a,
			     const char *name);

/* ---- commands that answer later ----
 * A handler whose answer comes from elsewhere (`failover exec mate` waits
 * for the mate) calls cli_defer() and returns; the session's runner (the
 * console server) then holds the command's completion, and the session's
 * next lines, until cli_deferred_finish() hands over the output and the
 * status.  Only a runner that set cli_set_deferrable() can wait, and not
 * under an output filter (`| include`): there cli_defer() returns NULL
 * and the handler must answer some other way. */
struct cli_deferred;
typedef void (*cli_deferred_fn)(void *arg, enum cli_status status,
				const char *output);
void cli_set_deferrable(struct cli_session *s, cli_deferred_fn done,
			void *arg);
struct cli_deferred *cli_defer(struct cli_session *s);
bool cli_deferred_pending(const struct cli_session *s);
/* Ends the wait and frees d; a no-op (but d is freed) when the session
 * is gone meanwhile. */
void cli_deferred_finish(struct cli_deferred *d, enum cli_status status,
			 const char *output);

/* ---- parse results ---- */

bool cli_negated(const struct cli_args *a);
bool cli_has(const struct cli_args *a, const char *name);
const char *cli_str(const struct cli_args *a, const char *name);
long cli_int(const struct cli_args *a, const char *name, long dflt);
/* IPv4 in host byte order; 0 if absent. */
uint32_t cli_ip(const struct cli_args *a, const char *name);
/* Seconds of an HHMMSS argument; dflt if absent. */
long cli_secs(const struct cli_args *a, const char *name, long dflt);
/* The whole line as typed (normalised single spaces), e.g. for verbatim
 * storage and replication. */
const char *cli_line(const struct cli_args *a);
const struct cli_cmd *cli_args_cmd(const struct cli_args *a);
/* The line exactly as received (indentation kept). */
const char *cli_raw_line(const struct cli_args *a);

/* ---- helpers shared by handlers and config writers ---- */

/* 255.255.255.0 -> 24; -1 if not contiguous. */
int cli_mask_to_prefix(uint32_t mask);
uint32_t cli_prefix_to_mask(int prefix);
/* host-order address -> "a.b.c.d" in a caller buffer of >= 16 bytes. */
const char *cli_ip_str(uint32_t ip, char *buf);
/* Parses "a.b.c.d" (strict); returns 0 or -EINVAL. */
int cli_parse_ip(const char *s, uint32_t *ip);
/* Parses ASA durations "h:mm:ss", "m:ss" or plain seconds. */
int cli_parse_hhmmss(const char *s, long *secs);
void cli_format_hhmmss(long secs, char *buf, size_t len);

#endif
