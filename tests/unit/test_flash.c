/*
 * test_flash: the flash store.  Path rules as a table; file-system semantics
 * as a table of operations and expected results; `dir` text against a fixed
 * clock; migrations; transactions.  Then what a real unit meets: a process
 * killed in the middle of `write memory all` (must leave old or new, never a
 * mix), a corrupt or truncated flash.db (refused, byte-for-byte untouched), a
 * read-only state directory and a full disk (clear error, nothing lost).
 * Each test works in its own directory under /tmp, removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "system/flash.h"
#include "system/sys_log.h"

struct flash_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct flash_migration flash_migrations[];
extern const size_t flash_migration_count;

/* ---------------------------------------------------------------- fixture */

struct fx {
	char root[64];        /* /tmp/t_flash_XXXXXX, removed in teardown */
	char state[128];      /* root/state: the daemon's state directory */
	char db[160];         /* state/flash.db */
	struct flash *f;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->root, sizeof fx->root, "/tmp/t_flash_XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->state, sizeof fx->state, "%s/state", fx->root);
	snprintf(fx->db, sizeof fx->db, "%s/flash.db", fx->state);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	flash_close(fx->f);
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(fx);
	return 0;
}

static struct flash *open_ok(const char *dir)
{
	struct flash *f = NULL;
	char err[512];
	int rc = flash_open(dir, &f, err, sizeof err);
	if (rc)
		fail_msg("flash_open(%s) = %d: %s", dir, rc, err);
	return f;
}

static int64_t fixed_clock(void *arg)
{
	return *(int64_t *)arg;
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Whole file into a malloc'd buffer; *len gets its size. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	char *p = malloc((size_t)sb.st_size + 1);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static void spill(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Deterministic filler so a mix of two generations is detectable anywhere. */
static void fill_pattern(char *p, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		p[i] = (char)('a' + x % 26);
		if (i % 64 == 63)
			p[i] = '\n';
	}
}

/* ---------------------------------------------------------- path canon */

