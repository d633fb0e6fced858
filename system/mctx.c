/*
 * mctx: the operator console.  Connects to mctxd's console socket and speaks
 * con_wire frames (system/con_wire.h).  Three ways to run:
 *
 *   mctx [-S SOCKET]                 stdin a tty: line editing (libedit),
 *                                    history, '?' help and Tab completion
 *                                    answered by the server, ASA-style
 *   mctx [-S SOCKET] -c CMD [-c ...] runs each command, exit 1 if any failed
 *   mctx [-S SOCKET] < config.txt    sends every line in order; a failure is
 *                                    reported as "line N: CMD" on stderr
 *
 * Exit status: 0 all commands succeeded (or the session was ended by Ctrl-D
 * or the server's BYE), 1 some command failed, 2 connection or protocol
 * error.  The client is strictly one request at a time: every request waits
 * for its DONE before the next is sent, so output order is the input order.
 */
#include "system/con_wire.h"

#include <errno.h>
#include <histedit.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <wchar.h>

#define EXIT_FAILED   1
#define EXIT_SESSION  2
#define HISTORY_FILE  ".mctx_history"
#define HISTORY_SIZE  1000
#define READ_CHUNK    65536

struct client {
	int fd;
	const char *sock_path;
	struct buf in;            /* bytes received, not yet taken as frames */
	size_t taken;             /* size of the frame handed out last */
	struct buf out;           /* frame being sent */
	uint32_t next_id;
	char prompt[CON_MAX_PROMPT + 1];
	bool bye;                 /* the server ended the session (BYE) */
	bool lost;                /* connection or protocol failure, reported */
	const char *why;          /* detail for a protocol error */
	/* interactive only */
	EditLine *el;
	History *hist;
	mbstate_t key_state;      /* multibyte decoding of typed keys */
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: mctx [-S SOCKET] [-c COMMAND]...\n"
		"  -S SOCKET   console socket (default %s)\n"
		"  -c COMMAND  run COMMAND and exit; may be repeated\n"
		"Without -c, commands are read from stdin: interactively on a\n"
		"terminal, otherwise one per line.\n", CON_DEFAULT_SOCKET);
}

static void write_out(FILE *to, const void *data, size_t len)
{
	if (len)
		fwrite(data, 1, len, to);
	fflush(to);
}

/* Text from the server that must stand on its own lines. */
static void write_lines(FILE *to, const uint8_t *text, size_t len)
{
	write_out(to, text, len);
	if (len && text[len - 1] != '\n')
		write_out(to, "\n", 1);
}

/* ---- connection ---- */

