/*
 * test_mctx_client: runs the built console client ($MCTX_BUILD/mctx, default
 * build/asan) against a tiny scripted console server forked by the test, on
 * a unix socket in a private /tmp directory.  Checks exit codes, which
 * stream output lands on, "line N:" numbering in stdin mode, that every line
 * is sent in order, and the '?' key in a real pseudo-terminal.
 *
 * The scripted server answers EXEC by the command's first word:
 *   fail / incomplete / ambig  OUTPUT an error, DONE with that status
 *   warn                       OUTPUT a warning, DONE WARNING
 *   notice                     NOTICE, then OUTPUT and DONE OK
 *   big                        1.5 MiB of OUTPUT in three frames
 *   exit                       BYE and close
 *   drop                       close without an answer
 *   garbage                    a frame of unknown type
 *   anything else              OUTPUT "ran: LINE", DONE OK
 * and logs "HELLO flags" and every EXEC/HELP/COMPLETE line to a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "system/con_wire.h"

#define BIG_CHUNK (512 * 1024)

struct lab {
	char dir[64];
	char sock[128];
	char log[128];
	char client[256];
	pid_t server;
};

/* ---- the scripted server (runs in a forked child) ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void log_line(const char *path, const char *fmt, const char *arg)
{
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, fmt, arg);
	fclose(f);
}

static bool word_is(const char *line, const char *word)
{
	size_t n = strlen(word);
	line += strspn(line, " ");
	return strncmp(line, word, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* Answers one request; false when the session must end. */
static bool serve_line(struct buf *out, const struct con_frame *f,
		       const char *line)
{
	static const struct {
		const char *word;
		uint8_t status;
		const char *output;
	} canned[] = {
		{ "fail", CON_ST_ERROR,
		  "ERROR: % Invalid input detected at '^' marker.\n" },
		{ "incomplete", CON_ST_INCOMPLETE, "% Incomplete command\n" },
		{ "ambig", CON_ST_AMBIGUOUS, "% Ambiguous command\n" },
		{ "warn", CON_ST_WARNING, "WARNING: careful\n" },
	};
	const char *prompt = "ciscoasa# ";

	if (f->type == CON_HELP) {
		char text[CON_MAX_LINE + 64];
		snprintf(text, sizeof text, "help for [%s]\n", line);
		con_put_text(out, CON_OUTPUT, f->id, text);
		con_put_done(out, f->id, CON_ST_OK, prompt);
		return true;
	}
	if (f->type == CON_COMPLETE) {
		con_put_text(out, CON_OUTPUT, f->id,
			     strcmp(line, "sh") == 0 ? "show\n" :
			     "failover\nfirewall\n");
		con_put_done(out, f->id, CON_ST_OK, prompt);
		return true;
	}
	for (size_t i = 0; i < sizeof canned / sizeof canned[0]; i++) {
		if (word_is(line, canned[i].word)) {
			con_put_text(out, CON_OUTPUT, f->id, canned[i].output);
			con_put_done(out, f->id, canned[i].status, prompt);
			return true;
		}
	}
	if (word_is(line, "notice")) {
		con_put_text(out, CON_NOTICE, 0, "Beginning configuration "
			     "replication: Sending to mate.\n");
		con_put_text(out, CON_OUTPUT, f->id, "noticed\n");
	} else if (word_is(line, "big")) {
		char *chunk = malloc(BIG_CHUNK);
		memset(chunk, 'x', BIG_CHUNK);
		for (int i = 0; i < 3; i++)
			con_frame_put(out, CON_OUTPUT, 0, f->id, chunk,
				      BIG_CHUNK);
		free(chunk);
	} else if (word_is(line, "exit")) {
		con_put_text(out, CON_BYE, 0, "Logoff\n");
		return false;
	} else if (word_is(line, "drop")) {
		return false;
	} else if (word_is(line, "garbage")) {
		uint8_t junk[CON_HDR_LEN] = { 0, 0, 0, 0, 0x7f, 0x7f };
		buf_add(out, junk, sizeof junk);
		return false;
	} else if (word_is(line, "configure")) {
		prompt = "ciscoasa(config)# ";
	} else {
		char text[CON_MAX_LINE + 64];
		snprintf(text, sizeof text, "ran: %s\n", line);
		con_put_text(out, CON_OUTPUT, f->id, text);
	}
	con_put_done(out, f->id, CON_ST_OK, prompt);
	return true;
}

