/*
 * flash: the unit's flash store in one SQLite database.  See flash.h for the
 * contract and schemas/flash.md for the schema and migration rules.
 *
 * Every public call that changes something runs in exactly one
 * BEGIN IMMEDIATE ... COMMIT (or inside the caller's flash_txn), so the
 * all-or-nothing property comes from SQLite's journal, never from ordering
 * tricks here.  Internal helpers named *_in_txn assume a transaction is open
 * and take canonical paths.
 */
#include "system/flash.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "system/sys_log.h"

/* Generated from schemas/flash/NNN_name.sql by tools/embed_sql.sh. */
struct flash_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct flash_migration flash_migrations[];
extern const size_t flash_migration_count;

/* Long enough to ride out another process's commit of a few MB. */
#define FLASH_BUSY_TIMEOUT_MS 10000

struct flash {
	sqlite3 *db;
	char *state_dir;
	char *db_path;
	int schema_version;
	struct flash_txn *txn;          /* the open flash_txn, if any */
	int64_t (*now)(void *arg);
	void *now_arg;
	char err[512];
};

struct flash_txn {
	struct flash *f;
	int failed;                     /* first error of a put, 0 if none */
};

/* What we know about one row of nodes. */
struct node {
	int64_t inode;
	bool is_dir;
	size_t size;
	int64_t mtime;
};

static int64_t clock_time(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------ errors */

static int set_err(struct flash *f, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct flash *f, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->err, sizeof f->err, fmt, ap);
	va_end(ap);
	return rc;
}

/* SQLite result code -> -errno.  The OS errno wins where SQLite kept one. */
static int errno_from_sqlite(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EIO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return sys == EACCES ? -EACCES : -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_TOOBIG:
		return -EFBIG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys == ENOSPC || sys == EDQUOT)
			return -ENOSPC;
		return sys > 0 ? -sys : -EIO;
	default:
		return -EIO;
	}
}

/*
 * Records a failed SQLite call on f.  Disk-level failures (no space, I/O,
 * corruption) are logged here because they matter to the operator even when
 * the caller only reports "write failed".
 */
static int sql_fail(struct flash *f, int src, const char *what)
{
	int rc = errno_from_sqlite(f->db, src);

	if (rc == -ENOSPC)
		set_err(f, rc, "%s: not enough space for %s (%s)", what,
			f->db_path, sqlite3_errmsg(f->db));
	else if ((src & 0xff) == SQLITE_CORRUPT || (src & 0xff) == SQLITE_NOTADB)
		set_err(f, rc, "%s: flash database %s is corrupt (%s)", what,
			f->db_path, sqlite3_errmsg(f->db));
	else
		set_err(f, rc, "%s: %s", what, sqlite3_errmsg(f->db));
	if (rc == -ENOSPC || rc == -EIO)
		mlog(MSG_900002, "%s", f->err);
	return rc;
}

/* ------------------------------------------------------------------- paths */

static bool device_is_flash(const char *dev, size_t len)
{
	static const char *const names[] = { "flash", "disk0" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncasecmp(dev, names[i], len) == 0)
			return true;
	return false;
}

static bool name_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ':' && c != '\\';
}

int flash_path_canon(const char *in, char *out, size_t outlen)
{
	char canon[FLASH_PATH_MAX];
	size_t n = 0;
	const char *p = in;

	if (!in || !*in)
		return -EINVAL;
	const char *colon = strchr(in, ':');
	if (colon) {
		if (!device_is_flash(in, (size_t)(colon - in)))
			return -EINVAL;
		p = colon + 1;
	}
	if (*p == '/')
		p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);

		if (clen == 0)
			return -EINVAL;
		if (clen > FLASH_NAME_MAX)
			return -ENAMETOOLONG;
		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		for (size_t i = 0; i < clen; i++)
			if (!name_char_ok((unsigned char)p[i]))
				return -EINVAL;
		if (n + 1 + clen >= sizeof canon)
			return -ENAMETOOLONG;
		canon[n++] = '/';
		memcpy(canon + n, p, clen);
		n += clen;
		if (!slash)
			break;
		p = slash + 1;   /* a trailing '/' ends the loop here */
	}
	if (n == 0)
		canon[n++] = '/';
	canon[n] = '\0';
	if (n + 1 > outlen)
		return -ERANGE;
	memcpy(out, canon, n + 1);
	return 0;
}