static int client_connect(struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->sock_path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, c->sock_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int err = -errno;
		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

/* Prints the one line that explains why the session is unusable. */
static void report_lost(struct client *c, int err)
{
	if (c->lost)
		return;
	c->lost = true;
	if (err == -ECONNRESET || err == -EPIPE)
		fprintf(stderr, "mctx: %s: connection closed by the server\n",
			c->sock_path);
	else if (err == -EPROTO || err == -EMSGSIZE)
		fprintf(stderr, "mctx: %s: protocol error from the server: %s\n",
			c->sock_path, c->why ? c->why : strerror(-err));
	else
		fprintf(stderr, "mctx: %s: %s\n", c->sock_path, strerror(-err));
}

static int client_send(struct client *c)
{
	size_t off = 0;
	int rc = 0;

	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off,
				 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	buf_reset(&c->out);
	return rc;
}

/* One read(2) into c->in.  >0 bytes, -ECONNRESET at end of stream. */
static int client_fill(struct client *c)
{
	for (;;) {
		buf_reserve(&c->in, READ_CHUNK);
		ssize_t n = read(c->fd, c->in.data + c->in.len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		c->in.len += (size_t)n;
		return (int)n;
	}
}

/* Takes the next whole frame already received: 1 and f filled (valid until
 * the next call), 0 if more bytes are needed, or a negative error. */
static int client_take_frame(struct client *c, struct con_frame *f)
{
	buf_consume(&c->in, c->taken);
	c->taken = 0;
	ssize_t n = con_frame_get((const uint8_t *)c->in.data, c->in.len, f);
	if (n == -EMSGSIZE)
		c->why = "frame longer than 16 MiB";
	else if (n < 0)
		c->why = "unknown frame type";
	if (n <= 0)
		return (int)n;
	c->taken = (size_t)n;
	if (con_type_is_request(f->type)) {
		c->why = "server sent a client request frame";
		return -EPROTO;
	}
	return 1;
}

static int client_read_frame(struct client *c, struct con_frame *f)
{
	for (;;) {
		int rc = client_take_frame(c, f);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		rc = client_fill(c);
		if (rc < 0)
			return rc;
	}
}

/* NOTICE and BYE can arrive at any moment. */
static void print_notice(const struct con_frame *f)
{
	write_lines(stdout, f->payload, f->len);
}

static void take_bye(struct client *c, const struct con_frame *f)
{
	c->bye = true;
	write_lines(stdout, f->payload, f->len);
}

static int take_prompt_from_done(struct client *c, const struct con_frame *f,
				 uint8_t *status)
{
	int rc = con_parse_done(f, status, c->prompt, sizeof c->prompt);
	if (rc)
		c->why = "malformed DONE frame";
	return rc;
}

/*
 * Sends one request and waits for its DONE.  OUTPUT goes to capture when
 * given, else straight to stdout.  Returns 0 with *status, -ESHUTDOWN after a
 * BYE, or a connection/protocol error (not yet reported).
 */
static int client_request(struct client *c, uint16_t type, const char *line,
			  struct buf *capture, uint8_t *status)
{
	uint32_t id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;   /* 0 is reserved for unsolicited frames */

	con_put_text(&c->out, type, id, line);
	int rc = client_send(c);
	if (rc)
		return rc;
	for (;;) {
		struct con_frame f;
		rc = client_read_frame(c, &f);
		if (rc)
			return rc;
		switch (f.type) {
		case CON_OUTPUT:
			if (f.id != id)
				break;    /* late output of an older request */
			if (capture)
				buf_add(capture, f.payload, f.len);
			else
				write_out(stdout, f.payload, f.len);
			break;
		case CON_DONE:
			if (f.id != id)
				break;
			return take_prompt_from_done(c, &f, status);
		case CON_NOTICE:
			print_notice(&f);
			break;
		case CON_BYE:
			take_bye(c, &f);
			return -ESHUTDOWN;
		default:          /* a repeated WELCOME changes nothing */
			break;
		}
	}
}

/* HELLO, then wait for WELCOME (printing notices that come first). */
static int client_hello(struct client *c, uint16_t hello_flags)
{
	con_put_hello(&c->out, c->next_id++, hello_flags);
	int rc = client_send(c);
	if (rc)
		return rc;
	for (;;) {
		struct con_frame f;
		rc = client_read_frame(c, &f);
		if (rc)
			return rc;
		if (f.type == CON_NOTICE) {
			print_notice(&f);
		} else if (f.type == CON_BYE) {
			/* e.g. session limit reached: the text says why */
			c->bye = true;
			write_lines(stderr, f.payload, f.len);
			return -ESHUTDOWN;
		} else if (f.type == CON_WELCOME) {
			uint16_t version;
			rc = con_parse_welcome(&f, &version, c->prompt,
					       sizeof c->prompt);
			if (rc) {
				c->why = "malformed WELCOME frame";
				return rc;
			}
			if (version != CON_VERSION) {
				c->why = "unsupported console protocol version";
				return -EPROTO;
			}
			return 0;
		} else {
			c->why = "expected WELCOME";
			return -EPROTO;
		}
	}
}

/* ---- batch: -c and stdin that is not a terminal ---- */

static bool status_failed(uint8_t status)
{
	return status != CON_ST_OK && status != CON_ST_WARNING;
}

/*
 * Runs one command; lineno is 0 for -c.  A failed command's output goes to
 * stderr (after "line N: CMD" in stdin mode) so scripts can tell it apart.
 * Returns 0 ok, 1 failed, or a negative session error (-ESHUTDOWN: BYE).
 */
static int batch_exec(struct client *c, const char *line, size_t len,
		      unsigned lineno)
{
	int rc = con_line_check(line, len);
	if (rc) {
		if (lineno)
			fprintf(stderr, "line %u: %.*s\n", lineno,
				len > 80 ? 80 : (int)len, line);
		fprintf(stderr, "mctx: %s\n", rc == -EMSGSIZE ?
			"command line longer than 4096 bytes, not sent" :
			"command line contains a NUL, CR or LF byte, not sent");
		return 1;
	}

	struct buf output;
	uint8_t status = CON_ST_OK;
	buf_init(&output);
	rc = client_request(c, CON_EXEC, line, &output, &status);
	if (rc == 0 && status_failed(status)) {
		if (lineno)
			fprintf(stderr, "line %u: %s\n", lineno, line);
		write_out(stderr, output.data, output.len);
		rc = 1;
	} else {
		write_out(stdout, output.data, output.len);
	}
	buf_free(&output);
	return rc;
}

/* Folds one batch_exec result into the exit status; false to stop. */
static bool batch_account(struct client *c, int rc, int *exit_status)
{
	if (rc == 1)
		*exit_status = EXIT_FAILED;
	if (rc >= 0)
		return true;
	if (rc != -ESHUTDOWN) {
		report_lost(c, rc);
		*exit_status = EXIT_SESSION;
	}
	return false;
}

static int run_commands(struct client *c, char **cmds, int ncmds)
{
	int exit_status = 0;

	for (int i = 0; i < ncmds; i++) {
		int rc = batch_exec(c, cmds[i], strlen(cmds[i]), 0);
		if (batch_account(c, rc, &exit_status))
			continue;
		if (c->bye && i + 1 < ncmds) {
			fprintf(stderr, "mctx: the server ended the session "
				"after \"%s\"; %d command(s) not run\n",
				cmds[i], ncmds - i - 1);
			exit_status = EXIT_FAILED;
		}
		break;
	}
	return exit_status;
}

static int run_stdin(struct client *c)
{
	int exit_status = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		size_t len = (size_t)n;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')   /* DOS line ends */
			line[--len] = '\0';
		int rc = batch_exec(c, line, len, lineno);
		if (batch_account(c, rc, &exit_status))
			continue;
		if (!c->bye) {
			fprintf(stderr, "mctx: line %u (%s) did not complete\n",
				lineno, line);
		} else if (getline(&line, &cap, stdin) >= 0) {
			fprintf(stderr, "mctx: the server ended the session at "
				"line %u; the rest of the input was not sent\n",
				lineno);
			exit_status = EXIT_FAILED;
		}
		break;
	}
	free(line);
	return exit_status;
}

/* ---- interactive ---- */

static struct client *client_of(EditLine *el)
{
	struct client *c = NULL;
	el_get(el, EL_CLIENTDATA, &c);
	return c;
}

static char *prompt_of(EditLine *el)
{
	return client_of(el)->prompt;
}

/* The line typed so far, up to the cursor, as a NUL-terminated copy. */
static char *typed_line(EditLine *el)
{
	const LineInfo *li = el_line(el);
	return strndup(li->buffer, (size_t)(li->cursor - li->buffer));
}

/*
 * Sends HELP or COMPLETE for the typed line.  Returns 0 with the status,
 * or an error; a lost session is reported here and ends el_gets (CC_EOF).
 */
static int ask_server(struct client *c, uint16_t type, const char *line,
		      struct buf *capture, uint8_t *status)
{
	if (con_line_check(line, strlen(line)))
		return -EINVAL;
	int rc = client_request(c, type, line, capture, status);
	if (rc && rc != -ESHUTDOWN)
		report_lost(c, rc);
	return rc;
}

/* '?': the server lists what may come next; the line stays as typed. */
static unsigned char on_help_key(EditLine *el, int ch)
{
	struct client *c = client_of(el);
	const LineInfo *li = el_line(el);
	char *line = typed_line(el);
	uint8_t status;

	if (con_line_check(line, strlen(line))) {
		free(line);
		return CC_REFRESH_BEEP;
	}
	/* echo the '?' like an ASA, then the listing below it */
	fputs(li->cursor == li->lastchar ? "?\n" : "\n", stdout);
	fflush(stdout);
	int rc = ask_server(c, CON_HELP, line, NULL, &status);
	free(line);
	return rc ? CC_EOF : CC_REDISPLAY;   /* BYE or lost: leave el_gets */
}

/* Splits the server's candidate list (one word per line) in place. */
static size_t split_words(char *text, char **words, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(text, "\r\n", &save);
	     w && n < max; w = strtok_r(NULL, "\r\n", &save))
		words[n++] = w;
	return n;
}