static void serve_session(int fd, const char *log)
{
	struct buf in, out;
	bool going = true;
	buf_init(&in);
	buf_init(&out);
	while (going) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n <= 0)
			break;
		buf_add(&in, chunk, (size_t)n);
		struct con_frame f;
		ssize_t got;
		while (going && (got = con_frame_get((uint8_t *)in.data, in.len,
						     &f)) > 0) {
			char line[CON_MAX_LINE + 1];
			uint16_t version, flags;
			if (con_parse_hello(&f, &version, &flags) == 0) {
				char text[32];
				snprintf(text, sizeof text, "%u", flags);
				log_line(log, "HELLO %s\n", text);
				con_put_welcome(&out, f.id, "ciscoasa# ");
			} else if (con_parse_line(&f, line, sizeof line) == 0) {
				log_line(log, f.type == CON_EXEC ? "EXEC [%s]\n" :
					 f.type == CON_HELP ? "HELP [%s]\n" :
					 "COMPLETE [%s]\n", line);
				going = serve_line(&out, &f, line);
			} else {
				going = false;
			}
			buf_consume(&in, (size_t)got);
		}
		if (write_all(fd, out.data, out.len) < 0)
			break;
		buf_reset(&out);
	}
	buf_free(&in);
	buf_free(&out);
}

static void run_server(int lfd, const char *log)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_session(fd, log);
		close(fd);
	}
}

/* ---- fixture ---- */

static int lab_setup(void **state)
{
	struct lab *lab = calloc(1, sizeof *lab);
	const char *build = getenv("MCTX_BUILD");
	snprintf(lab->client, sizeof lab->client, "%s/mctx",
		 build && *build ? build : "build/asan");
	snprintf(lab->dir, sizeof lab->dir, "/tmp/t%dxmctx.XXXXXX", getpid());
	if (!mkdtemp(lab->dir))
		return -1;
	snprintf(lab->sock, sizeof lab->sock, "%s/console.sock", lab->dir);
	snprintf(lab->log, sizeof lab->log, "%s/server.log", lab->dir);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, lab->sock);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(lfd, 8) < 0)
		return -1;
	fflush(NULL);
	lab->server = fork();
	if (lab->server < 0)
		return -1;
	if (lab->server == 0) {
		signal(SIGPIPE, SIG_IGN);
		run_server(lfd, lab->log);
		_exit(0);
	}
	close(lfd);
	*state = lab;
	return 0;
}