/* Canonicalises a caller's path into out, recording why it was refused. */
static int canon_arg(struct flash *f, const char *in, char out[FLASH_PATH_MAX])
{
	int rc = flash_path_canon(in, out, FLASH_PATH_MAX);

	if (rc)
		set_err(f, rc, "invalid flash path '%s': %s", in ? in : "(null)",
			strerror(-rc));
	return rc;
}

/* "/a/b" -> "/a", "/a" -> "/".  path is canonical and not "/". */
static void parent_of(const char *path, char out[FLASH_PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path);

	if (n == 0)
		n = 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

static bool is_root(const char *path)
{
	return strcmp(path, "/") == 0;
}

/* -------------------------------------------------------------- statements */

static int prepare(struct flash *f, sqlite3_stmt **st, const char *sql, const char *what)
{
	int src = sqlite3_prepare_v2(f->db, sql, -1, st, NULL);

	if (src != SQLITE_OK)
		return sql_fail(f, src, what);
	return 0;
}

static void bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

/* A zero-length blob must still be a blob, not NULL (see nodes' CHECK). */
static void bind_bytes(sqlite3_stmt *st, int idx, const void *data, size_t len)
{
	if (len == 0)
		sqlite3_bind_zeroblob(st, idx, 0);
	else
		sqlite3_bind_blob64(st, idx, data, len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows; finalizes it. */
static int step_done(struct flash *f, sqlite3_stmt *st, const char *what)
{
	int src = sqlite3_step(st);
	int rc = 0;

	if (src != SQLITE_DONE)
		rc = sql_fail(f, src, what);
	sqlite3_finalize(st);
	return rc;
}

static int exec_sql(struct flash *f, const char *sql, const char *what)
{
	int src = sqlite3_exec(f->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : sql_fail(f, src, what);
}

/* ------------------------------------------------------------ transactions */

static int txn_start(struct flash *f, const char *what)
{
	return exec_sql(f, "BEGIN IMMEDIATE", what);
}

static void txn_rollback(struct flash *f)
{
	if (!sqlite3_get_autocommit(f->db))
		sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Commits when rc is 0, else rolls back; returns the first error. */
static int txn_finish(struct flash *f, int rc, const char *what)
{
	if (rc == 0)
		rc = exec_sql(f, "COMMIT", what);
	if (rc)
		txn_rollback(f);
	return rc;
}

/* Refuses a standalone change while the caller's flash_txn is open. */
static int check_no_txn(struct flash *f, const char *what)
{
	if (f->txn)
		return set_err(f, -EBUSY, "%s: a flash transaction is open on this handle", what);
	return 0;
}

/* ------------------------------------------------------------------- nodes */

static int node_get(struct flash *f, const char *path, struct node *n)
{
	sqlite3_stmt *st;
	int rc = prepare(f, &st, "SELECT rowid, is_dir, size, mtime FROM nodes WHERE path = ?1",
			 "flash lookup");
	if (rc)
		return rc;
	bind_text(st, 1, path);
	int src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		n->inode = sqlite3_column_int64(st, 0);
		n->is_dir = sqlite3_column_int(st, 1) != 0;
		n->size = (size_t)sqlite3_column_int64(st, 2);
		n->mtime = sqlite3_column_int64(st, 3);
	} else if (src == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sql_fail(f, src, "flash lookup");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The directory that will hold path must exist and be a directory. */
static int check_parent(struct flash *f, const char *path)
{
	char parent[FLASH_PATH_MAX];
	struct node n;

	parent_of(path, parent);
	int rc = node_get(f, parent, &n);
	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: directory %s does not exist", path, parent);
	if (rc)
		return rc;
	if (!n.is_dir)
		return set_err(f, -ENOTDIR, "flash:%s: %s is not a directory", path, parent);
	return 0;
}

static int write_file_in_txn(struct flash *f, const char *path, const void *data, size_t len)
{
	struct node n;
	char parent[FLASH_PATH_MAX];
	sqlite3_stmt *st;

	if (len > FLASH_FILE_MAX)
		return set_err(f, -EFBIG, "flash:%s: %zu bytes is over the %u byte limit",
			       path, len, FLASH_FILE_MAX);
	if (is_root(path))
		return set_err(f, -EISDIR, "flash:/ is a directory");
	int rc = node_get(f, path, &n);
	if (rc == 0 && n.is_dir)
		return set_err(f, -EISDIR, "flash:%s is a directory", path);
	if (rc && rc != -ENOENT)
		return rc;
	rc = check_parent(f, path);
	if (rc)
		return rc;
	parent_of(path, parent);
	rc = prepare(f, &st,
		     "INSERT INTO nodes(path, parent, is_dir, data, size, mtime) "
		     "VALUES (?1, ?2, 0, ?3, ?4, ?5) "
		     "ON CONFLICT(path) DO UPDATE SET data = excluded.data, "
		     "size = excluded.size, mtime = excluded.mtime",
		     "flash write");
	if (rc)
		return rc;
	bind_text(st, 1, path);
	bind_text(st, 2, parent);
	bind_bytes(st, 3, data, len);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
	sqlite3_bind_int64(st, 5, f->now(f->now_arg));
	return step_done(f, st, "flash write");
}

static int put_startup_in_txn(struct flash *f, const char *text, size_t len)
{
	sqlite3_stmt *st;

	if (len > FLASH_FILE_MAX)
		return set_err(f, -EFBIG, "startup configuration of %zu bytes is over the %u byte limit",
			       len, FLASH_FILE_MAX);
	int rc = prepare(f, &st,
			 "INSERT INTO startup_config(id, text, saved_at) VALUES (1, ?1, ?2) "
			 "ON CONFLICT(id) DO UPDATE SET text = excluded.text, "
			 "saved_at = excluded.saved_at",
			 "saving startup configuration");
	if (rc)
		return rc;
	bind_bytes(st, 1, text, len);
	sqlite3_bind_int64(st, 2, f->now(f->now_arg));
	return step_done(f, st, "saving startup configuration");
}

/* Copies one blob column of one row into out (replacing it). */
static int read_blob(struct flash *f, const char *sql, const char *key, struct buf *out,
		     const char *what)
{
	sqlite3_stmt *st;
	int rc = prepare(f, &st, sql, what);

	if (rc)
		return rc;
	if (key)
		bind_text(st, 1, key);
	int src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);

		buf_reset(out);
		buf_add(out, data ? data : "", len);
	} else if (src == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sql_fail(f, src, what);
	}
	sqlite3_finalize(st);
	return rc;
}

/* -------------------------------------------------------------- open/close */

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof path) {
		snprintf(err, errlen, "state directory '%s' is not a usable path", dir);
		return -EINVAL;
	}
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int e = errno;
			snprintf(err, errlen, "cannot create state directory %s: %s (at %s)",
				 dir, strerror(e), path);
			return -e;
		}
		path[i] = saved;
	}
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "state directory %s is not a directory", dir);
		return -ENOTDIR;
	}
	return 0;
}

