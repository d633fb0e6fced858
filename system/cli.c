/*
 * cli: see cli.h.  Each row's syntax compiles into a Glushkov automaton:
 * one node per token, successor sets as 64-bit masks (no row has more than
 * 64 tokens), the start set and the accepting set.  A line is matched
 * against all rows of the current mode at once, word by word, so
 * abbreviation ambiguity is judged across every command that could follow,
 * the way an ASA does.
 */
#include "system/cli.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <regex.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_NODES 64
#define MAX_WORDS 96

enum tok_kind { TK_KEYWORD, TK_WORD, TK_LINE, TK_IP, TK_MASK, TK_RANGE,
		TK_HHMMSS };

struct node {
	enum tok_kind kind;
	char *text;          /* keyword text, or display form of a variable */
	char *name;          /* binding name */
	long lo, hi;
	uint64_t succ;
};

struct row {
	const struct cli_cmd *cmd;
	struct node nodes[MAX_NODES];
	int nnodes;
	uint64_t start;
	uint64_t accept;
};

struct cli_engine {
	struct row *rows;
	size_t nrows;
};

struct mode_def {
	const char *suffix;     /* prompt part inside the parentheses */
	enum cli_mode parent;
};

static const struct mode_def modes[CLI_MODE_MAX] = {
	[CLI_MODE_EXEC]    = { NULL, CLI_MODE_EXEC },
	[CLI_MODE_PRIV]    = { NULL, CLI_MODE_EXEC },
	[CLI_MODE_CONFIG]  = { "config", CLI_MODE_PRIV },
	[CLI_MODE_IF]      = { "config-if", CLI_MODE_CONFIG },
	[CLI_MODE_CTX]     = { "config-ctx", CLI_MODE_CONFIG },
	[CLI_MODE_FOGROUP] = { "config-fover-group", CLI_MODE_CONFIG },
	[CLI_MODE_CLASS]   = { "config-class", CLI_MODE_CONFIG },
	[CLI_MODE_OBJECT]  = { "config-network-object", CLI_MODE_CONFIG },
	[CLI_MODE_BLOCK]   = { "config-block", CLI_MODE_CONFIG },
};

/* ------------------------------------------------------------------ */
/* syntax compiler                                                     */

struct frag {
	uint64_t first, last;
	bool nullable;
};

struct compiler {
	struct row *row;
	char **toks;
	int ntoks, pos;
	const char *err;
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		abort();
	return p;
}

/* Splits a syntax string; [ ] { } | are tokens of their own. */
static int split_syntax(const char *syn, char ***out)
{
	char **toks = NULL;
	int n = 0, cap = 0;
	const char *p = syn;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *start = p;
		if (strchr("[]{}|", *p))
			p++;
		else
			while (*p && *p != ' ' && !strchr("[]{}|", *p))
				p++;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			toks = realloc(toks, (size_t)cap * sizeof *toks);
			if (!toks)
				abort();
		}
		toks[n++] = xstrndup(start, (size_t)(p - start));
	}
	*out = toks;
	return n;
}

static int add_node(struct compiler *c, const char *tok)
{
	struct row *r = c->row;
	if (r->nnodes >= MAX_NODES) {
		c->err = "too many tokens";
		return -1;
	}
	struct node *nd = &r->nodes[r->nnodes];
	memset(nd, 0, sizeof *nd);
	const char *colon = strchr(tok, ':');
	char *head = colon ? xstrndup(tok, (size_t)(colon - tok)) : xstrdup(tok);
	const char *bind = colon ? colon + 1 : NULL;

	if (strcmp(head, "WORD") == 0)
		nd->kind = TK_WORD;
	else if (strcmp(head, "LINE") == 0)
		nd->kind = TK_LINE;
	else if (strcmp(head, "A.B.C.D") == 0)
		nd->kind = TK_IP;
	else if (strcmp(head, "MASK") == 0)
		nd->kind = TK_MASK;
	else if (strcmp(head, "HHMMSS") == 0)
		nd->kind = TK_HHMMSS;
	else if (head[0] == '<') {
		nd->kind = TK_RANGE;
		if (sscanf(head, "<%ld-%ld>", &nd->lo, &nd->hi) != 2 ||
		    nd->lo > nd->hi) {
			free(head);
			c->err = "bad range";
			return -1;
		}
	} else {
		nd->kind = TK_KEYWORD;
		for (const char *q = head; *q; q++)
			if (isupper((unsigned char)*q)) {
				free(head);
				c->err = "unknown variable type";
				return -1;
			}
	}
	if (nd->kind != TK_KEYWORD && !bind) {
		free(head);
		c->err = "variable without a name";
		return -1;
	}
	nd->text = head;
	nd->name = xstrdup(bind ? bind : head);
	return r->nnodes++;
}

static struct frag parse_alt(struct compiler *c);

static struct frag concat(struct compiler *c, struct frag a, struct frag b)
{
	for (int i = 0; i < c->row->nnodes; i++)
		if (a.last & (1ull << i))
			c->row->nodes[i].succ |= b.first;
	struct frag f = {
		.first = a.first | (a.nullable ? b.first : 0),
		.last = b.last | (b.nullable ? a.last : 0),
		.nullable = a.nullable && b.nullable,
	};
	return f;
}

static struct frag parse_seq(struct compiler *c)
{
	struct frag acc = { 0, 0, true };
	while (c->pos < c->ntoks && !c->err) {
		const char *t = c->toks[c->pos];
		struct frag item;
		if (strcmp(t, "]") == 0 || strcmp(t, "}") == 0 ||
		    strcmp(t, "|") == 0)
			break;
		if (strcmp(t, "[") == 0 || strcmp(t, "{") == 0) {
			const char *close = t[0] == '[' ? "]" : "}";
			c->pos++;
			item = parse_alt(c);
			if (c->pos >= c->ntoks || strcmp(c->toks[c->pos], close)) {
				c->err = "unbalanced brackets";
				return acc;
			}
			c->pos++;
			if (close[0] == ']')
				item.nullable = true;
		} else {
			int n = add_node(c, t);
			if (n < 0)
				return acc;
			c->pos++;
			item.first = item.last = 1ull << n;
			item.nullable = false;
		}
		acc = concat(c, acc, item);
	}
	return acc;
}