static void test_path_canon(void **state)
{
	(void)state;
	static const struct { const char *in; int rc; const char *out; } cases[] = {
		{ "flash:/a/b.cfg",       0, "/a/b.cfg" },
		{ "disk0:/a/b.cfg",       0, "/a/b.cfg" },
		{ "DISK0:/ctx.cfg",       0, "/ctx.cfg" },
		{ "Flash:ctx.cfg",        0, "/ctx.cfg" },
		{ "disk0:a/b",            0, "/a/b" },
		{ "/a.cfg",               0, "/a.cfg" },
		{ "a.cfg",                0, "/a.cfg" },
		{ "flash:",               0, "/" },
		{ "flash:/",              0, "/" },
		{ "disk0:/",              0, "/" },
		{ "/",                    0, "/" },
		{ "flash:/log/",          0, "/log" },
		{ "a/b/c.d-e_f~1",        0, "/a/b/c.d-e_f~1" },
		{ "...",                  0, "/..." },
		{ "",                     -EINVAL, NULL },
		{ "tftp://host/a.cfg",    -EINVAL, NULL },
		{ "disk1:/a.cfg",         -EINVAL, NULL },
		{ "flash0:/a.cfg",        -EINVAL, NULL },
		{ ":/a.cfg",              -EINVAL, NULL },
		{ "//a",                  -EINVAL, NULL },
		{ "/a//b",                -EINVAL, NULL },
		{ "a//",                  -EINVAL, NULL },
		{ "/a/../b",              -EINVAL, NULL },
		{ "..",                   -EINVAL, NULL },
		{ "/./a",                 -EINVAL, NULL },
		{ "/a/.",                 -EINVAL, NULL },
		{ "/a b",                 -EINVAL, NULL },
		{ "/a\tb",                -EINVAL, NULL },
		{ "/a\nb",                -EINVAL, NULL },
		{ "/a\\b",                -EINVAL, NULL },
		{ "flash:/a:b",           -EINVAL, NULL },
		{ "/caf\xc3\xa9",         -EINVAL, NULL },
		{ "/a\x7f",               -EINVAL, NULL },
	};
	char out[FLASH_PATH_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(out, 'X', sizeof out);
		int rc = flash_path_canon(cases[i].in, out, sizeof out);
		if (rc != cases[i].rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
		if (cases[i].out)
			assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(flash_path_canon(NULL, out, sizeof out), -EINVAL);

	/* Lengths: one component at the limit and over it; whole path over. */
	char in[2 * FLASH_PATH_MAX];
	memset(in, 'n', FLASH_NAME_MAX);
	in[FLASH_NAME_MAX] = '\0';
	assert_int_equal(flash_path_canon(in, out, sizeof out), 0);
	assert_int_equal(strlen(out), FLASH_NAME_MAX + 1);
	memset(in, 'n', FLASH_NAME_MAX + 1);
	in[FLASH_NAME_MAX + 1] = '\0';
	assert_int_equal(flash_path_canon(in, out, sizeof out), -ENAMETOOLONG);
	size_t n = 0;
	while (n + 11 < sizeof in) {
		memcpy(in + n, "/abcdefghi", 10);
		n += 10;
	}
	in[n] = '\0';
	assert_int_equal(flash_path_canon(in, out, sizeof out), -ENAMETOOLONG);
	/* Output buffer too small for a valid result. */
	char small[4];
	assert_int_equal(flash_path_canon("flash:/abcd", small, sizeof small), -ERANGE);
	assert_int_equal(flash_path_canon("flash:/abc", out, 5), 0);
	assert_string_equal(out, "/abc");
}

/* ------------------------------------------------------------ migrations */

static int count_rows(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int n = -1;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void test_migrations(void **state)
{
	struct fx *fx = *state;

	/* The embedded table numbers migrations 1..n with names NNN_name. */
	assert_true(flash_migration_count >= 1);
	for (size_t i = 0; i < flash_migration_count; i++) {
		char want[24];
		snprintf(want, sizeof want, "%03zu_", i + 1);
		assert_int_equal(flash_migrations[i].version, (int)i + 1);
		assert_memory_equal(flash_migrations[i].name, want, 4);
	}

	/* Creates the missing state directory (two levels) and migrates. */
	char deep[200];
	snprintf(deep, sizeof deep, "%s/x/y", fx->state);
	fx->f = open_ok(deep);
	assert_int_equal(flash_schema_version(fx->f), (int)flash_migration_count);
	struct stat sb;
	assert_int_equal(stat(deep, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(flash_write(fx->f, "flash:/keep.cfg", "k", 1), 0);
	flash_close(fx->f);
	fx->f = NULL;

	char db[260];
	snprintf(db, sizeof db, "%s/flash.db", deep);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM schema_migrations"),
			 (int)flash_migration_count);
	assert_int_equal(count_rows(db, "SELECT max(version) FROM schema_migrations"),
			 (int)flash_migration_count);
	int applied_at = count_rows(db, "SELECT sum(applied_at) FROM schema_migrations");
	assert_int_equal(count_rows(db, "PRAGMA application_id"), 0x6d637478);
	assert_int_equal(count_rows(db, "PRAGMA auto_vacuum"), 1);

	/* Reopening runs nothing again and keeps the data. */
	fx->f = open_ok(deep);
	assert_int_equal(flash_schema_version(fx->f), (int)flash_migration_count);
	flash_close(fx->f);
	fx->f = NULL;
	assert_int_equal(count_rows(db, "SELECT count(*) FROM schema_migrations"),
			 (int)flash_migration_count);
	assert_int_equal(count_rows(db, "SELECT sum(applied_at) FROM schema_migrations"),
			 applied_at);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM nodes WHERE path = '/keep.cfg'"), 1);

	/* A database from a newer mctxd is refused and left alone. */
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO schema_migrations VALUES (999, '999_future', 0)",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	size_t before_len, after_len;
	char *before = slurp(db, &before_len);
	char err[512];
	struct flash *f = NULL;
	assert_int_equal(flash_open(deep, &f, err, sizeof err), -EPROTO);
	assert_null(f);
	assert_non_null(strstr(err, "newer than this mctxd"));
	char *after = slurp(db, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
}

/* ------------------------------------------------------ file operations */

enum op { OP_WRITE, OP_READ, OP_DELETE, OP_RENAME, OP_COPY, OP_MKDIR, OP_RMDIR };

struct fs_step {
	enum op op;
	const char *a, *b;    /* paths */
	const char *data;     /* OP_WRITE: content; OP_READ: expected content */
	int rc;
};

static void run_steps(struct flash *f, const struct fs_step *steps, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		const struct fs_step *s = &steps[i];
		int rc = -1;
		switch (s->op) {
		case OP_WRITE:  rc = flash_write(f, s->a, s->data, strlen(s->data)); break;
		case OP_READ:   rc = flash_read(f, s->a, &b); break;
		case OP_DELETE: rc = flash_delete(f, s->a); break;
		case OP_RENAME: rc = flash_rename(f, s->a, s->b); break;
		case OP_COPY:   rc = flash_copy(f, s->a, s->b); break;
		case OP_MKDIR:  rc = flash_mkdir(f, s->a); break;
		case OP_RMDIR:  rc = flash_rmdir(f, s->a); break;
		}
		if (rc != s->rc)
			fail_msg("step %zu (op %d %s %s): rc %d, want %d (%s)", i, s->op, s->a,
				 s->b ? s->b : "", rc, s->rc, flash_last_error(f));
		if (rc != 0)
			assert_true(flash_last_error(f)[0] != '\0');
		if (s->op == OP_READ && rc == 0) {
			assert_int_equal(b.len, strlen(s->data));
			assert_memory_equal(b.data ? b.data : "", s->data, b.len);
		}
	}
	buf_free(&b);
}

static void test_file_ops(void **state)
{
	struct fx *fx = *state;
	static const struct fs_step steps[] = {
		{ OP_WRITE,  "flash:/a.cfg", NULL, "hello", 0 },
		{ OP_READ,   "disk0:/a.cfg", NULL, "hello", 0 },
		{ OP_READ,   "a.cfg", NULL, "hello", 0 },
		{ OP_WRITE,  "/a.cfg", NULL, "hello again", 0 },          /* replace */
		{ OP_READ,   "/a.cfg", NULL, "hello again", 0 },
		{ OP_WRITE,  "/empty.cfg", NULL, "", 0 },                  /* zero bytes */
		{ OP_READ,   "/empty.cfg", NULL, "", 0 },
		{ OP_WRITE,  "/nodir/x.cfg", NULL, "x", -ENOENT },
		{ OP_WRITE,  "tftp://h/x.cfg", NULL, "x", -EINVAL },
		{ OP_WRITE,  "/", NULL, "x", -EISDIR },
		{ OP_MKDIR,  "flash:/log", NULL, NULL, 0 },
		{ OP_MKDIR,  "disk0:/log/", NULL, NULL, -EEXIST },
		{ OP_MKDIR,  "/", NULL, NULL, -EEXIST },
		{ OP_MKDIR,  "/a.cfg", NULL, NULL, -EEXIST },
		{ OP_MKDIR,  "/no/such", NULL, NULL, -ENOENT },
		{ OP_WRITE,  "/log", NULL, "x", -EISDIR },
		{ OP_WRITE,  "/a.cfg/x", NULL, "x", -ENOTDIR },
		{ OP_READ,   "/log", NULL, NULL, -EISDIR },
		{ OP_READ,   "/", NULL, NULL, -EISDIR },
		{ OP_READ,   "/missing.cfg", NULL, NULL, -ENOENT },
		{ OP_READ,   "/a/../a.cfg", NULL, NULL, -EINVAL },
		{ OP_COPY,   "/a.cfg", "/log/b.cfg", NULL, 0 },
		{ OP_READ,   "/log/b.cfg", NULL, "hello again", 0 },
		{ OP_READ,   "/a.cfg", NULL, "hello again", 0 },
		{ OP_COPY,   "/empty.cfg", "/log/b.cfg", NULL, 0 },       /* replace */
		{ OP_READ,   "/log/b.cfg", NULL, "", 0 },
		{ OP_COPY,   "/log", "/x", NULL, -EISDIR },
		{ OP_COPY,   "/a.cfg", "/log", NULL, -EISDIR },
		{ OP_COPY,   "/missing", "/x", NULL, -ENOENT },
		{ OP_COPY,   "/a.cfg", "/none/x", NULL, -ENOENT },
		{ OP_RMDIR,  "/log", NULL, NULL, -ENOTEMPTY },
		{ OP_RMDIR,  "/a.cfg", NULL, NULL, -ENOTDIR },
		{ OP_RMDIR,  "/", NULL, NULL, -EBUSY },
		{ OP_RMDIR,  "/missing", NULL, NULL, -ENOENT },
		{ OP_DELETE, "/log", NULL, NULL, -EISDIR },
		{ OP_DELETE, "/missing", NULL, NULL, -ENOENT },
		/* Rename a directory with a subtree. */
		{ OP_MKDIR,  "/log/sub", NULL, NULL, 0 },
		{ OP_WRITE,  "/log/sub/deep.cfg", NULL, "deep", 0 },
		{ OP_RENAME, "/log", "/logs", NULL, 0 },
		{ OP_READ,   "/logs/b.cfg", NULL, "", 0 },
		{ OP_READ,   "/logs/sub/deep.cfg", NULL, "deep", 0 },
		{ OP_READ,   "/log/b.cfg", NULL, NULL, -ENOENT },
		{ OP_READ,   "/log/sub/deep.cfg", NULL, NULL, -ENOENT },
		{ OP_WRITE,  "/logs/sub/new.cfg", NULL, "n", 0 },          /* parent moved too */
		{ OP_RENAME, "/logs", "/logs/sub/inner", NULL, -EINVAL },
		{ OP_RENAME, "/logs", "/a.cfg", NULL, -EEXIST },
		{ OP_RENAME, "/a.cfg", "/logs", NULL, -EEXIST },
		{ OP_RENAME, "/", "/root", NULL, -EINVAL },
		{ OP_RENAME, "/missing", "/x", NULL, -ENOENT },
		{ OP_RENAME, "/a.cfg", "/none/x", NULL, -ENOENT },
		{ OP_RENAME, "/a.cfg", "/a.cfg", NULL, 0 },
		/* A file renamed over a file replaces it. */
		{ OP_RENAME, "/a.cfg", "/logs/b.cfg", NULL, 0 },
		{ OP_READ,   "/logs/b.cfg", NULL, "hello again", 0 },
		{ OP_READ,   "/a.cfg", NULL, NULL, -ENOENT },
		/* "logsX" must not be taken for part of the "logs" subtree. */
		{ OP_MKDIR,  "/logsX", NULL, NULL, 0 },
		{ OP_WRITE,  "/logsX/y", NULL, "y", 0 },
		{ OP_RENAME, "/logs", "/var", NULL, 0 },
		{ OP_READ,   "/logsX/y", NULL, "y", 0 },
		{ OP_READ,   "/var/sub/new.cfg", NULL, "n", 0 },
		/* Tear down. */
		{ OP_DELETE, "/var/b.cfg", NULL, NULL, 0 },
		{ OP_DELETE, "/var/b.cfg", NULL, NULL, -ENOENT },
		{ OP_RMDIR,  "/var/sub", NULL, NULL, -ENOTEMPTY },
		{ OP_DELETE, "/var/sub/deep.cfg", NULL, NULL, 0 },
		{ OP_DELETE, "/var/sub/new.cfg", NULL, NULL, 0 },
		{ OP_RMDIR,  "/var/sub", NULL, NULL, 0 },
		{ OP_RMDIR,  "/var", NULL, NULL, 0 },
		{ OP_READ,   "/var", NULL, NULL, -ENOENT },
	};

	fx->f = open_ok(fx->state);
	run_steps(fx->f, steps, sizeof steps / sizeof steps[0]);

	/* Survives a reopen, binary content included. */
	char bin[300];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (char)i;
	assert_int_equal(flash_write(fx->f, "/bin", bin, sizeof bin), 0);
	flash_close(fx->f);
	fx->f = open_ok(fx->state);
	struct buf b;
	buf_init(&b);
	assert_int_equal(flash_read(fx->f, "disk0:/bin", &b), 0);
	assert_int_equal(b.len, sizeof bin);
	assert_memory_equal(b.data, bin, sizeof bin);
	assert_int_equal(flash_read(fx->f, "/logsX/y", &b), 0);
	assert_string_equal(b.data, "y");
	buf_free(&b);

	/* Over the size limit: refused before touching the database. */
	assert_int_equal(flash_write(fx->f, "/huge", bin, (size_t)FLASH_FILE_MAX + 1), -EFBIG);
}

/* ----------------------------------------------------- listing and dir */

struct collected {
	char names[16][32];
	bool is_dir[16];
	size_t size[16];
	size_t n;
	size_t stop_after;
};

static int collect_cb(const struct flash_entry *e, void *arg)
{
	struct collected *c = arg;
	assert_true(c->n < 16);
	snprintf(c->names[c->n], sizeof c->names[0], "%s", e->name);
	c->is_dir[c->n] = e->is_dir;
	c->size[c->n] = e->size;
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static void test_list_and_dir(void **state)
{
	struct fx *fx = *state;
	int64_t now = 1709547630;   /* 10:20:30 Mar 04 2024 UTC */

	fx->f = open_ok(fx->state);
	flash_set_clock(fx->f, fixed_clock, &now);
	assert_int_equal(flash_write(fx->f, "flash:/context1.cfg", "hostname c1\n", 12), 0);
	assert_int_equal(flash_mkdir(fx->f, "flash:/log"), 0);
	now += 86400 * 40 + 3600;   /* 11:20:30 Apr 13 2024 */
	assert_int_equal(flash_write(fx->f, "flash:/admin.cfg", "hostname admin\n", 15), 0);
	assert_int_equal(flash_mkdir(fx->f, "flash:/empty"), 0);
	assert_int_equal(flash_write(fx->f, "flash:/log/a.log", "0123456789", 10), 0);
	/* The hidden startup configuration never shows in a listing. */
	assert_int_equal(flash_put_startup(fx->f, "hostname sys\n", 13), 0);

	struct collected c = { .n = 0 };
	assert_int_equal(flash_list(fx->f, "disk0:/", collect_cb, &c), 0);
	assert_int_equal(c.n, 4);
	static const char *const want_names[] = { "admin.cfg", "context1.cfg", "empty", "log" };
	static const bool want_dir[] = { false, false, true, true };
	static const size_t want_size[] = { 15, 12, 0, 0 };
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(c.names[i], want_names[i]);
		assert_int_equal(c.is_dir[i], want_dir[i]);
		assert_int_equal(c.size[i], want_size[i]);
	}
	struct collected stop = { .stop_after = 2 };
	assert_int_equal(flash_list(fx->f, "/", collect_cb, &stop), 42);
	assert_int_equal(stop.n, 2);
	struct collected none = { .n = 0 };
	assert_int_equal(flash_list(fx->f, "/empty", collect_cb, &none), 0);
	assert_int_equal(none.n, 0);
	assert_int_equal(flash_list(fx->f, "/nope", collect_cb, &none), -ENOENT);
	assert_int_equal(flash_list(fx->f, "/admin.cfg", collect_cb, &none), -ENOTDIR);

	static const struct { const char *dir, *label, *head; } dirs[] = {
		{ "disk0:/", "disk0",
		  "Directory of disk0:/\n\n"
		  "4      -rwx  15           11:20:30 Apr 13 2024  admin.cfg\n"
		  "2      -rwx  12           10:20:30 Mar 04 2024  context1.cfg\n"
		  "5      drwx  0            11:20:30 Apr 13 2024  empty\n"
		  "3      drwx  0            10:20:30 Mar 04 2024  log\n" },
		{ "flash:/log", "flash",
		  "Directory of flash:/log/\n\n"
		  "6      -rwx  10           11:20:30 Apr 13 2024  a.log\n" },
		{ "/empty/", "disk0:",
		  "Directory of disk0:/empty/\n\n"
		  "No files in directory\n" },
		{ "/log/a.log", "disk0",
		  "Directory of disk0:/log/a.log\n\n"
		  "6      -rwx  10           11:20:30 Apr 13 2024  a.log\n" },
	};
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		buf_reset(&b);
		assert_int_equal(flash_format_dir(fx->f, dirs[i].dir, dirs[i].label, &b), 0);
		size_t hl = strlen(dirs[i].head);
		if (b.len < hl || memcmp(b.data, dirs[i].head, hl) != 0)
			fail_msg("dir %s:\n%s\nwant prefix:\n%s", dirs[i].dir, b.data, dirs[i].head);
		unsigned long long total = 0, avail = 0;
		char tail[8] = "";
		assert_int_equal(sscanf(b.data + hl, "\n%llu bytes total (%llu bytes free%7s",
					&total, &avail, tail), 3);
		assert_string_equal(tail, ")");
		assert_true(total > 0 && avail <= total);
		assert_int_equal(b.data[b.len - 1], '\n');
	}
	buf_reset(&b);
	assert_int_equal(flash_format_dir(fx->f, "disk0:/missing", "disk0", &b), -ENOENT);
	assert_string_equal(flash_last_error(fx->f),
			    "%Error opening disk0:/missing (No such file or directory)");
	assert_int_equal(flash_format_dir(fx->f, "flash:/missing", "flash:", &b), -ENOENT);
	assert_string_equal(flash_last_error(fx->f),
			    "%Error opening flash:/missing (No such file or directory)");
	assert_int_equal(flash_format_dir(fx->f, "tftp:/x", "disk0", &b), -EINVAL);
	/* Inode numbers survive a rename. */
	assert_int_equal(flash_rename(fx->f, "/admin.cfg", "/zz.cfg"), 0);
	buf_reset(&b);
	assert_int_equal(flash_format_dir(fx->f, "/zz.cfg", "disk0", &b), 0);
	assert_non_null(strstr(b.data, "\n4      -rwx  15 "));
	buf_free(&b);
}

/* --------------------------------------------------- startup and txns */

static void assert_startup(struct flash *f, const char *want)
{
	struct buf b;
	buf_init(&b);
	int rc = flash_get_startup(f, &b);
	if (!want) {
		assert_int_equal(rc, -ENOENT);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
	}
	buf_free(&b);
}

static void assert_file(struct flash *f, const char *path, const char *want)
{
	struct buf b;
	buf_init(&b);
	int rc = flash_read(f, path, &b);
	if (!want) {
		assert_int_equal(rc, -ENOENT);
	} else {
		if (rc)
			fail_msg("read %s: %d %s", path, rc, flash_last_error(f));
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
	}
	buf_free(&b);
}

static void test_startup(void **state)
{
	struct fx *fx = *state;

	fx->f = open_ok(fx->state);
	assert_startup(fx->f, NULL);
	assert_non_null(strstr(flash_last_error(fx->f), "no startup configuration"));
	assert_int_equal(flash_erase_startup(fx->f), 0);          /* nothing to erase */
	assert_int_equal(flash_put_startup(fx->f, "hostname one\n", 13), 0);
	assert_startup(fx->f, "hostname one\n");
	assert_int_equal(flash_put_startup(fx->f, "hostname two\n", 13), 0);
	flash_close(fx->f);
	fx->f = open_ok(fx->state);
	assert_startup(fx->f, "hostname two\n");
	assert_int_equal(flash_put_startup(fx->f, "", 0), 0);      /* empty is a config */
	assert_startup(fx->f, "");
	assert_int_equal(flash_erase_startup(fx->f), 0);
	assert_startup(fx->f, NULL);
	flash_close(fx->f);
	fx->f = open_ok(fx->state);
	assert_startup(fx->f, NULL);
}

static void test_txn(void **state)
{
	struct fx *fx = *state;
	struct flash_txn *t, *t2;

	fx->f = open_ok(fx->state);
	struct flash *other = open_ok(fx->state);   /* a second process's view */
	assert_int_equal(flash_put_startup(fx->f, "old\n", 4), 0);
	assert_int_equal(flash_write(fx->f, "/c1.cfg", "c1 old\n", 7), 0);

	/* Commit: nothing visible to others until commit, all of it after. */
	assert_int_equal(flash_txn_begin(fx->f, &t), 0);
	assert_int_equal(flash_txn_begin(fx->f, &t2), -EBUSY);
	assert_null(t2);
	assert_int_equal(flash_write(fx->f, "/x", "x", 1), -EBUSY);
	assert_int_equal(flash_put_startup(fx->f, "x", 1), -EBUSY);
	assert_int_equal(flash_txn_put_startup(t, "new\n", 4), 0);
	assert_int_equal(flash_txn_put_file(t, "flash:/c1.cfg", "c1 new\n", 7), 0);
	assert_int_equal(flash_txn_put_file(t, "disk0:/c2.cfg", "c2 new\n", 7), 0);
	assert_startup(fx->f, "new\n");             /* own view: uncommitted */
	assert_startup(other, "old\n");
	assert_file(other, "/c1.cfg", "c1 old\n");
	assert_file(other, "/c2.cfg", NULL);
	assert_int_equal(flash_txn_commit(t), 0);
	assert_startup(other, "new\n");
	assert_file(other, "/c1.cfg", "c1 new\n");
	assert_file(other, "/c2.cfg", "c2 new\n");

	/* A failed put fails the whole transaction. */
	assert_int_equal(flash_txn_begin(fx->f, &t), 0);
	assert_int_equal(flash_txn_put_startup(t, "bad\n", 4), 0);
	assert_int_equal(flash_txn_put_file(t, "/c1.cfg", "c1 bad\n", 7), 0);
	assert_int_equal(flash_txn_put_file(t, "/nodir/c3.cfg", "c3\n", 3), -ENOENT);
	assert_int_equal(flash_txn_put_file(t, "/c2.cfg", "c2 bad\n", 7), -ENOENT);
	assert_int_equal(flash_txn_commit(t), -ENOENT);
	assert_non_null(strstr(flash_last_error(fx->f), "/nodir"));
	assert_startup(fx->f, "new\n");
	assert_file(fx->f, "/c1.cfg", "c1 new\n");
	assert_file(fx->f, "/c2.cfg", "c2 new\n");

	/* Bad path in a put: same. */
	assert_int_equal(flash_txn_begin(fx->f, &t), 0);
	assert_int_equal(flash_txn_put_file(t, "/c1.cfg", "c1 bad\n", 7), 0);
	assert_int_equal(flash_txn_put_file(t, "/../x", "x", 1), -EINVAL);
	assert_int_equal(flash_txn_commit(t), -EINVAL);
	assert_file(other, "/c1.cfg", "c1 new\n");

	/* Abort, and closing with an open transaction, roll back. */
	assert_int_equal(flash_txn_begin(fx->f, &t), 0);
	assert_int_equal(flash_txn_put_startup(t, "aborted\n", 8), 0);
	flash_txn_abort(t);
	flash_txn_abort(NULL);
	assert_startup(fx->f, "new\n");
	assert_int_equal(flash_write(fx->f, "/x", "x", 1), 0);     /* handle usable again */
	assert_int_equal(flash_txn_begin(fx->f, &t), 0);
	assert_int_equal(flash_txn_put_startup(t, "dropped\n", 8), 0);
	flash_close(fx->f);
	fx->f = NULL;
	assert_startup(other, "new\n");
	flash_close(other);
}

/* ---------------------------------------------------- kill during write */

/* Generation g of `write memory all`: system startup plus a context file. */
#define GEN_HEAD 32

static size_t gen_startup_len(unsigned g) { return g % 2 ? 3200 * 1024 : 1100 * 1024; }
static size_t gen_ctx_len(unsigned g) { return g % 2 ? 900 * 1024 : 2100 * 1024; }

static void make_gen(char *p, size_t len, unsigned g, const char *what)
{
	fill_pattern(p, len, g % 2 ? 0xB : 0xA);
	int n = snprintf(p, GEN_HEAD, "! %s generation %08u\n", what, g);
	p[n] = '!';   /* keep the pattern length; no NUL inside */
}

static int save_gen(struct flash *f, unsigned g, char *sbuf, char *cbuf)
{
	struct flash_txn *t;
	make_gen(sbuf, gen_startup_len(g), g, "system");
	make_gen(cbuf, gen_ctx_len(g), g, "context");
	int rc = flash_txn_begin(f, &t);
	if (rc)
		return rc;
	if ((rc = flash_txn_put_startup(t, sbuf, gen_startup_len(g))) ||
	    (rc = flash_txn_put_file(t, "flash:/ctx/context1.cfg", cbuf, gen_ctx_len(g)))) {
		flash_txn_abort(t);
		return rc;
	}
	return flash_txn_commit(t);
}

/* Child: commit generations start, start+1, ... reporting each one. */
static void __attribute__((noreturn)) writer_child(const char *dir, unsigned start, int report_fd)
{
	char *sbuf = malloc(4 << 20), *cbuf = malloc(4 << 20);
	struct flash *f = NULL;
	char err[512];

	if (!sbuf || !cbuf || flash_open(dir, &f, err, sizeof err) != 0)
		_exit(2);
	for (unsigned g = start;; g++) {
		if (save_gen(f, g, sbuf, cbuf) != 0)
			_exit(3);
		if (write(report_fd, &g, sizeof g) != sizeof g)
			_exit(4);
	}
}

/* Which generation the flash holds; asserts both parts are that one, whole. */
static unsigned check_gen(struct flash *f, char *want)
{
	struct buf s, c;
	unsigned g = 0, gc = 0;
	buf_init(&s);
	buf_init(&c);
	assert_int_equal(flash_get_startup(f, &s), 0);
	assert_int_equal(flash_read(f, "/ctx/context1.cfg", &c), 0);
	assert_int_equal(sscanf(s.data, "! system generation %u", &g), 1);
	assert_int_equal(sscanf(c.data, "! context generation %u", &gc), 1);
	if (g != gc)
		fail_msg("startup is generation %u but context file is generation %u", g, gc);
	make_gen(want, gen_startup_len(g), g, "system");
	assert_int_equal(s.len, gen_startup_len(g));
	assert_memory_equal(s.data, want, s.len);
	make_gen(want, gen_ctx_len(g), g, "context");
	assert_int_equal(c.len, gen_ctx_len(g));
	assert_memory_equal(c.data, want, c.len);
	buf_free(&s);
	buf_free(&c);
	return g;
}

/*
 * A hot journal (valid magic, written after its first sync) means the kill
 * landed while database pages were being changed: SQLite must roll it back.
 * A journal with a zeroed header was never synced and is ignored by SQLite.
 */
static bool journal_is_hot(const char *path)
{
	static const unsigned char magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
	unsigned char head[8];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	bool hot = read(fd, head, sizeof head) == sizeof head && memcmp(head, magic, 8) == 0;
	close(fd);
	return hot;
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_kill_during_write(void **state)
{
	struct fx *fx = *state;
	char *sbuf = malloc(4 << 20), *cbuf = malloc(4 << 20);
	char journal[200];
	unsigned committed = 0;
	int iterations = 0, hot_journals = 0, advanced = 0, landed_unreported = 0;
	double start = now_sec();

	assert_non_null(sbuf);
	assert_non_null(cbuf);
	snprintf(journal, sizeof journal, "%s-journal", fx->db);
	fx->f = open_ok(fx->state);
	assert_int_equal(flash_mkdir(fx->f, "/ctx"), 0);
	assert_int_equal(save_gen(fx->f, 0, sbuf, cbuf), 0);
	flash_close(fx->f);
	fx->f = NULL;
	srand((unsigned)getpid());

	while (iterations < 80 && now_sec() - start < 12.0) {
		int fds[2];
		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer_child(fx->state, committed + 1, fds[1]);
		}
		close(fds[1]);
		/* 0-250 ms: early kills land in open/recovery, later ones mid-commit. */
		usleep((useconds_t)(rand() % 250000));
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("writer exited by itself (status %d) at iteration %d", status, iterations);
		unsigned g, reported = committed;
		while (read(fds[0], &g, sizeof g) == sizeof g)
			reported = g;
		close(fds[0]);
		bool hot = journal_is_hot(journal);
		hot_journals += hot;

		fx->f = open_ok(fx->state);
		unsigned have = check_gen(fx->f, sbuf);
		flash_close(fx->f);
		fx->f = NULL;
		/* A reported commit is there; at most the one in flight beyond it. */
		if (have != reported && have != reported + 1)
			fail_msg("flash holds generation %u, writer had reported %u", have, reported);
		if (hot)
			assert_false(file_exists(journal));   /* rolled back and removed */
		advanced += have > committed;
		landed_unreported += have == reported + 1;
		committed = have;
		iterations++;
	}
	print_message("kill during write: %d kills in %.1f s, %d advanced, %d hot journals "
		      "rolled back, %d commits landed unreported, last generation %u\n",
		      iterations, now_sec() - start, advanced, hot_journals, landed_unreported, committed);
	assert_true(iterations >= 10);
	assert_true(advanced >= 1);      /* writers did commit between kills */
	assert_true(hot_journals >= 1);  /* and some kills did land mid-commit */
	free(sbuf);
	free(cbuf);
}

/* ----------------------------------------------------- corrupt database */

static void make_populated_db(const char *state_dir)
{
	struct flash *f = open_ok(state_dir);
	char *big = malloc(200000);
	assert_non_null(big);
	fill_pattern(big, 200000, 7);
	assert_int_equal(flash_mkdir(f, "/log"), 0);
	assert_int_equal(flash_write(f, "/log/big.bin", big, 200000), 0);
	assert_int_equal(flash_write(f, "/context1.cfg", big, 30000), 0);
	assert_int_equal(flash_put_startup(f, big + 1000, 50000), 0);
	flash_close(f);
	free(big);
}

enum damage { GARBAGE, TEXT, TRUNC_50, TRUNC_100, TRUNC_PAGE, TRUNC_HALF, SMASH_PAGE2, FOREIGN };

static void test_corrupt_database(void **state)
{
	struct fx *fx = *state;
	static const struct { enum damage how; int rc; const char *msg; } cases[] = {
		{ GARBAGE,     -EIO,    "is corrupt (file is not a database); it was not modified" },
		{ TEXT,        -EIO,    "is corrupt (file is not a database); it was not modified" },
		{ TRUNC_50,    -EIO,    "is corrupt" },
		{ TRUNC_100,   -EIO,    "is corrupt" },
		{ TRUNC_PAGE,  -EIO,    "is corrupt" },
		{ TRUNC_HALF,  -EIO,    "is corrupt" },
		{ SMASH_PAGE2, -EIO,    "is corrupt" },
		{ FOREIGN,     -EINVAL, "is not an mctx flash" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		nftw(fx->state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		size_t len;
		char *orig;
		switch (cases[i].how) {
		case GARBAGE: {
			char junk[8192];
			fill_pattern(junk, sizeof junk, 99);
			assert_int_equal(mkdir(fx->state, 0700), 0);
			spill(fx->db, junk, sizeof junk);
			break;
		}
		case TEXT:
			assert_int_equal(mkdir(fx->state, 0700), 0);
			spill(fx->db, "hostname oops\n", 14);
			break;
		case FOREIGN: {
			sqlite3 *h;
			assert_int_equal(mkdir(fx->state, 0700), 0);
			assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
			assert_int_equal(sqlite3_exec(h, "CREATE TABLE t(x); INSERT INTO t VALUES (1)",
						      NULL, NULL, NULL), SQLITE_OK);
			sqlite3_close(h);
			break;
		}
		default:
			make_populated_db(fx->state);
			orig = slurp(fx->db, &len);
			if (cases[i].how == SMASH_PAGE2) {
				/* Page 2 holds a b-tree page: scribble over it. */
				assert_true(len > 3 * 4096);
				fill_pattern(orig + 4096, 4096, 5);
				spill(fx->db, orig, len);
			} else {
				size_t keep = cases[i].how == TRUNC_50 ? 50 :
					      cases[i].how == TRUNC_100 ? 100 :
					      cases[i].how == TRUNC_PAGE ? 4096 : len / 2;
				assert_true(keep < len);
				assert_int_equal(truncate(fx->db, (off_t)keep), 0);
			}
			free(orig);
			break;
		}
		size_t before_len, after_len;
		char *before = slurp(fx->db, &before_len);
		struct stat sb_before, sb_after;
		assert_int_equal(stat(fx->db, &sb_before), 0);
		struct flash *f = NULL;
		char err[512] = "";
		int rc = flash_open(fx->state, &f, err, sizeof err);
		if (rc != cases[i].rc || !strstr(err, cases[i].msg) || !strstr(err, fx->db))
			fail_msg("case %zu: rc %d (want %d), error '%s'", i, rc, cases[i].rc, err);
		assert_null(f);
		assert_non_null(strstr(err, "it was not modified"));
		if (strchr(err, '\n'))
			fail_msg("case %zu: error spans lines: %s", i, err);
		char *after = slurp(fx->db, &after_len);
		assert_int_equal(before_len, after_len);
		assert_memory_equal(before, after, before_len);
		assert_int_equal(stat(fx->db, &sb_after), 0);
		assert_int_equal(sb_before.st_mtim.tv_sec, sb_after.st_mtim.tv_sec);
		assert_int_equal(sb_before.st_mtim.tv_nsec, sb_after.st_mtim.tv_nsec);
		free(before);
		free(after);
	}
}

/* -------------------------------------- private mount namespace helpers */

/*
 * Runs fn in a forked child inside its own mount namespace, with a tmpfs of
 * `size` mounted on dir.  fn returns NULL for success or a reason; a reason
 * starting with "skip:" skips the test.  The namespace, and the tmpfs with
 * it, die with the child.
 */
static void run_in_tmpfs(const char *dir, const char *size,
			 const char *(*fn)(const char *dir, char *why, size_t whylen))
{
	int fds[2];
	char why[512] = "";

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *res;
		char opts[64];
		close(fds[0]);
		snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
		if (unshare(CLONE_NEWNS) != 0)
			res = "skip: cannot make a mount namespace (unshare: permission denied?)";
		else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			res = "skip: cannot make mounts private";
		else if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0)
			res = "skip: cannot mount a tmpfs";
		else
			res = fn(dir, why, sizeof why);
		if (res && write(fds[1], res, strlen(res)) < 0)
			_exit(3);
		_exit(res ? 1 : 0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], why, sizeof why - 1);
	why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (strncmp(why, "skip:", 5) == 0) {
		print_message("%s\n", why);
		skip();
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed (status %d): %s", status, why);
}

#define CHECK(cond, ...) do { if (!(cond)) { snprintf(why, whylen, __VA_ARGS__); return why; } } while (0)

static const char *startup_is(struct flash *f, const char *want, size_t want_len,
			      char *why, size_t whylen)
{
	struct buf b;
	buf_init(&b);
	int rc = flash_get_startup(f, &b);
	bool same = rc == 0 && b.len == want_len && memcmp(b.data, want, want_len) == 0;
	buf_free(&b);
	CHECK(same, "startup configuration changed or unreadable (rc %d: %s)", rc,
	      flash_last_error(f));
	return NULL;
}

/* ---------------------------------------------------- unwritable state */

static const char *readonly_child(const char *dir, char *why, size_t whylen)
{
	char state_dir[200], db[240], err[512];
	struct flash *f = NULL;
	static const char a[] = "hostname A\n";

	snprintf(state_dir, sizeof state_dir, "%s/state", dir);
	snprintf(db, sizeof db, "%s/flash.db", state_dir);
	int rc = flash_open(state_dir, &f, err, sizeof err);
	CHECK(rc == 0, "open on tmpfs: %s", err);
	CHECK(flash_put_startup(f, a, sizeof a - 1) == 0, "save: %s", flash_last_error(f));
	flash_close(f);
	f = NULL;
	struct stat before, after;
	CHECK(stat(db, &before) == 0, "stat");

	CHECK(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "remount ro: %s",
	      strerror(errno));
	rc = flash_open(state_dir, &f, err, sizeof err);
	char want[300];
	snprintf(want, sizeof want, "state directory %s is not writable: Read-only file system",
		 state_dir);
	CHECK(rc == -EROFS && f == NULL, "open on read-only fs: rc %d (%s)", rc, err);
	CHECK(strcmp(err, want) == 0, "message '%s', want '%s'", err, want);
	/* A state directory still to be created on a read-only fs. */
	char sub[240];
	snprintf(sub, sizeof sub, "%s/new/state", dir);
	rc = flash_open(sub, &f, err, sizeof err);
	CHECK(rc == -EROFS && strstr(err, "cannot create state directory") &&
	      strstr(err, "Read-only file system"), "open new on ro: rc %d (%s)", rc, err);

	CHECK(mount(NULL, dir, NULL, MS_REMOUNT, NULL) == 0, "remount rw: %s", strerror(errno));
	CHECK(stat(db, &after) == 0 && after.st_size == before.st_size &&
	      after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
	      after.st_mtim.tv_nsec == before.st_mtim.tv_nsec, "flash.db was touched");
	rc = flash_open(state_dir, &f, err, sizeof err);
	CHECK(rc == 0, "reopen rw: %s", err);
	const char *res = startup_is(f, a, sizeof a - 1, why, whylen);
	flash_close(f);
	return res;
}

static void test_unwritable_state_dir(void **state)
{
	struct fx *fx = *state;
	char path[256], err[512], want[400];
	struct flash *f = NULL;

	/* The state directory's parent is a regular file. */
	snprintf(path, sizeof path, "%s/plain", fx->root);
	spill(path, "x", 1);
	snprintf(path, sizeof path, "%s/plain/state", fx->root);
	assert_int_equal(flash_open(path, &f, err, sizeof err), -ENOTDIR);
	assert_null(f);
	snprintf(want, sizeof want, "cannot create state directory %s: Not a directory", path);
	assert_memory_equal(err, want, strlen(want));

	/* The state directory itself is a regular file. */
	snprintf(path, sizeof path, "%s/plain", fx->root);
	assert_int_equal(flash_open(path, &f, err, sizeof err), -ENOTDIR);
	snprintf(want, sizeof want, "state directory %s is not a directory", path);
	assert_string_equal(err, want);

	/* flash.db is a directory. */
	snprintf(path, sizeof path, "%s/flash.db", fx->state);
	assert_int_equal(mkdir(fx->state, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(flash_open(fx->state, &f, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "is not a regular file"));
	assert_int_equal(flash_open("", &f, err, sizeof err), -EINVAL);

	/* A read-only file system. */
	snprintf(path, sizeof path, "%s/ro", fx->root);
	run_in_tmpfs(path, "4m", readonly_child);
}

/* ------------------------------------------------------------- full disk */

static const char *full_disk_child(const char *dir, char *why, size_t whylen)
{
	char state_dir[200], err[512];
	struct flash *f = NULL;
	size_t big_len = 6 << 20;        /* three times the tmpfs */
	char *a = malloc(100000), *big = malloc(big_len), *ctx = malloc(20000);

	CHECK(a && big && ctx, "malloc");
	fill_pattern(a, 100000, 1);
	fill_pattern(big, big_len, 2);
	fill_pattern(ctx, 20000, 3);
	snprintf(state_dir, sizeof state_dir, "%s/state", dir);
	int rc = flash_open(state_dir, &f, err, sizeof err);
	CHECK(rc == 0, "open on tmpfs: %s", err);
	CHECK(flash_put_startup(f, a, 100000) == 0, "save A: %s", flash_last_error(f));
	CHECK(flash_write(f, "/context1.cfg", ctx, 20000) == 0, "save ctx: %s", flash_last_error(f));

	rc = flash_put_startup(f, big, big_len);
	CHECK(rc == -ENOSPC, "big startup: rc %d (%s)", rc, flash_last_error(f));
	CHECK(strstr(flash_last_error(f), "not enough space"), "message: %s", flash_last_error(f));
	const char *res = startup_is(f, a, 100000, why, whylen);
	if (res)
		return res;

	struct flash_txn *t;
	CHECK(flash_txn_begin(f, &t) == 0, "begin: %s", flash_last_error(f));
	rc = flash_txn_put_file(t, "/context1.cfg", "small\n", 6);
	if (rc == 0)
		rc = flash_txn_put_startup(t, big, big_len);
	int crc = flash_txn_commit(t);
	CHECK(rc == -ENOSPC || crc == -ENOSPC, "big txn: put %d commit %d", rc, crc);
	CHECK(flash_write(f, "/huge.bin", big, big_len) == -ENOSPC, "big file: %s",
	      flash_last_error(f));
	flash_close(f);
	f = NULL;

	/* Reopen: A and the context file are intact, and there is room again. */
	rc = flash_open(state_dir, &f, err, sizeof err);
	CHECK(rc == 0, "reopen after ENOSPC: %s", err);
	res = startup_is(f, a, 100000, why, whylen);
	if (res)
		return res;
	struct buf b;
	buf_init(&b);
	rc = flash_read(f, "/context1.cfg", &b);
	bool same = rc == 0 && b.len == 20000 && memcmp(b.data, ctx, 20000) == 0;
	buf_free(&b);
	CHECK(same, "context file changed (rc %d)", rc);
	CHECK(flash_read(f, "/huge.bin", &b) == -ENOENT, "partial huge.bin exists");
	CHECK(flash_put_startup(f, a + 10, 90000) == 0, "small save after ENOSPC: %s",
	      flash_last_error(f));
	res = startup_is(f, a + 10, 90000, why, whylen);
	flash_close(f);
	free(a);
	free(big);
	free(ctx);
	return res;
}

static void test_full_disk(void **state)
{
	struct fx *fx = *state;
	char path[256];

	snprintf(path, sizeof path, "%s/small", fx->root);
	run_in_tmpfs(path, "2m", full_disk_child);
}

int main(void)
{
	/* flash logs disk errors itself; the tests provoke them on purpose. */
	log_init("test_flash", true, LOG_SEV_CRIT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_canon),
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_during_write, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