/* Highest migration recorded; 0 in an empty database. */
static int read_schema_version(struct flash *f, int *version)
{
	sqlite3_stmt *st;
	int rc = prepare(f, &st,
			 "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'), "
			 "(SELECT count(*) FROM sqlite_master)",
			 "reading flash schema");
	if (rc)
		return rc;
	int src = sqlite3_step(st);
	if (src != SQLITE_ROW) {
		rc = sql_fail(f, src, "reading flash schema");
		sqlite3_finalize(st);
		return rc;
	}
	bool has_table = sqlite3_column_int(st, 0) > 0;
	int objects = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (!has_table) {
		if (objects > 0)
			return set_err(f, -EINVAL,
				       "flash database %s is not an mctx flash (it has tables but no schema_migrations); it was not modified",
				       f->db_path);
		*version = 0;
		return 0;
	}
	rc = prepare(f, &st, "SELECT coalesce(max(version), 0) FROM schema_migrations",
		     "reading flash schema");
	if (rc)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		rc = sql_fail(f, src, "reading flash schema");
	sqlite3_finalize(st);
	return rc;
}

/* The embedded table must number migrations 1, 2, 3... with no gap. */
static int check_migration_table(struct flash *f)
{
	for (size_t i = 0; i < flash_migration_count; i++)
		if (flash_migrations[i].version != (int)i + 1)
			return set_err(f, -EINVAL,
				       "built-in flash migration %s has version %d, expected %zu",
				       flash_migrations[i].name, flash_migrations[i].version, i + 1);
	return 0;
}

static int apply_migrations(struct flash *f)
{
	int latest = (int)flash_migration_count;

	for (;;) {
		int version = 0;
		int rc = txn_start(f, "starting flash migration");
		if (rc)
			return rc;
		/* Re-read inside the lock: another process may have migrated. */
		rc = read_schema_version(f, &version);
		if (rc == 0 && version > latest)
			rc = set_err(f, -EPROTO,
				     "flash database %s has schema version %d, newer than this mctxd knows (%d); it was not modified",
				     f->db_path, version, latest);
		if (rc || version == latest) {
			rc = txn_finish(f, rc, "flash migration");
			if (rc == 0)
				f->schema_version = version;
			return rc;
		}
		const struct flash_migration *m = &flash_migrations[version];
		char what[128];
		snprintf(what, sizeof what, "applying flash migration %s", m->name);
		rc = exec_sql(f, m->sql, what);
		if (rc == 0) {
			sqlite3_stmt *st;
			rc = prepare(f, &st,
				     "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)",
				     what);
			if (rc == 0) {
				sqlite3_bind_int(st, 1, m->version);
				bind_text(st, 2, m->name);
				sqlite3_bind_int64(st, 3, f->now(f->now_arg));
				rc = step_done(f, st, what);
			}
		}
		rc = txn_finish(f, rc, what);
		if (rc)
			return rc;
	}
}