static struct frag parse_alt(struct compiler *c)
{
	struct frag f = parse_seq(c);
	while (!c->err && c->pos < c->ntoks &&
	       strcmp(c->toks[c->pos], "|") == 0) {
		c->pos++;
		struct frag g = parse_seq(c);
		f.first |= g.first;
		f.last |= g.last;
		f.nullable = f.nullable || g.nullable;
	}
	return f;
}

static void row_free(struct row *r)
{
	for (int i = 0; i < r->nnodes; i++) {
		free(r->nodes[i].text);
		free(r->nodes[i].name);
	}
}

static int compile_row(struct row *r, const struct cli_cmd *cmd,
		       const char **err)
{
	struct compiler c = { .row = r };
	memset(r, 0, sizeof *r);
	r->cmd = cmd;
	c.ntoks = split_syntax(cmd->syntax, &c.toks);
	struct frag f = parse_alt(&c);
	if (!c.err && c.pos != c.ntoks)
		c.err = "unbalanced brackets";
	if (!c.err && (f.nullable || !f.first))
		c.err = "empty syntax";
	/* LINE swallows the rest of the line, so nothing may follow it. */
	for (int i = 0; !c.err && i < r->nnodes; i++)
		if (r->nodes[i].kind == TK_LINE && r->nodes[i].succ)
			c.err = "LINE must be last";
	/* Handlers find values by name: two tokens of one row with the same
	 * name would shadow each other (the keyword "ip" hiding an IP value
	 * called "ip"). */
	for (int i = 0; !c.err && i < r->nnodes; i++)
		for (int k = i + 1; k < r->nnodes; k++)
			if (strcmp(r->nodes[i].name, r->nodes[k].name) == 0 &&
			    !(r->nodes[i].kind == TK_KEYWORD &&
			      r->nodes[k].kind == TK_KEYWORD &&
			      strcmp(r->nodes[i].text, r->nodes[k].text) == 0))
				c.err = "two tokens share one name";
	for (int i = 0; i < c.ntoks; i++)
		free(c.toks[i]);
	free(c.toks);
	r->start = f.first;
	r->accept = f.last;
	*err = c.err;
	return c.err ? -EINVAL : 0;
}

struct cli_engine *cli_engine_create(const struct cli_cmd *const *tables,
				     char *err, size_t errlen)
{
	struct cli_engine *e = calloc(1, sizeof *e);
	if (!e)
		abort();
	size_t total = 0;
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_cmd *c = tables[t]; c->syntax; c++)
			total++;
	e->rows = calloc(total ? total : 1, sizeof *e->rows);
	if (!e->rows)
		abort();
	for (size_t t = 0; tables[t]; t++) {
		for (const struct cli_cmd *c = tables[t]; c->syntax; c++) {
			const char *why = NULL;
			if (compile_row(&e->rows[e->nrows], c, &why) < 0) {
				snprintf(err, errlen, "%s: \"%s\"", why,
					 c->syntax);
				row_free(&e->rows[e->nrows]);
				cli_engine_destroy(e);
				return NULL;
			}
			e->nrows++;
		}
	}
	return e;
}

void cli_engine_destroy(struct cli_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrows; i++)
		row_free(&e->rows[i]);
	free(e->rows);
	free(e);
}

void cli_walk(const struct cli_engine *e,
	      void (*fn)(const struct cli_cmd *cmd, void *arg), void *arg)
{
	for (size_t i = 0; i < e->nrows; i++)
		fn(e->rows[i].cmd, arg);
}

/* ------------------------------------------------------------------ */
/* help texts                                                          */

static const struct cli_help keyword_help[] = {
	{ "show", "Show running system information" },
	{ "no", "Negate a command or set its defaults" },
	{ "exit", "Exit from the current mode" },
	{ "end", "Exit from configure mode" },
	{ "enable", "Turn on privileged commands" },
	{ "disable", "Turn off privileged commands" },
	{ "configure", "Configure using various methods" },
	{ "terminal", "Configure using terminal/console" },
	{ "write", "Write running configuration to memory, network, or terminal" },
	{ "memory", "Write to memory" },
	{ "copy", "Copy from one file to another" },
	{ "running-config", "Current operating configuration" },
	{ "startup-config", "Startup configuration" },
	{ "all", "Include the default values" },
	{ "context", "Security context" },
	{ "interface", "Select an interface to configure" },
	{ "failover", "Enable/disable failover feature" },
	{ "group", "Failover group" },
	{ "standby", "Standby unit or address" },
	{ "primary", "Primary unit" },
	{ "secondary", "Secondary unit" },
	{ "description", "Interface specific description" },
	{ "shutdown", "Shutdown the selected interface" },
	{ "hostname", "Change host name of the system" },
	{ "changeto", "Change to another context or the system execution space" },
	{ "system", "System execution space" },
	{ "detail", "Show detailed information" },
	{ "version", "Display the software version" },
	{ "dir", "List files on a filesystem" },
	{ "delete", "Delete a file" },
	{ "rename", "Rename a file" },
	{ "mkdir", "Create new directory" },
	{ "rmdir", "Remove existing directory" },
	{ "more", "Display the contents of a file" },
	{ "terminal-out", "Write to terminal" },
	{ "erase", "Erase the startup configuration" },
	{ "reload", "Re-read the startup configuration" },
	{ "debug", "Debugging functions (see also 'undebug')" },
	{ "mode", "Toggle between single and multiple security context mode" },
	{ "firewall", "Switch to router/transparent mode" },
	{ "unit", "Failover unit" },
	{ "lan", "Failover LAN configuration" },
	{ "link", "Stateful failover link" },
	{ "ip", "Configure IP address" },
	{ "address", "IP address" },
	{ "key", "Failover shared secret key" },
	{ "polltime", "Failover poll and hold times" },
	{ "holdtime", "Failover hold time" },
	{ "msec", "Time in milliseconds" },
	{ "vlan", "Configure VLAN ID for the subinterface" },
	{ "mac-address", "Configure MAC address" },
	{ "auto", "Generate MAC addresses automatically" },
	{ "class", "Resource class" },
	{ "logging", "Show or set logging" },
	{ "history", "Failover history" },
	{ "state", "Failover state" },
	{ "active", "Make this unit or group active" },
	{ "reset", "Reset a failed unit or group" },
	{ "preempt", "Allow the preferred unit to preempt" },
	{ "monitor-interface", "Monitor an interface for failover" },
	{ "nameif", "Assign name to interface" },
	{ "security-level", "Set security level" },
	{ "mtu", "Specify MTU for an interface" },
	{ "route", "Configure a static route" },
	{ "access-list", "Configure an access control element" },
	{ "access-group", "Bind an access-list to an interface" },
	{ "timeout", "Configure maximum idle times" },
	{ "static", "Configure a static translation" },
	{ "nat", "Configure NAT" },
	{ "object", "Configure an object" },
	{ "network", "Network object" },
	{ "host", "A single host" },
	{ "any", "Any address" },
	{ "eq", "Port equal to operator" },
	{ "extended", "Extended access list" },
	{ "permit", "Specify packets to forward" },
	{ "deny", "Specify packets to reject" },
	{ "in", "Filter incoming traffic" },
	{ "netmask", "Network mask" },
	{ "exec", "Execute a command on a failover unit" },
	{ "mate", "The other unit of the pair" },
	{ "prompt", "Customize the command prompt" },
	{ "clear", "Reset functions" },
	{ NULL, NULL },
};