static size_t common_prefix(char **words, size_t n)
{
	size_t len = strlen(words[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;
		while (k < len && words[i][k] && words[i][k] == words[0][k])
			k++;
		len = k;
	}
	return len;
}

static void list_words(char **words, size_t n)
{
	size_t width = 0, col = 0;
	for (size_t i = 0; i < n; i++)
		if (strlen(words[i]) > width)
			width = strlen(words[i]);
	width += 2;
	fputc('\n', stdout);
	for (size_t i = 0; i < n; i++) {
		if (col && col + width > 80) {
			fputc('\n', stdout);
			col = 0;
		}
		fprintf(stdout, "%-*s", (int)width, words[i]);
		col += width;
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* Replaces the word being typed (partial_len bytes before the cursor). */
static void replace_word(EditLine *el, size_t partial_len, const char *word,
			 size_t word_len, bool finished)
{
	char *copy = strndup(word, word_len);
	el_deletestr(el, (int)partial_len);
	el_insertstr(el, copy);
	if (finished)
		el_insertstr(el, " ");
	free(copy);
}

/*
 * Tab: one candidate completes the word; several are listed (and the word
 * extended to their common prefix); placeholders such as "<1-65535>" or
 * "<cr>" are only listed, never inserted.
 */
static unsigned char on_complete_key(EditLine *el, int ch)
{
	struct client *c = client_of(el);
	char *line = typed_line(el);
	struct buf reply;
	uint8_t status = CON_ST_OK;
	unsigned char result = CC_REFRESH_BEEP;

	buf_init(&reply);
	int rc = ask_server(c, CON_COMPLETE, line, &reply, &status);
	if (rc && rc != -EINVAL) {
		result = CC_EOF;
		goto out;
	}
	if (rc || status_failed(status) || !reply.len)
		goto out;

	char *words[256];
	size_t n = split_words(reply.data, words, 256);
	const char *start = strrchr(line, ' ');
	size_t partial_len = strlen(start ? start + 1 : line);
	if (n == 0)
		goto out;
	if (n == 1 && words[0][0] != '<') {
		replace_word(el, partial_len, words[0], strlen(words[0]), true);
		result = CC_REFRESH;
		goto out;
	}
	size_t prefix = common_prefix(words, n);
	if (prefix > partial_len && words[0][0] != '<')
		replace_word(el, partial_len, words[0], prefix, false);
	list_words(words, n);
	result = CC_REDISPLAY;
out:
	buf_free(&reply);
	free(line);
	return result;
}

/*
 * Reads a key, but also watches the socket so that a NOTICE arriving while
 * the operator sits at the prompt is printed at once, above a redrawn prompt.
 * Returns 1 with *wc, 0 at end of input or when the session ended.
 */
static int read_key(EditLine *el, wchar_t *wc)
{
	struct client *c = client_of(el);

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = c->fd, .events = POLLIN },
		};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents) {
			int rc = client_fill(c);
			bool printed = false;
			struct con_frame f;
			while (rc >= 0 && (rc = client_take_frame(c, &f)) > 0) {
				if (f.type == CON_NOTICE || f.type == CON_BYE) {
					fputc('\n', stdout);
					printed = true;
				}
				if (f.type == CON_NOTICE)
					print_notice(&f);
				else if (f.type == CON_BYE) {
					take_bye(c, &f);
					return 0;
				}
			}
			if (rc < 0) {
				fputc('\n', stdout);
				report_lost(c, rc);
				return 0;
			}
			if (printed)
				el_set(el, EL_REFRESH);
			continue;
		}
		if (pfd[0].revents) {
			char byte;
			ssize_t n = read(STDIN_FILENO, &byte, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return (int)n;
			size_t k = mbrtowc(wc, &byte, 1, &c->key_state);
			if (k == (size_t)-2)
				continue;         /* middle of a UTF-8 sequence */
			if (k == (size_t)-1) {   /* not valid: take the byte */
				memset(&c->key_state, 0, sizeof c->key_state);
				*wc = (unsigned char)byte;
			}
			return 1;
		}
	}
}