static void remove_in(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static int lab_teardown(void **state)
{
	struct lab *lab = *state;
	if (lab->server > 0) {
		kill(lab->server, SIGKILL);
		waitpid(lab->server, NULL, 0);
	}
	static const char *const files[] = { "console.sock", "server.log",
		"stdin", "stdout", "stderr", ".mctx_history" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		remove_in(lab->dir, files[i]);
	rmdir(lab->dir);
	free(lab);
	return 0;
}

static void skip_without_client(const struct lab *lab)
{
	if (access(lab->client, X_OK) != 0) {
		print_message("skip: %s not built (make %s)\n", lab->client,
			      lab->client);
		skip();
	}
}

static char *slurp(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	struct buf b;
	char chunk[65536];
	size_t n;
	buf_init(&b);
	buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

static void spill(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * Runs the client with args (NULL-terminated after the socket option) and
 * stdin from text; returns its exit code.  Output lands in the lab dir.
 */
static int run_client(struct lab *lab, const char *sock, const char *text,
		      const char *const *args)
{
	char in[256], out[256], err[256];
	const char *argv[16] = { lab->client, "-S", sock };
	int argc = 3;
	for (; args && *args && argc < 15; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;

	spill(lab->dir, "stdin", text ? text : "");
	remove_in(lab->dir, "server.log");
	snprintf(in, sizeof in, "%s/stdin", lab->dir);
	snprintf(out, sizeof out, "%s/stdout", lab->dir);
	snprintf(err, sizeof err, "%s/stderr", lab->dir);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fi = open(in, O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fi < 0 || fo < 0 || fe < 0)
			_exit(99);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		alarm(60);   /* a hung client fails the test, not the run */
		execv(lab->client, (char *const *)argv);
		_exit(98);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ---- batch cases ---- */

struct batch_case {
	const char *name;
	const char *args[8];      /* after -S SOCKET */
	const char *stdin_text;
	int exit_code;
	const char *stdout_has[3];
	const char *stderr_has[3];
	const char *stdout_lacks;
	const char *server_log;   /* exact, NULL: not checked */
};

static const struct batch_case batch_cases[] = {
	{ "-c ok and warning",
	  { "-c", "show version", "-c", "warn now" }, NULL, 0,
	  { "ran: show version\n", "WARNING: careful\n" }, { NULL }, NULL,
	  "HELLO 1\nEXEC [show version]\nEXEC [warn now]\n" },
	{ "-c one failure in the middle, all still run",
	  { "-c", "a", "-c", "fail x", "-c", "b" }, NULL, 1,
	  { "ran: a\n", "ran: b\n" }, { "ERROR: % Invalid input" },
	  "ERROR", "HELLO 1\nEXEC [a]\nEXEC [fail x]\nEXEC [b]\n" },
	{ "-c incomplete", { "-c", "incomplete" }, NULL, 1,
	  { NULL }, { "% Incomplete command" }, NULL, NULL },
	{ "-c ambiguous", { "-c", "ambig" }, NULL, 1,
	  { NULL }, { "% Ambiguous command" }, NULL, NULL },
	{ "-c notice printed", { "-c", "notice" }, NULL, 0,
	  { "Beginning configuration replication: Sending to mate.\n",
	    "noticed\n" }, { NULL }, NULL, NULL },
	{ "-c exit: BYE is a clean end", { "-c", "exit" }, NULL, 0,
	  { "Logoff\n" }, { NULL }, NULL, NULL },
	{ "-c exit then more: not run", { "-c", "exit", "-c", "show" }, NULL, 1,
	  { "Logoff\n" }, { "1 command(s) not run" }, NULL,
	  "HELLO 1\nEXEC [exit]\n" },
	{ "-c server hangs up mid-command", { "-c", "a", "-c", "drop" }, NULL, 2,
	  { "ran: a\n" }, { "connection closed by the server" }, NULL, NULL },
	{ "-c server sends garbage", { "-c", "garbage" }, NULL, 2,
	  { NULL }, { "protocol error from the server: unknown frame type" },
	  NULL, NULL },
	{ "stdin: every line sent, failures numbered",
	  { NULL },
	  "hostname fw\n!\n\nfail one\ninterface Ethernet0\n fail two\n"
	  "incomplete\nend\n", 1,
	  { "ran: hostname fw\n", "ran: interface Ethernet0\n", "ran: end\n" },
	  { "line 4: fail one\nERROR: % Invalid input",
	    "line 6:  fail two\nERROR: % Invalid input",
	    "line 7: incomplete\n% Incomplete command\n" },
	  "ERROR",
	  "HELLO 1\nEXEC [hostname fw]\nEXEC [!]\nEXEC []\nEXEC [fail one]\n"
	  "EXEC [interface Ethernet0]\nEXEC [ fail two]\nEXEC [incomplete]\n"
	  "EXEC [end]\n" },
	{ "stdin: CRLF line ends and no final newline", { NULL },
	  "a\r\nb\r\nc", 0, { "ran: a\n", "ran: b\n", "ran: c\n" }, { NULL },
	  "\r", "HELLO 1\nEXEC [a]\nEXEC [b]\nEXEC [c]\n" },
	{ "stdin: all fine", { NULL }, "configure terminal\nhostname x\n", 0,
	  { "ran: hostname x\n" }, { NULL }, NULL, NULL },
	{ "stdin: exit with lines left", { NULL }, "a\nexit\nb\n", 1,
	  { "ran: a\n", "Logoff\n" }, { "ended the session at line 2" },
	  "ran: b", "HELLO 1\nEXEC [a]\nEXEC [exit]\n" },
	{ "stdin: exit as the last line", { NULL }, "a\nexit\n", 0,
	  { "Logoff\n" }, { NULL }, NULL, NULL },
	{ "stdin: hang-up names the line", { NULL }, "a\ndrop\nb\n", 2,
	  { NULL }, { "connection closed by the server",
		      "line 2 (drop) did not complete" }, "ran: b", NULL },
	{ "-c control character: refused locally, rest still runs",
	  { "-c", "a\nb", "-c", "c" }, NULL, 1, { "ran: c\n" },
	  { "LF byte, not sent" }, NULL, "HELLO 1\nEXEC [c]\n" },
	{ "unknown option", { "-x" }, NULL, 2, { NULL }, { "usage:" },
	  NULL, NULL },
};

static void check_has(const char *what, const char *text, const char *needle)
{
	if (needle && !strstr(text, needle))
		fail_msg("%s lacks \"%s\"; it was:\n%s", what, needle, text);
}

static void test_batch(void **state)
{
	struct lab *lab = *state;
	skip_without_client(lab);
	for (size_t i = 0; i < sizeof batch_cases / sizeof batch_cases[0]; i++) {
		const struct batch_case *bc = &batch_cases[i];
		print_message("case: %s\n", bc->name);
		int rc = run_client(lab, lab->sock, bc->stdin_text, bc->args);
		char *out = slurp(lab->dir, "stdout");
		char *err = slurp(lab->dir, "stderr");
		char *log = slurp(lab->dir, "server.log");
		if (rc != bc->exit_code)
			fail_msg("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
				 bc->name, rc, bc->exit_code, out, err);
		for (int k = 0; k < 3; k++) {
			check_has("stdout", out, bc->stdout_has[k]);
			check_has("stderr", err, bc->stderr_has[k]);
		}
		if (bc->stdout_lacks && strstr(out, bc->stdout_lacks))
			fail_msg("%s: stdout has \"%s\":\n%s", bc->name,
				 bc->stdout_lacks, out);
		if (bc->server_log)
			assert_string_equal(log, bc->server_log);
		free(out);
		free(err);
		free(log);
	}
}

static void test_big_output(void **state)
{
	struct lab *lab = *state;
	const char *args[] = { "-c", "big", NULL };
	skip_without_client(lab);
	assert_int_equal(run_client(lab, lab->sock, NULL, args), 0);
	char *out = slurp(lab->dir, "stdout");
	assert_int_equal(strlen(out), 3 * BIG_CHUNK);
	assert_int_equal(strspn(out, "x"), 3 * BIG_CHUNK);
	free(out);
}

static void test_cannot_connect(void **state)
{
	struct lab *lab = *state;
	const char *args[] = { "-c", "show", NULL };
	char missing[256], want[512];
	skip_without_client(lab);
	snprintf(missing, sizeof missing, "%s/absent.sock", lab->dir);
	assert_int_equal(run_client(lab, missing, NULL, args), 2);
	char *err = slurp(lab->dir, "stderr");
	snprintf(want, sizeof want,
		 "mctx: cannot connect to %s: No such file or directory\n",
		 missing);
	assert_string_equal(err, want);
	free(err);
}

/* ---- interactive, in a pseudo-terminal ---- */

/* Reads from the pty until needle shows up (or 10 s pass). */
static bool pty_expect(int fd, struct buf *seen, const char *needle)
{
	time_t end = time(NULL) + 10;
	while (!strstr(seen->data ? seen->data : "", needle)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (time(NULL) > end || poll(&p, 1, 1000) < 0)
			return false;
		if (!(p.revents & POLLIN))
			continue;
		char chunk[1024];
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n <= 0)
			return false;
		buf_add(seen, chunk, (size_t)n);
	}
	return true;
}

static void expect_or_fail(int fd, struct buf *seen, const char *needle)
{
	if (!pty_expect(fd, seen, needle))
		fail_msg("terminal never showed \"%s\"; it showed:\n%s", needle,
			 seen->data ? seen->data : "");
}

static void type_keys(int fd, const char *keys)
{
	assert_int_equal(write_all(fd, keys, strlen(keys)), 0);
}

static void test_interactive_help_key(void **state)
{
	struct lab *lab = *state;
	struct buf seen;
	int master;
	skip_without_client(lab);
	remove_in(lab->dir, "server.log");
	fflush(NULL);
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("HOME", lab->dir, 1);
		setenv("TERM", "dumb", 1);
		alarm(60);
		execl(lab->client, lab->client, "-S", lab->sock, (char *)NULL);
		_exit(98);
	}
	buf_init(&seen);
	expect_or_fail(master, &seen, "ciscoasa# ");
	/* '?' asks at once, the line stays as typed */
	type_keys(master, "show fail?");
	expect_or_fail(master, &seen, "help for [show fail]");
	buf_reset(&seen);
	type_keys(master, "over\r");
	expect_or_fail(master, &seen, "ran: show failover");
	/* Tab with one candidate completes the word */
	buf_reset(&seen);
	type_keys(master, "sh\t");
	expect_or_fail(master, &seen, "show ");
	type_keys(master, "\r");
	expect_or_fail(master, &seen, "ran: show");
	/* a mode change shows in the next prompt */
	buf_reset(&seen);
	type_keys(master, "configure terminal\r");
	expect_or_fail(master, &seen, "ciscoasa(config)# ");
	/* Ctrl-D.  A ^D that lands while libedit has the terminal in cooked
	 * mode (between two reads) can be swallowed by the line discipline;
	 * a user would press it again, and so does the test. */
	int status = 0;
	pid_t got = 0;
	for (int tries = 0; tries < 20 && got == 0; tries++) {
		usleep(100000);
		type_keys(master, "\x04");
		for (int w = 0; w < 10 && got == 0; w++) {
			got = waitpid(pid, &status, WNOHANG);
			if (got == 0)
				usleep(20000);
		}
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		got = waitpid(pid, &status, 0);
	}
	assert_int_equal(got, pid);
	close(master);
	buf_free(&seen);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	char *log = slurp(lab->dir, "server.log");
	assert_string_equal(log, "HELLO 0\nHELP [show fail]\n"
			    "EXEC [show failover]\nCOMPLETE [sh]\n"
			    "EXEC [show ]\nEXEC [configure terminal]\n");
	free(log);
	char *hist = slurp(lab->dir, ".mctx_history");
	check_has("history", hist, "configure");
	free(hist);
	char hist_path[256];
	struct stat st;
	snprintf(hist_path, sizeof hist_path, "%s/.mctx_history", lab->dir);
	assert_int_equal(stat(hist_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch, lab_setup,
						lab_teardown),
		cmocka_unit_test_setup_teardown(test_big_output, lab_setup,
						lab_teardown),
		cmocka_unit_test_setup_teardown(test_cannot_connect, lab_setup,
						lab_teardown),
		cmocka_unit_test_setup_teardown(test_interactive_help_key,
						lab_setup, lab_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