const char *cli_keyword_help(const char *keyword)
{
	for (const struct cli_help *h = keyword_help; h->token; h++)
		if (strcmp(h->token, keyword) == 0)
			return h->text;
	return NULL;
}

static const char *node_help(const struct row *r, const struct node *nd)
{
	if (r->cmd->help)
		for (const struct cli_help *h = r->cmd->help; h->token; h++)
			if (strcmp(h->token, nd->name) == 0 ||
			    strcmp(h->token, nd->text) == 0)
				return h->text;
	if (nd->kind == TK_KEYWORD)
		return cli_keyword_help(nd->text);
	return NULL;
}

bool cli_cmd_help_complete(const struct cli_engine *e,
			   const struct cli_cmd *cmd, char *missing,
			   size_t len)
{
	for (size_t i = 0; i < e->nrows; i++) {
		const struct row *r = &e->rows[i];
		if (r->cmd != cmd)
			continue;
		for (int n = 0; n < r->nnodes; n++)
			if (!node_help(r, &r->nodes[n])) {
				snprintf(missing, len, "%s", r->nodes[n].name);
				return false;
			}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

struct cli_session {
	const struct cli_engine *engine;
	void *owner;
	const struct cli_session_ops *ops;
	bool interactive;
	bool loading;
	bool close_requested;
	enum cli_mode mode;
	char *context;
	char *confined;
	char *object;
	char *mode_entry;
	const char *executing;   /* the line a handler is running for */
	struct buf *out;
	size_t prompt_len;    /* of the last prompt shown, for the caret */
	bool filtering;       /* the line has an output filter */
	cli_deferred_fn deferred_done;   /* cli_set_deferrable() */
	void *deferred_arg;
	struct cli_deferred *deferred;   /* the command that answers later */
};

struct cli_deferred {
	struct cli_session *s;   /* NULL once the session is gone */
};

struct cli_session *cli_session_create(const struct cli_engine *e,
				       void *owner,
				       const struct cli_session_ops *ops,
				       bool interactive)
{
	struct cli_session *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->engine = e;
	s->owner = owner;
	s->ops = ops;
	s->interactive = interactive;
	s->mode = interactive ? CLI_MODE_EXEC : CLI_MODE_PRIV;
	return s;
}

void cli_session_destroy(struct cli_session *s)
{
	if (!s)
		return;
	if (s->deferred)
		s->deferred->s = NULL;
	free(s->context);
	free(s->confined);
	free(s->object);
	free(s->mode_entry);
	free(s);
}

void *cli_owner(struct cli_session *s) { return s->owner; }
enum cli_mode cli_mode(const struct cli_session *s) { return s->mode; }
const char *cli_context(const struct cli_session *s) { return s->context; }
const char *cli_mode_object(const struct cli_session *s) { return s->object; }
bool cli_interactive(const struct cli_session *s) { return s->interactive; }
void cli_set_loading(struct cli_session *s, bool loading) { s->loading = loading; }
bool cli_loading(const struct cli_session *s) { return s->loading; }
bool cli_confined(const struct cli_session *s) { return s->confined != NULL; }
void cli_request_close(struct cli_session *s) { s->close_requested = true; }
bool cli_close_requested(const struct cli_session *s) { return s->close_requested; }

void cli_set_deferrable(struct cli_session *s, cli_deferred_fn done, void *arg)
{
	s->deferred_done = done;
	s->deferred_arg = arg;
}

struct cli_deferred *cli_defer(struct cli_session *s)
{
	if (!s->deferred_done || s->filtering || s->loading || s->deferred)
		return NULL;
	s->deferred = calloc(1, sizeof *s->deferred);
	if (s->deferred)
		s->deferred->s = s;
	return s->deferred;
}

bool cli_deferred_pending(const struct cli_session *s) { return s->deferred != NULL; }

void cli_deferred_finish(struct cli_deferred *d, enum cli_status status,
			 const char *output)
{
	struct cli_session *s = d->s;
	free(d);
	if (!s)
		return;
	s->deferred = NULL;
	s->deferred_done(s->deferred_arg, status, output ? output : "");
}

void cli_set_mode(struct cli_session *s, enum cli_mode mode,
		  const char *object)
{
	s->mode = mode;
	free(s->object);
	s->object = object ? xstrdup(object) : NULL;
	free(s->mode_entry);
	s->mode_entry = NULL;
	if (mode > CLI_MODE_CONFIG && s->executing)
		s->mode_entry = xstrdup(s->executing);
}

const char *cli_mode_entry(const struct cli_session *s)
{
	return s->mode > CLI_MODE_CONFIG ? s->mode_entry : NULL;
}

void cli_set_context(struct cli_session *s, const char *context)
{
	free(s->context);
	s->context = context ? xstrdup(context) : NULL;
	if (s->mode != CLI_MODE_EXEC)
		cli_set_mode(s, CLI_MODE_PRIV, NULL);
}

void cli_confine(struct cli_session *s, const char *context)
{
	free(s->confined);
	s->confined = context ? xstrdup(context) : NULL;
	cli_set_context(s, context);
}

void cli_prompt(struct cli_session *s, struct buf *out)
{
	size_t before = out->len;
	const char *host = s->ops && s->ops->hostname ?
			   s->ops->hostname(s->owner, NULL) : "mctx";
	buf_puts(out, host ? host : "mctx");
	if (s->ops && s->ops->prompt_extra)
		s->ops->prompt_extra(s->owner, s->context, out);
	if (s->context)
		buf_printf(out, "/%s", s->context);
	if (modes[s->mode].suffix)
		buf_printf(out, "(%s)", modes[s->mode].suffix);
	buf_puts(out, s->mode == CLI_MODE_EXEC ? "> " : "# ");
	s->prompt_len = out->len - before;
}

void cli_puts(struct cli_session *s, const char *text)
{
	if (s->out)
		buf_puts(s->out, text);
}

void cli_printf(struct cli_session *s, const char *fmt, ...)
{
	char small[1024];
	va_list ap;
	if (!s->out)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		buf_add(s->out, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(s->out, big, (size_t)n);
	free(big);
}

struct buf *cli_out(struct cli_session *s) { return s->out; }

enum cli_status cli_error(struct cli_session *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_printf(s, "ERROR: %s\n", msg);
	return CLI_ERROR;
}

enum cli_status cli_warning(struct cli_session *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_printf(s, "WARNING: %s\n", msg);
	return CLI_WARNING;
}

/* ------------------------------------------------------------------ */
/* value checks                                                        */

int cli_parse_ip(const char *s, uint32_t *ip)
{
	unsigned a[4];
	char tail;
	if (sscanf(s, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return -EINVAL;
	/* Reject leading '+', spaces and the like that sscanf tolerates. */
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
	*ip = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	return 0;
}

int cli_mask_to_prefix(uint32_t mask)
{
	int prefix = 0;
	while (prefix < 32 && (mask & (0x80000000u >> prefix)))
		prefix++;
	if (prefix < 32 && (mask << prefix) != 0)
		return -1;
	return prefix;
}

uint32_t cli_prefix_to_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu :
	       ~((1u << (32 - prefix)) - 1);
}

const char *cli_ip_str(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
	return buf;
}

int cli_parse_hhmmss(const char *s, long *secs)
{
	long part[3];
	int n = 0;
	const char *p = s;
	if (!*p)
		return -EINVAL;
	while (*p) {
		if (!isdigit((unsigned char)*p) || n == 3)
			return -EINVAL;
		char *end;
		part[n++] = strtol(p, &end, 10);
		p = end;
		if (*p == ':')
			p++;
		else if (*p)
			return -EINVAL;
	}
	long v = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && part[i] > 59)
			return -EINVAL;
		v = v * 60 + part[i];
	}
	*secs = v;
	return 0;
}

void cli_format_hhmmss(long secs, char *buf, size_t len)
{
	snprintf(buf, len, "%ld:%02ld:%02ld", secs / 3600, (secs / 60) % 60,
		 secs % 60);
}

static bool value_ok(const struct node *nd, const char *w)
{
	uint32_t ip;
	long v;
	char *end;
	switch (nd->kind) {
	case TK_KEYWORD:
		return false;
	case TK_WORD:
	case TK_LINE:
		return true;
	case TK_IP:
		return cli_parse_ip(w, &ip) == 0;
	case TK_MASK:
		return cli_parse_ip(w, &ip) == 0 && cli_mask_to_prefix(ip) >= 0;
	case TK_RANGE:
		if (!*w)
			return false;
		errno = 0;
		v = strtol(w, &end, 10);
		return !errno && !*end && v >= nd->lo && v <= nd->hi;
	case TK_HHMMSS:
		return cli_parse_hhmmss(w, &v) == 0;
	}
	return false;
}

static void node_display(const struct node *nd, char *buf, size_t len)
{
	switch (nd->kind) {
	case TK_KEYWORD:
		snprintf(buf, len, "%s", nd->text);
		break;
	case TK_WORD:
		snprintf(buf, len, "WORD");
		break;
	case TK_LINE:
		snprintf(buf, len, "LINE");
		break;
	case TK_IP:
	case TK_MASK:
		snprintf(buf, len, "A.B.C.D");
		break;
	case TK_RANGE:
		snprintf(buf, len, "<%ld-%ld>", nd->lo, nd->hi);
		break;
	case TK_HHMMSS:
		snprintf(buf, len, "hh:mm:ss");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

struct words {
	char *copy;
	char *w[MAX_WORDS];
	size_t off[MAX_WORDS];   /* offset in the original line */
	int n;
	const char *line;
};

static int split_words(const char *line, struct words *ws)
{
	memset(ws, 0, sizeof *ws);
	ws->line = line;
	ws->copy = xstrdup(line);
	char *p = ws->copy;
	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (ws->n == MAX_WORDS)
			return -E2BIG;
		ws->off[ws->n] = (size_t)(p - ws->copy);
		ws->w[ws->n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

struct thread {
	int row;
	int node;     /* -1: before the first token */
	int parent;   /* index in the previous step */
	int score;    /* keywords matched */
};

struct step {
	struct thread *t;
	int n, cap;
};

struct match {
	struct step steps[MAX_WORDS + 1];
	int nsteps;
	int fail_word;        /* first word no row accepted; -1 if none */
	bool ambiguous;
	const char *ambiguous_word;
};

static void step_push(struct step *st, struct thread t)
{
	for (int i = 0; i < st->n; i++)
		if (st->t[i].row == t.row && st->t[i].node == t.node) {
			if (t.score > st->t[i].score)
				st->t[i] = t;
			return;
		}
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->t = realloc(st->t, (size_t)st->cap * sizeof *st->t);
		if (!st->t)
			abort();
	}
	st->t[st->n++] = t;
}

static void match_free(struct match *m)
{
	for (int i = 0; i <= MAX_WORDS; i++)
		free(m->steps[i].t);
}

static bool row_in_mode(const struct row *r, enum cli_mode mode,
			bool in_context, bool negated)
{
	const struct cli_cmd *c = r->cmd;
	if (!(c->modes & CLI_M(mode)))
		return false;
	if (!(c->flags & (in_context ? CLI_F_CTX : CLI_F_SYS)))
		return false;
	if (negated)
		return (c->flags & CLI_F_NO) != 0;
	return !(c->flags & CLI_F_NO_ONLY);
}

static uint64_t thread_next(const struct row *r, const struct thread *t)
{
	if (t->node < 0)
		return r->start;
	if (r->nodes[t->node].kind == TK_LINE)
		return 1ull << t->node;   /* LINE keeps swallowing words */
	return r->nodes[t->node].succ;
}

/* Matches words[first..n) for every row of the mode. */
static void run_match(const struct cli_engine *e, enum cli_mode mode,
		      bool in_context, bool negated, const struct words *ws,
		      int first, struct match *m)
{
	memset(m, 0, sizeof *m);
	m->fail_word = -1;
	for (size_t i = 0; i < e->nrows; i++)
		if (row_in_mode(&e->rows[i], mode, in_context, negated))
			step_push(&m->steps[0], (struct thread){ (int)i, -1, -1, 0 });
	m->nsteps = 1;

	for (int wi = first; wi < ws->n; wi++) {
		struct step *prev = &m->steps[m->nsteps - 1];
		struct step *next = &m->steps[m->nsteps];
		const char *w = ws->w[wi];
		size_t wlen = strlen(w);
		const char *kw = NULL;   /* the keyword this word stands for */
		bool exact = false;

		/* Pass 1: which keyword, judged across all rows. */
		for (int ti = 0; ti < prev->n && !exact; ti++) {
			const struct row *r = &e->rows[prev->t[ti].row];
			uint64_t nx = thread_next(r, &prev->t[ti]);
			for (int n = 0; n < r->nnodes; n++) {
				const struct node *nd = &r->nodes[n];
				if (!(nx & (1ull << n)) || nd->kind != TK_KEYWORD)
					continue;
				if (strcasecmp(nd->text, w) == 0) {
					kw = nd->text;
					exact = true;
					break;
				}
				if (strncasecmp(nd->text, w, wlen) == 0) {
					if (kw && strcmp(kw, nd->text) != 0) {
						m->ambiguous = true;
						m->ambiguous_word = w;
					} else {
						kw = nd->text;
					}
				}
			}
		}
		if (exact)
			m->ambiguous = false;
		if (m->ambiguous && !exact)
			kw = NULL;

		/* Pass 2: advance threads. */
		for (int ti = 0; ti < prev->n; ti++) {
			const struct thread *t = &prev->t[ti];
			const struct row *r = &e->rows[t->row];
			uint64_t nx = thread_next(r, t);
			for (int n = 0; n < r->nnodes; n++) {
				const struct node *nd = &r->nodes[n];
				if (!(nx & (1ull << n)))
					continue;
				bool ok;
				int score = t->score;
				if (nd->kind == TK_KEYWORD) {
					ok = kw && strcmp(nd->text, kw) == 0;
					score += exact ? 3 : 2;
				} else {
					ok = value_ok(nd, w);
					score += (nd->kind == TK_WORD ||
						  nd->kind == TK_LINE) ? 0 : 1;
				}
				if (ok)
					step_push(next, (struct thread){
						t->row, n, ti, score });
			}
		}
		m->nsteps++;
		if (next->n == 0) {
			m->fail_word = wi;
			return;
		}
		m->ambiguous = false;
	}
}

static bool thread_complete(const struct cli_engine *e, const struct thread *t,
			    bool negated)
{
	const struct row *r = &e->rows[t->row];
	if (t->node < 0)
		return false;
	if (r->accept & (1ull << t->node))
		return true;
	return negated && (r->cmd->flags & CLI_F_NO_SHORT);
}

/* Best complete thread of the last step, or -1. */
static int best_complete(const struct cli_engine *e, const struct match *m,
			 bool negated)
{
	const struct step *st = &m->steps[m->nsteps - 1];
	int best = -1;
	for (int i = 0; i < st->n; i++) {
		if (!thread_complete(e, &st->t[i], negated))
			continue;
		if (best < 0 || st->t[i].score > st->t[best].score ||
		    (st->t[i].score == st->t[best].score &&
		     st->t[i].row < st->t[best].row))
			best = i;
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* parse results                                                       */

struct cli_arg {
	const char *name;
	const char *value;
	int word;
	enum tok_kind kind;
};

struct cli_args {
	const struct cli_cmd *cmd;
	bool negated;
	struct cli_arg arg[MAX_WORDS];
	int n;
	const char *line;         /* normalised */
	const struct words *ws;
};

static void build_args(const struct cli_engine *e, const struct match *m,
		       int best, const struct words *ws, int first,
		       struct cli_args *a, char *line_tail_store)
{
	int idx[MAX_WORDS + 1];
	int step = m->nsteps - 1;
	int ti = best;
	/* Walk parents back to the first word. */
	while (step > 0) {
		idx[step] = ti;
		ti = m->steps[step].t[ti].parent;
		step--;
	}
	const struct row *r = &e->rows[m->steps[m->nsteps - 1].t[best].row];
	a->cmd = r->cmd;
	for (int s = 1; s < m->nsteps; s++) {
		const struct thread *t = &m->steps[s].t[idx[s]];
		const struct node *nd = &r->nodes[t->node];
		int wi = first + s - 1;
		if (nd->kind == TK_LINE) {
			/* The raw rest of the line, from this word on. */
			bool seen = false;
			for (int k = 0; k < a->n; k++)
				if (a->arg[k].kind == TK_LINE &&
				    strcmp(a->arg[k].name, nd->name) == 0)
					seen = true;
			if (seen)
				continue;
			const char *rest = ws->line + ws->off[wi];
			size_t len = strlen(rest);
			while (len && isspace((unsigned char)rest[len - 1]))
				len--;
			memcpy(line_tail_store, rest, len);
			line_tail_store[len] = '\0';
			a->arg[a->n++] = (struct cli_arg){ nd->name,
				line_tail_store, wi, TK_LINE };
			continue;
		}
		a->arg[a->n++] = (struct cli_arg){ nd->name,
			nd->kind == TK_KEYWORD ? nd->text : ws->w[wi], wi,
			nd->kind };
	}
}

static const struct cli_arg *find_arg(const struct cli_args *a,
				      const char *name)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->arg[i].name, name) == 0)
			return &a->arg[i];
	return NULL;
}

bool cli_negated(const struct cli_args *a) { return a->negated; }
bool cli_has(const struct cli_args *a, const char *name)
{
	return find_arg(a, name) != NULL;
}
const char *cli_str(const struct cli_args *a, const char *name)
{
	const struct cli_arg *x = find_arg(a, name);
	return x ? x->value : NULL;
}
long cli_int(const struct cli_args *a, const char *name, long dflt)
{
	const struct cli_arg *x = find_arg(a, name);
	return x ? strtol(x->value, NULL, 10) : dflt;
}
uint32_t cli_ip(const struct cli_args *a, const char *name)
{
	const struct cli_arg *x = find_arg(a, name);
	uint32_t ip = 0;
	if (x)
		cli_parse_ip(x->value, &ip);
	return ip;
}
long cli_secs(const struct cli_args *a, const char *name, long dflt)
{
	const struct cli_arg *x = find_arg(a, name);
	long v = dflt;
	if (x && cli_parse_hhmmss(x->value, &v) < 0)
		v = dflt;
	return v;
}
const char *cli_line(const struct cli_args *a) { return a->line; }
const struct cli_cmd *cli_args_cmd(const struct cli_args *a) { return a->cmd; }
const char *cli_raw_line(const struct cli_args *a) { return a->ws->line; }

/* ------------------------------------------------------------------ */
/* errors with a caret                                                 */

static void caret_error(struct cli_session *s, const struct words *ws,
			int word)
{
	size_t col = word < ws->n ? ws->off[word] : strlen(ws->line);
	if (s->interactive) {
		col += s->prompt_len;
	} else {
		/* Nothing echoed the line for a script: show it. */
		buf_printf(s->out, "%s\n", ws->line);
	}
	for (size_t i = 0; i < col; i++)
		buf_add(s->out, " ", 1);
	buf_puts(s->out, "^\n");
	buf_puts(s->out, "ERROR: % Invalid input detected at '^' marker.\n");
}

enum cli_status cli_error_at(struct cli_session *s, const struct cli_args *a,
			     const char *name)
{
	const struct cli_arg *x = find_arg(a, name);
	caret_error(s, a->ws, x ? x->word : 0);
	return CLI_ERROR;
}

/* ------------------------------------------------------------------ */
/* execute                                                             */

static bool is_comment(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return *line == '\0' || *line == '!' || *line == ':' ||
	       strncmp(line, "Cryptochecksum:", 15) == 0;
}

const struct cli_cmd *cli_lookup(const struct cli_engine *e,
				 enum cli_mode mode, bool in_context,
				 const char *line, bool *negated)
{
	struct words ws;
	struct match m;
	const struct cli_cmd *cmd = NULL;
	bool neg = false;
	if (split_words(line, &ws) < 0 || ws.n == 0) {
		free(ws.copy);
		return NULL;
	}
	int first = 0;
	if (strcasecmp(ws.w[0], "no") == 0 && ws.n > 1) {
		neg = true;
		first = 1;
	}
	run_match(e, mode, in_context, neg, &ws, first, &m);
	if (m.fail_word < 0) {
		int best = best_complete(e, &m, neg);
		if (best >= 0)
			cmd = e->rows[m.steps[m.nsteps - 1].t[best].row].cmd;
	}
	match_free(&m);
	free(ws.copy);
	if (negated)
		*negated = neg;
	return cmd;
}

/* Tries the line in one mode.  Returns CLI_OK with *found set when a
 * command ran; otherwise the status of the error and the word it failed at
 * (for choosing between the sub-mode's and the parent's error). */
struct attempt {
	enum cli_status status;
	bool ran;
	int fail_word;   /* -1: incomplete or ambiguous; else word index */
	bool ambiguous;
	const char *ambiguous_word;
	bool incomplete;
};

static void try_mode(struct cli_session *s, enum cli_mode mode,
		     const struct words *ws, bool neg, int first,
		     struct attempt *at, bool dry)
{
	struct match m;
	memset(at, 0, sizeof *at);
	run_match(s->engine, mode, s->context != NULL, neg, ws, first, &m);
	if (m.fail_word >= 0) {
		at->status = m.ambiguous ? CLI_AMBIGUOUS : CLI_ERROR;
		at->fail_word = m.fail_word;
		at->ambiguous = m.ambiguous;
		at->ambiguous_word = m.ambiguous_word;
		match_free(&m);
		return;
	}
	int best = best_complete(s->engine, &m, neg);
	if (best < 0) {
		at->status = CLI_INCOMPLETE;
		at->incomplete = true;
		at->fail_word = ws->n;
		match_free(&m);
		return;
	}
	if (dry) {
		at->ran = true;
		match_free(&m);
		return;
	}
	struct cli_args *a = calloc(1, sizeof *a);
	char *tail = malloc(strlen(ws->line) + 1);
	if (!a || !tail)
		abort();
	a->negated = neg;
	a->ws = ws;
	build_args(s->engine, &m, best, ws, first, a, tail);
	/* Normalised line: words joined by one space (LINE tails raw). */
	struct buf norm;
	buf_init(&norm);
	for (int i = 0; i < ws->n; i++)
		buf_printf(&norm, "%s%s", i ? " " : "", ws->w[i]);
	a->line = norm.data ? norm.data : "";
	match_free(&m);
	if (s->mode != mode)   /* a parent-mode command leaves the sub-mode */
		cli_set_mode(s, mode, NULL);
	s->executing = ws->line;
	at->status = a->cmd->handler(s, a);
	s->executing = NULL;
	at->ran = true;
	if (!s->loading && s->ops && s->ops->executed)
		s->ops->executed(s->owner, s, a->cmd, a->line, at->status);
	buf_free(&norm);
	free(tail);
	free(a);
}

/* ------------------------------------------------------------------ */
/* output filters: CMD | include|exclude|begin|grep [-v] REGEX          */

enum filter_kind { FILTER_INCLUDE, FILTER_EXCLUDE, FILTER_BEGIN };

struct filter {
	regex_t re;
	enum filter_kind kind;
};

static const char *const filter_names[] = { "include", "exclude", "begin",
					    "grep", NULL };

/* Finds "| NAME [-v] PATTERN" at the end of the line.  Returns 0 and sets
 * *cut (where the command ends) when there is none or it compiled into f
 * (f->kind set, *active true); otherwise the error is already in out. */
static enum cli_status filter_parse(struct cli_session *s,
				    const struct words *ws, struct filter *f,
				    bool *active, size_t *cut)
{
	int bar = -1;
	*active = false;
	*cut = strlen(ws->line);
	for (int i = 1; i < ws->n; i++)
		if (strcmp(ws->w[i], "|") == 0) {
			bar = i;
			break;
		}
	if (bar < 0)
		return CLI_OK;
	if (bar + 1 >= ws->n) {
		buf_puts(s->out, "ERROR: % Incomplete command\n");
		return CLI_INCOMPLETE;
	}
	const char *name = ws->w[bar + 1];
	int which = -1;
	for (int i = 0; filter_names[i]; i++)
		if (strncasecmp(filter_names[i], name, strlen(name)) == 0) {
			if (which >= 0) {
				buf_printf(s->out, "ERROR: %% Ambiguous command:  "
					   "\"%s\"\n", name);
				return CLI_AMBIGUOUS;
			}
			which = i;
		}
	if (which < 0) {
		caret_error(s, ws, bar + 1);
		return CLI_ERROR;
	}
	int pat = bar + 2;
	bool invert = false;
	if (which == 3 && pat < ws->n && strcmp(ws->w[pat], "-v") == 0) {
		invert = true;
		pat++;
	}
	if (pat >= ws->n) {
		buf_puts(s->out, "ERROR: % Incomplete command\n");
		return CLI_INCOMPLETE;
	}
	/* The pattern is the rest of the line, as typed. */
	const char *rest = ws->line + ws->off[pat];
	size_t len = strlen(rest);
	while (len && isspace((unsigned char)rest[len - 1]))
		len--;
	char *pattern = xstrndup(rest, len);
	int rc = regcomp(&f->re, pattern, REG_EXTENDED | REG_NOSUB);
	free(pattern);
	if (rc != 0) {
		char why[128];
		regerror(rc, &f->re, why, sizeof why);
		regfree(&f->re);
		buf_printf(s->out, "ERROR: Invalid regular expression: %s\n", why);
		return CLI_ERROR;
	}
	f->kind = which == 0 ? FILTER_INCLUDE : which == 1 ? FILTER_EXCLUDE :
		  which == 2 ? FILTER_BEGIN :
		  invert ? FILTER_EXCLUDE : FILTER_INCLUDE;
	*active = true;
	*cut = ws->off[bar];
	return CLI_OK;
}

/* Copies the lines of text that pass the filter to out. */
static void filter_apply(const struct filter *f, const char *text, size_t len,
			 struct buf *out)
{
	bool begun = false;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		char *line = xstrndup(text + pos, end - pos);
		bool hit = regexec(&f->re, line, 0, NULL, 0) == 0;
		bool keep = f->kind == FILTER_INCLUDE ? hit :
			    f->kind == FILTER_EXCLUDE ? !hit :
			    (begun = begun || hit);
		if (keep) {
			buf_add(out, text + pos, end - pos);
			buf_puts(out, "\n");
		}
		free(line);
		pos = end + 1;
	}
}

static enum cli_status execute_line(struct cli_session *s, const char *line,
				    struct buf *out);

enum cli_status cli_execute(struct cli_session *s, const char *line,
			    struct buf *out)
{
	struct words ws;
	struct filter f;
	bool active;
	size_t cut = 0;

	if (is_comment(line))
		return CLI_OK;
	if (strlen(line) > 4096)
		return execute_line(s, line, out);   /* reports it */
	if (split_words(line, &ws) < 0) {
		free(ws.copy);
		return execute_line(s, line, out);
	}
	/* Only lines of the form "CMD | filter ..." are filtered; a '|' inside
	 * a LINE argument (a description) stays part of it as long as it is
	 * not followed by a filter name.  Verbatim blocks are never filtered. */
	s->out = out;
	enum cli_status st = s->mode == CLI_MODE_BLOCK ? CLI_OK :
			     filter_parse(s, &ws, &f, &active, &cut);
	s->out = NULL;
	free(ws.copy);
	if (st != CLI_OK || s->mode == CLI_MODE_BLOCK || !active)
		return st != CLI_OK ? st : execute_line(s, line, out);
	char *cmd = xstrndup(line, cut);
	struct buf raw;
	buf_init(&raw);
	s->filtering = true;
	st = execute_line(s, cmd, &raw);
	s->filtering = false;
	/* Errors are shown whole: filtering them would hide the reason. */
	if (st == CLI_OK || st == CLI_WARNING)
		filter_apply(&f, raw.data ? raw.data : "", raw.len, out);
	else if (raw.len)
		buf_add(out, raw.data, raw.len);
	regfree(&f.re);
	buf_free(&raw);
	free(cmd);
	return st;
}

static enum cli_status execute_line(struct cli_session *s, const char *line,
				    struct buf *out)
{
	struct words ws;
	enum cli_status st = CLI_OK;

	s->out = out;
	if (is_comment(line)) {
		s->out = NULL;
		return CLI_OK;
	}
	if (strlen(line) > 4096 || split_words(line, &ws) < 0) {
		if (strlen(line) <= 4096)
			free(ws.copy);
		buf_puts(out, "ERROR: % Line too long\n");
		s->out = NULL;
		return CLI_ERROR;
	}

	/* Indented lines in a verbatim block belong to it. */
	if (s->mode == CLI_MODE_BLOCK && !isspace((unsigned char)line[0]))
		s->mode = CLI_MODE_CONFIG;

	bool neg = false;
	int first = 0;
	if (strcasecmp(ws.w[0], "no") == 0 && ws.n > 1) {
		neg = true;
		first = 1;
	}

	struct attempt at;
	enum cli_mode mode = s->mode;
	try_mode(s, mode, &ws, neg, first, &at, true);
	/* In a sub-mode, a command of an enclosing mode leaves the sub-mode,
	 * as on an ASA (pasted configurations rely on it). */
	while (!at.ran && !at.ambiguous &&
	       (at.fail_word == first || at.status == CLI_ERROR) &&
	       modes[mode].parent != mode && mode > CLI_MODE_CONFIG) {
		struct attempt up;
		enum cli_mode pm = modes[mode].parent;
		try_mode(s, pm, &ws, neg, first, &up, true);
		if (up.ran || up.fail_word > at.fail_word) {
			at = up;
			mode = pm;
		} else {
			break;
		}
	}
	if (at.ran) {
		try_mode(s, mode, &ws, neg, first, &at, false);
		st = at.status;
	} else if (at.ambiguous) {
		buf_printf(out, "ERROR: %% Ambiguous command:  \"%s\"\n",
			   at.ambiguous_word ? at.ambiguous_word : "");
		st = CLI_AMBIGUOUS;
	} else if (at.incomplete) {
		buf_puts(out, "ERROR: % Incomplete command\n");
		st = CLI_INCOMPLETE;
	} else {
		caret_error(s, &ws, at.fail_word);
		st = CLI_ERROR;
	}
	free(ws.copy);
	s->out = NULL;
	return st;
}

/* ------------------------------------------------------------------ */
/* help and completion                                                 */

struct help_item {
	char word[64];
	const char *text;
};

static void help_add(struct help_item *items, int *n, int max,
		     const char *word, const char *text)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(items[i].word, word) == 0)
			return;
	if (*n >= max)
		return;
	snprintf(items[*n].word, sizeof items[*n].word, "%s", word);
	items[*n].text = text ? text : "";
	(*n)++;
}

static int help_cmp(const void *a, const void *b)
{
	const struct help_item *x = a, *y = b;
	if (x->word[0] == '<' && y->word[0] != '<')
		return 1;
	if (y->word[0] == '<' && x->word[0] != '<')
		return -1;
	return strcmp(x->word, y->word);
}

/* Collects next-token candidates after the complete words of partial;
 * prefix non-NULL restricts to keywords starting with it. */
static int collect(struct cli_session *s, const struct words *ws, int nwords,
		   const char *prefix, struct help_item *items, int max,
		   bool *can_end, int *fail_word)
{
	int n = 0;
	bool neg = false;
	int first = 0;
	*can_end = false;
	*fail_word = -1;
	if (nwords > 0 && strcasecmp(ws->w[0], "no") == 0) {
		neg = true;
		first = 1;
	}
	struct words sub = *ws;
	sub.n = nwords;
	enum cli_mode mode = s->mode;
	for (;;) {
		struct match m;
		run_match(s->engine, mode, s->context != NULL, neg, &sub,
			  first, &m);
		if (m.fail_word >= 0) {
			*fail_word = m.fail_word;
			match_free(&m);
		} else {
			const struct step *st = &m.steps[m.nsteps - 1];
			for (int i = 0; i < st->n; i++) {
				const struct row *r = &s->engine->rows[st->t[i].row];
				if (thread_complete(s->engine, &st->t[i], neg))
					*can_end = true;
				uint64_t nx = thread_next(r, &st->t[i]);
				if (r->cmd->flags & CLI_F_HIDDEN)
					continue;
				for (int k = 0; k < r->nnodes; k++) {
					const struct node *nd = &r->nodes[k];
					char disp[64];
					if (!(nx & (1ull << k)))
						continue;
					if (prefix && (nd->kind != TK_KEYWORD ||
					    strncasecmp(nd->text, prefix,
							strlen(prefix))))
						continue;
					node_display(nd, disp, sizeof disp);
					help_add(items, &n, max, disp,
						 node_help(r, nd));
				}
			}
			match_free(&m);
			*fail_word = -1;
		}
		/* At the start of a line, a sub-mode also offers what its
		 * parent modes offer. */
		if (nwords - first > 0 || modes[mode].parent == mode ||
		    mode <= CLI_MODE_CONFIG)
			break;
		mode = modes[mode].parent;
	}
	qsort(items, (size_t)n, sizeof *items, help_cmp);
	return n;
}

void cli_help(struct cli_session *s, const char *partial, struct buf *out)
{
	struct words ws;
	struct help_item items[256];
	bool can_end;
	int fail;
	s->out = out;
	if (split_words(partial, &ws) < 0) {
		free(ws.copy);
		s->out = NULL;
		return;
	}
	size_t plen = strlen(partial);
	bool at_space = plen == 0 || isspace((unsigned char)partial[plen - 1]);
	int complete_words = at_space ? ws.n : ws.n - 1;
	const char *prefix = at_space ? NULL : ws.w[ws.n - 1];
	int n = collect(s, &ws, complete_words, prefix, items, 256, &can_end,
			&fail);
	if (fail >= 0) {
		caret_error(s, &ws, fail);
	} else if (prefix) {
		/* ASA lists the matching keywords on one line. */
		for (int i = 0; i < n; i++)
			buf_printf(out, "%s%s", i ? " " : "", items[i].word);
		buf_puts(out, n ? "\n" : "");
		if (!n)
			caret_error(s, &ws, ws.n - 1);
	} else {
		int width = 0;
		for (int i = 0; i < n; i++)
			if ((int)strlen(items[i].word) > width)
				width = (int)strlen(items[i].word);
		for (int i = 0; i < n; i++)
			buf_printf(out, "  %-*s  %s\n", width, items[i].word,
				   items[i].text);
		if (can_end)
			buf_puts(out, "  <cr>\n");
	}
	free(ws.copy);
	s->out = NULL;
}

void cli_complete(struct cli_session *s, const char *partial, struct buf *out)
{
	struct words ws;
	struct help_item items[256];
	bool can_end;
	int fail;
	if (split_words(partial, &ws) < 0) {
		free(ws.copy);
		return;
	}
	size_t plen = strlen(partial);
	bool at_space = plen == 0 || isspace((unsigned char)partial[plen - 1]);
	int complete_words = at_space ? ws.n : ws.n - 1;
	const char *prefix = at_space ? "" : ws.w[ws.n - 1];
	int n = collect(s, &ws, complete_words, prefix, items, 256, &can_end,
			&fail);
	if (fail < 0)
		for (int i = 0; i < n; i++)
			buf_printf(out, "%s\n", items[i].word);
	free(ws.copy);
}