static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *path = NULL;
	if (!home || !*home || asprintf(&path, "%s/%s", home, HISTORY_FILE) < 0)
		return NULL;
	return path;
}

static void interactive_setup(struct client *c, const char *argv0,
			      const char *hist_path)
{
	HistEvent ev;

	c->hist = history_init();
	history(c->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(c->hist, &ev, H_SETUNIQUE, 1);
	if (hist_path)
		history(c->hist, &ev, H_LOAD, hist_path);

	c->el = el_init(argv0, stdin, stdout, stderr);
	el_set(c->el, EL_CLIENTDATA, c);
	el_set(c->el, EL_EDITOR, "emacs");
	el_set(c->el, EL_SIGNAL, 1);
	el_set(c->el, EL_PROMPT, prompt_of);
	el_set(c->el, EL_HIST, history, c->hist);
	el_set(c->el, EL_GETCFN, read_key);
	/* el_wset keeps these static names; el_set would leak copies */
	el_wset(c->el, EL_ADDFN, L"mctx-help", L"List what may come next",
		on_help_key);
	el_set(c->el, EL_BIND, "?", "mctx-help", NULL);
	el_wset(c->el, EL_ADDFN, L"mctx-complete", L"Complete the word",
		on_complete_key);
	el_set(c->el, EL_BIND, "^I", "mctx-complete", NULL);
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

static int run_interactive(struct client *c, const char *argv0)
{
	char *hist_path = history_path();
	int exit_status = 0;
	HistEvent ev;

	interactive_setup(c, argv0, hist_path);
	for (;;) {
		int count = 0;
		const char *got = el_gets(c->el, &count);
		if (!got) {
			if (!c->lost && !c->bye)
				fputc('\n', stdout);    /* Ctrl-D */
			break;
		}
		char *line = strdup(got);
		line[strcspn(line, "\r\n")] = '\0';
		if (!blank(line))
			history(c->hist, &ev, H_ENTER, line);
		uint8_t status;
		int rc = 0;
		if (con_line_check(line, strlen(line)))
			fprintf(stderr, "%% Command line too long or with "
				"control characters, not sent\n");
		else
			rc = client_request(c, CON_EXEC, line, NULL, &status);
		free(line);
		if (rc == -ESHUTDOWN)
			break;
		if (rc) {
			report_lost(c, rc);
			break;
		}
	}
	if (c->lost)
		exit_status = EXIT_SESSION;
	if (hist_path) {
		/* history holds keys and passwords typed in config mode */
		mode_t old_mask = umask(077);
		history(c->hist, &ev, H_SAVE, hist_path);
		chmod(hist_path, 0600);
		umask(old_mask);
	}
	el_end(c->el);
	history_end(c->hist);
	free(hist_path);
	return exit_status;
}

int main(int argc, char **argv)
{
	struct client c = { .fd = -1, .sock_path = CON_DEFAULT_SOCKET,
			    .next_id = 1 };
	char **cmds = calloc((size_t)argc, sizeof *cmds);
	int ncmds = 0, opt, exit_status;

	setlocale(LC_CTYPE, "");
	while ((opt = getopt(argc, argv, "S:c:h")) != -1) {
		switch (opt) {
		case 'S':
			c.sock_path = optarg;
			break;
		case 'c':
			cmds[ncmds++] = optarg;
			break;
		case 'h':
			usage(stdout);
			free(cmds);
			return 0;
		default:
			usage(stderr);
			free(cmds);
			return EXIT_SESSION;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mctx: unexpected argument \"%s\" (quote the "
			"command after -c)\n", argv[optind]);
		free(cmds);
		return EXIT_SESSION;
	}

	bool interactive = ncmds == 0 && isatty(STDIN_FILENO);
	buf_init(&c.in);
	buf_init(&c.out);
	int rc = client_connect(&c);
	if (rc) {
		fprintf(stderr, "mctx: cannot connect to %s: %s\n",
			c.sock_path, strerror(-rc));
		exit_status = EXIT_SESSION;
		goto out;
	}
	rc = client_hello(&c, interactive ? 0 : CON_HELLO_BATCH);
	if (rc) {
		if (rc != -ESHUTDOWN)
			report_lost(&c, rc);
		exit_status = EXIT_SESSION;
		goto out;
	}
	if (ncmds)
		exit_status = run_commands(&c, cmds, ncmds);
	else if (interactive)
		exit_status = run_interactive(&c, argv[0]);
	else
		exit_status = run_stdin(&c);
out:
	if (c.fd >= 0)
		close(c.fd);
	buf_free(&c.in);
	buf_free(&c.out);
	free(cmds);
	return exit_status;
}