/* quick_check's verdict as one line, without its "*** in database main ***". */
static void one_line(const char *in, char *out, size_t outlen)
{
	static const char noise[] = "*** in database main ***";
	size_t n = 0;

	if (strncmp(in, noise, sizeof noise - 1) == 0)
		in += sizeof noise - 1;
	while (*in == '\n' || *in == ' ')
		in++;
	for (; *in && n + 1 < outlen; in++)
		out[n++] = *in == '\n' || *in == '\r' ? ' ' : *in;
	out[n] = '\0';
}

/*
 * Reads before anything writes: a file that is not a healthy SQLite database
 * must be reported and left byte-for-byte as it was.
 */
static int check_database(struct flash *f)
{
	sqlite3_stmt *st;
	int src = sqlite3_prepare_v2(f->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);

	if (src == SQLITE_OK) {
		src = sqlite3_step(st);
		sqlite3_finalize(st);
		if (src == SQLITE_ROW)
			src = SQLITE_OK;
	}
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(f->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (src == SQLITE_OK) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			const char *verdict = (const char *)sqlite3_column_text(st, 0);
			if (!verdict || strcmp(verdict, "ok") != 0) {
				char line[160];
				one_line(verdict ? verdict : "no verdict", line, sizeof line);
				set_err(f, -EIO, "flash database %s is corrupt (quick_check: %s); it was not modified",
					f->db_path, line);
				sqlite3_finalize(st);
				return -EIO;
			}
		} else {
			src = step;
		}
		sqlite3_finalize(st);
	}
	if (src == SQLITE_OK)
		return 0;
	int rc = errno_from_sqlite(f->db, src);
	if ((src & 0xff) == SQLITE_CORRUPT || (src & 0xff) == SQLITE_NOTADB)
		return set_err(f, -EIO, "flash database %s is corrupt (%s); it was not modified",
			       f->db_path, sqlite3_errstr(src));
	return set_err(f, rc, "cannot read flash database %s: %s", f->db_path,
		       sqlite3_errmsg(f->db));
}

static int configure_connection(struct flash *f, bool fresh)
{
	/*
	 * Rollback journal + synchronous=EXTRA: the journal makes every commit
	 * all-or-nothing, EXTRA also syncs the directory after the journal is
	 * deleted so a returned commit survives a power cut.  auto_vacuum
	 * gives space back when a large file is deleted; it can only be chosen
	 * before the first table exists.
	 */
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = DELETE",
		"PRAGMA synchronous = EXTRA",
		"PRAGMA temp_store = MEMORY",
		"PRAGMA cell_size_check = ON",
	};
	int rc;

	sqlite3_extended_result_codes(f->db, 1);
	sqlite3_busy_timeout(f->db, FLASH_BUSY_TIMEOUT_MS);
	if (fresh) {
		rc = exec_sql(f, "PRAGMA auto_vacuum = FULL", "configuring flash database");
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
		rc = exec_sql(f, pragmas[i], "configuring flash database");
		if (rc)
			return rc;
	}
	return 0;
}

static int open_database(struct flash *f)
{
	struct stat sb;

	if (access(f->state_dir, W_OK | X_OK) != 0)
		return set_err(f, -errno, "state directory %s is not writable: %s",
			       f->state_dir, strerror(errno));
	bool exists = stat(f->db_path, &sb) == 0;
	if (exists && !S_ISREG(sb.st_mode))
		return set_err(f, -EINVAL, "flash database %s is not a regular file", f->db_path);
	if (exists && access(f->db_path, R_OK | W_OK) != 0)
		return set_err(f, -errno, "flash database %s is not writable: %s",
			       f->db_path, strerror(errno));

	int src = sqlite3_open_v2(f->db_path, &f->db,
				  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				  NULL);
	if (src != SQLITE_OK)
		return set_err(f, errno_from_sqlite(f->db, src), "cannot open flash database %s: %s",
			       f->db_path, f->db ? sqlite3_errmsg(f->db) : sqlite3_errstr(src));
	sqlite3_extended_result_codes(f->db, 1);
	sqlite3_busy_timeout(f->db, FLASH_BUSY_TIMEOUT_MS);
	int rc = check_database(f);
	if (rc)
		return rc;
	int version = 0;
	rc = read_schema_version(f, &version);
	if (rc)
		return rc;
	rc = configure_connection(f, version == 0);
	if (rc)
		return rc;
	rc = check_migration_table(f);
	if (rc)
		return rc;
	return apply_migrations(f);
}

int flash_open(const char *state_dir, struct flash **out, char *err, size_t errlen)
{
	char scratch[8];

	*out = NULL;
	if (!err || errlen == 0) {
		err = scratch;
		errlen = sizeof scratch;
	}
	err[0] = '\0';
	if (!state_dir || !*state_dir) {
		snprintf(err, errlen, "no state directory given");
		return -EINVAL;
	}
	int rc = mkdir_p(state_dir, err, errlen);
	if (rc) {
		mlog(MSG_900002, "%s", err);
		return rc;
	}
	struct flash *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->now = clock_time;
	f->state_dir = strdup(state_dir);
	if (f->state_dir && asprintf(&f->db_path, "%s/flash.db", state_dir) < 0)
		f->db_path = NULL;
	if (!f->state_dir || !f->db_path) {
		flash_close(f);
		snprintf(err, errlen, "out of memory opening flash");
		return -ENOMEM;
	}
	rc = open_database(f);
	if (rc) {
		snprintf(err, errlen, "%s", f->err);
		mlog(MSG_900002, "%s", f->err);
		flash_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

void flash_close(struct flash *f)
{
	if (!f)
		return;
	if (f->txn)
		flash_txn_abort(f->txn);
	if (f->db)
		sqlite3_close_v2(f->db);
	free(f->state_dir);
	free(f->db_path);
	free(f);
}

const char *flash_last_error(const struct flash *f)
{
	return f->err;
}

const char *flash_db_path(const struct flash *f)
{
	return f->db_path;
}

int flash_schema_version(const struct flash *f)
{
	return f->schema_version;
}

void flash_set_clock(struct flash *f, int64_t (*now)(void *arg), void *arg)
{
	f->now = now ? now : clock_time;
	f->now_arg = now ? arg : NULL;
}

/* ------------------------------------------------------------------- files */

int flash_read(struct flash *f, const char *path, struct buf *out)
{
	char p[FLASH_PATH_MAX];
	struct node n;
	int rc = canon_arg(f, path, p);

	if (rc)
		return rc;
	rc = node_get(f, p, &n);
	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", p);
	if (rc)
		return rc;
	if (n.is_dir)
		return set_err(f, -EISDIR, "flash:%s is a directory", p);
	rc = read_blob(f, "SELECT data FROM nodes WHERE path = ?1 AND is_dir = 0", p, out,
		       "flash read");
	if (rc == -ENOENT)   /* removed by another process between the two reads */
		return set_err(f, rc, "flash:%s: No such file or directory", p);
	return rc;
}

/* Every file command is its own transaction on canonical paths: checks
 * no transaction is open, canonicalises FROM (and TO, when given) and
 * starts the transaction; the caller ends it with txn_finish(). */
static int begin_path_op(struct flash *f, const char *what, const char *from,
			 char *pf, const char *to, char *pt)
{
	int rc = check_no_txn(f, what);
	if (rc || (rc = canon_arg(f, from, pf)) ||
	    (to && (rc = canon_arg(f, to, pt))))
		return rc;
	return txn_start(f, what);
}

int flash_write(struct flash *f, const char *path, const void *data, size_t len)
{
	char p[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash write", path, p, NULL, NULL);

	return rc ? rc : txn_finish(f, write_file_in_txn(f, p, data, len),
				    "flash write");
}

static int delete_in_txn(struct flash *f, const char *p)
{
	struct node n;
	sqlite3_stmt *st;
	int rc = node_get(f, p, &n);

	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", p);
	if (rc)
		return rc;
	if (n.is_dir)
		return set_err(f, -EISDIR, "flash:%s is a directory (use rmdir)", p);
	rc = prepare(f, &st, "DELETE FROM nodes WHERE path = ?1", "flash delete");
	if (rc)
		return rc;
	bind_text(st, 1, p);
	return step_done(f, st, "flash delete");
}

int flash_delete(struct flash *f, const char *path)
{
	char p[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash delete", path, p, NULL, NULL);

	return rc ? rc : txn_finish(f, delete_in_txn(f, p), "flash delete");
}

static int rename_in_txn(struct flash *f, const char *from, const char *to)
{
	struct node src, dst;
	char to_parent[FLASH_PATH_MAX];
	size_t from_len = strlen(from);
	sqlite3_stmt *st;

	if (is_root(from))
		return set_err(f, -EINVAL, "flash:/ cannot be renamed");
	int rc = node_get(f, from, &src);
	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", from);
	if (rc)
		return rc;
	if (strcmp(from, to) == 0)
		return 0;
	if (src.is_dir && strncmp(to, from, from_len) == 0 && to[from_len] == '/')
		return set_err(f, -EINVAL, "cannot move directory flash:%s into itself (flash:%s)",
			       from, to);
	rc = node_get(f, to, &dst);
	if (rc == 0) {
		if (src.is_dir || dst.is_dir)
			return set_err(f, -EEXIST, "flash:%s already exists", to);
		rc = delete_in_txn(f, to);
	} else if (rc == -ENOENT) {
		rc = check_parent(f, to);
	}
	if (rc)
		return rc;
	parent_of(to, to_parent);
	rc = prepare(f, &st, "UPDATE nodes SET path = ?1, parent = ?2 WHERE path = ?3",
		     "flash rename");
	if (rc)
		return rc;
	bind_text(st, 1, to);
	bind_text(st, 2, to_parent);
	bind_text(st, 3, from);
	rc = step_done(f, st, "flash rename");
	if (rc || !src.is_dir)
		return rc;
	/* The subtree: swap the "from/" prefix for "to/" in path and parent. */
	rc = prepare(f, &st,
		     "UPDATE nodes SET path = ?1 || substr(path, ?3 + 1), "
		     "parent = ?1 || substr(parent, ?3 + 1) "
		     "WHERE substr(path, 1, ?3 + 1) = ?2 || '/'",
		     "flash rename");
	if (rc)
		return rc;
	bind_text(st, 1, to);
	bind_text(st, 2, from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)from_len);
	return step_done(f, st, "flash rename");
}

int flash_rename(struct flash *f, const char *from, const char *to)
{
	char pf[FLASH_PATH_MAX], pt[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash rename", from, pf, to, pt);

	return rc ? rc : txn_finish(f, rename_in_txn(f, pf, pt), "flash rename");
}

static int copy_in_txn(struct flash *f, const char *from, const char *to)
{
	struct node src, dst;
	char to_parent[FLASH_PATH_MAX];
	sqlite3_stmt *st;
	int rc = node_get(f, from, &src);

	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", from);
	if (rc)
		return rc;
	if (src.is_dir)
		return set_err(f, -EISDIR, "flash:%s is a directory", from);
	if (strcmp(from, to) == 0)
		return 0;
	rc = node_get(f, to, &dst);
	if (rc == 0 && dst.is_dir)
		return set_err(f, -EISDIR, "flash:%s is a directory", to);
	if (rc && rc != -ENOENT)
		return rc;
	rc = check_parent(f, to);
	if (rc)
		return rc;
	parent_of(to, to_parent);
	rc = prepare(f, &st,
		     "INSERT INTO nodes(path, parent, is_dir, data, size, mtime) "
		     "SELECT ?1, ?2, 0, data, size, ?3 FROM nodes WHERE path = ?4 "
		     "ON CONFLICT(path) DO UPDATE SET data = excluded.data, "
		     "size = excluded.size, mtime = excluded.mtime",
		     "flash copy");
	if (rc)
		return rc;
	bind_text(st, 1, to);
	bind_text(st, 2, to_parent);
	sqlite3_bind_int64(st, 3, f->now(f->now_arg));
	bind_text(st, 4, from);
	return step_done(f, st, "flash copy");
}

int flash_copy(struct flash *f, const char *from, const char *to)
{
	char pf[FLASH_PATH_MAX], pt[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash copy", from, pf, to, pt);

	return rc ? rc : txn_finish(f, copy_in_txn(f, pf, pt), "flash copy");
}

static int mkdir_in_txn(struct flash *f, const char *p)
{
	struct node n;
	char parent[FLASH_PATH_MAX];
	sqlite3_stmt *st;
	int rc = is_root(p) ? 0 : node_get(f, p, &n);

	if (rc == 0)
		return set_err(f, -EEXIST, "flash:%s already exists", p);
	if (rc != -ENOENT)
		return rc;
	rc = check_parent(f, p);
	if (rc)
		return rc;
	parent_of(p, parent);
	rc = prepare(f, &st,
		     "INSERT INTO nodes(path, parent, is_dir, data, size, mtime) "
		     "VALUES (?1, ?2, 1, NULL, 0, ?3)",
		     "flash mkdir");
	if (rc)
		return rc;
	bind_text(st, 1, p);
	bind_text(st, 2, parent);
	sqlite3_bind_int64(st, 3, f->now(f->now_arg));
	return step_done(f, st, "flash mkdir");
}

int flash_mkdir(struct flash *f, const char *path)
{
	char p[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash mkdir", path, p, NULL, NULL);

	return rc ? rc : txn_finish(f, mkdir_in_txn(f, p), "flash mkdir");
}

static int rmdir_in_txn(struct flash *f, const char *p)
{
	struct node n;
	sqlite3_stmt *st;

	if (is_root(p))
		return set_err(f, -EBUSY, "flash:/ cannot be removed");
	int rc = node_get(f, p, &n);
	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", p);
	if (rc)
		return rc;
	if (!n.is_dir)
		return set_err(f, -ENOTDIR, "flash:%s is not a directory", p);
	rc = prepare(f, &st, "SELECT EXISTS (SELECT 1 FROM nodes WHERE parent = ?1)", "flash rmdir");
	if (rc)
		return rc;
	bind_text(st, 1, p);
	int src = sqlite3_step(st);
	bool has_children = src == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	if (src != SQLITE_ROW)
		rc = sql_fail(f, src, "flash rmdir");
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (has_children)
		return set_err(f, -ENOTEMPTY, "flash:%s: Directory not empty", p);
	rc = prepare(f, &st, "DELETE FROM nodes WHERE path = ?1", "flash rmdir");
	if (rc)
		return rc;
	bind_text(st, 1, p);
	return step_done(f, st, "flash rmdir");
}

int flash_rmdir(struct flash *f, const char *path)
{
	char p[FLASH_PATH_MAX];
	int rc = begin_path_op(f, "flash rmdir", path, p, NULL, NULL);

	return rc ? rc : txn_finish(f, rmdir_in_txn(f, p), "flash rmdir");
}

/* ----------------------------------------------------------------- listing */

int flash_list(struct flash *f, const char *dir,
	       int (*cb)(const struct flash_entry *e, void *arg), void *arg)
{
	char p[FLASH_PATH_MAX];
	struct node n;
	sqlite3_stmt *st;
	int rc = canon_arg(f, dir, p);

	if (rc)
		return rc;
	rc = node_get(f, p, &n);
	if (rc == -ENOENT)
		return set_err(f, rc, "flash:%s: No such file or directory", p);
	if (rc)
		return rc;
	if (!n.is_dir)
		return set_err(f, -ENOTDIR, "flash:%s is not a directory", p);
	rc = prepare(f, &st,
		     "SELECT rowid, path, is_dir, size, mtime FROM nodes WHERE parent = ?1 ORDER BY path",
		     "flash list");
	if (rc)
		return rc;
	bind_text(st, 1, p);
	int src;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		const char *child = (const char *)sqlite3_column_text(st, 1);
		const char *slash = child ? strrchr(child, '/') : NULL;
		struct flash_entry e = {
			.name = slash ? slash + 1 : "",
			.is_dir = sqlite3_column_int(st, 2) != 0,
			.size = (size_t)sqlite3_column_int64(st, 3),
			.mtime = sqlite3_column_int64(st, 4),
			.inode = sqlite3_column_int64(st, 0),
		};
		rc = cb(&e, arg);
		if (rc)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sql_fail(f, src, "flash list");
	sqlite3_finalize(st);
	return rc;
}

/* One `dir` line: "<inode> <mode>  <size> <hh:mm:ss Mon dd yyyy>  <name>". */
static void format_dir_line(struct buf *out, const struct flash_entry *e)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	time_t t = (time_t)e->mtime;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	buf_printf(out, "%-6" PRId64 " %s  %-12zu %02d:%02d:%02d %s %02d %d  %s\n",
		   e->inode, e->is_dir ? "drwx" : "-rwx", e->size,
		   tm.tm_hour, tm.tm_min, tm.tm_sec, months[tm.tm_mon], tm.tm_mday,
		   tm.tm_year + 1900, e->name);
}

struct dir_walk {
	struct buf *out;
	size_t entries;
};

static int dir_line_cb(const struct flash_entry *e, void *arg)
{
	struct dir_walk *w = arg;

	format_dir_line(w->out, e);
	w->entries++;
	return 0;
}

int flash_format_dir(struct flash *f, const char *dir, const char *device_label,
		     struct buf *out)
{
	char p[FLASH_PATH_MAX];
	struct node n;
	struct statvfs vfs;
	const char *dev = device_label && *device_label ? device_label : "disk0";
	int devlen = (int)strcspn(dev, ":");   /* "disk0" and "disk0:" both work */
	int rc = canon_arg(f, dir, p);

	if (rc)
		return rc;
	rc = node_get(f, p, &n);
	if (rc == -ENOENT)
		return set_err(f, rc, "%%Error opening %.*s:%s (No such file or directory)",
			       devlen, dev, p);
	if (rc)
		return rc;
	if (statvfs(f->state_dir, &vfs) != 0)
		return set_err(f, -errno, "cannot measure the file system of %s: %s",
			       f->state_dir, strerror(errno));

	struct dir_walk w = { .out = out };
	buf_printf(out, "Directory of %.*s:%s%s\n\n", devlen, dev, p,
		   n.is_dir && !is_root(p) ? "/" : "");
	if (n.is_dir) {
		rc = flash_list(f, p, dir_line_cb, &w);
		if (rc)
			return rc;
	} else {
		const char *slash = strrchr(p, '/');
		struct flash_entry e = {
			.name = slash + 1, .is_dir = false, .size = n.size,
			.mtime = n.mtime, .inode = n.inode,
		};
		dir_line_cb(&e, &w);
	}
	if (w.entries == 0)
		buf_puts(out, "No files in directory\n");
	buf_printf(out, "\n%llu bytes total (%llu bytes free)\n",
		   (unsigned long long)vfs.f_blocks * vfs.f_frsize,
		   (unsigned long long)vfs.f_bavail * vfs.f_frsize);
	return 0;
}

/* ----------------------------------------------------------------- startup */

int flash_get_startup(struct flash *f, struct buf *out)
{
	int rc = read_blob(f, "SELECT text FROM startup_config WHERE id = 1", NULL, out,
			   "reading startup configuration");

	if (rc == -ENOENT)
		set_err(f, rc, "no startup configuration is saved");
	return rc;
}

int flash_put_startup(struct flash *f, const char *text, size_t len)
{
	int rc = check_no_txn(f, "saving startup configuration");

	if (rc || (rc = txn_start(f, "saving startup configuration")))
		return rc;
	rc = put_startup_in_txn(f, text, len);
	return txn_finish(f, rc, "saving startup configuration");
}

int flash_erase_startup(struct flash *f)
{
	int rc = check_no_txn(f, "erasing startup configuration");

	if (rc || (rc = txn_start(f, "erasing startup configuration")))
		return rc;
	rc = exec_sql(f, "DELETE FROM startup_config", "erasing startup configuration");
	return txn_finish(f, rc, "erasing startup configuration");
}

/* ------------------------------------------------------------- flash_txn */

int flash_txn_begin(struct flash *f, struct flash_txn **out)
{
	*out = NULL;
	int rc = check_no_txn(f, "starting flash transaction");
	if (rc)
		return rc;
	struct flash_txn *t = calloc(1, sizeof *t);
	if (!t)
		return set_err(f, -ENOMEM, "starting flash transaction: out of memory");
	rc = txn_start(f, "starting flash transaction");
	if (rc) {
		free(t);
		return rc;
	}
	t->f = f;
	f->txn = t;
	*out = t;
	return 0;
}

/* Later puts after a failure would only hide the first error. */
static int txn_refuse_if_failed(struct flash_txn *t)
{
	if (t->failed)
		return t->failed;
	return 0;
}

int flash_txn_put_startup(struct flash_txn *t, const char *text, size_t len)
{
	int rc = txn_refuse_if_failed(t);

	if (rc)
		return rc;
	rc = put_startup_in_txn(t->f, text, len);
	t->failed = rc;
	return rc;
}

int flash_txn_put_file(struct flash_txn *t, const char *path, const void *data, size_t len)
{
	char p[FLASH_PATH_MAX];
	int rc = txn_refuse_if_failed(t);

	if (rc)
		return rc;
	rc = canon_arg(t->f, path, p);
	if (rc == 0)
		rc = write_file_in_txn(t->f, p, data, len);
	t->failed = rc;
	return rc;
}

int flash_txn_commit(struct flash_txn *t)
{
	struct flash *f = t->f;
	int rc = txn_finish(f, t->failed, "committing flash transaction");

	f->txn = NULL;
	free(t);
	return rc;
}

void flash_txn_abort(struct flash_txn *t)
{
	if (!t)
		return;
	txn_rollback(t->f);
	t->f->txn = NULL;
	free(t);
}
