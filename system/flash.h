/*
 * flash: the unit's non-volatile store, one SQLite database
 * <state_dir>/flash.db.
 *
 * It holds what an ASA keeps on its flash card:
 *  - the system execution space's startup configuration, hidden (not a file,
 *    not shown by `dir`), saved by `write memory` and cleared by
 *    `write erase`;
 *  - a small file system with directories, addressed as "flash:/path" or
 *    "disk0:/path" (two names for the same store, as on an ASA 5500).
 *    Context configurations live there (`config-url flash:/context1.cfg`).
 *
 * Every change is one SQLite transaction in rollback-journal mode with
 * synchronous=EXTRA: a process killed (or a power cut) at any moment leaves
 * either the old or the new content, never a mix, and a call that returned 0
 * is on disk.  `write memory all` saves the system startup and every context
 * file in one flash_txn, so they commit together or not at all.
 *
 * Errors are -errno; flash_last_error() says what failed in one line:
 *   -ENOENT, -EEXIST, -EISDIR, -ENOTDIR, -ENOTEMPTY, -EINVAL: file-system
 *           semantics, as their names say;
 *   -ENOSPC: the disk under the state directory is full (nothing changed);
 *   -EIO:    the database is corrupt or the disk failed;
 *   -EBUSY:  another process holds the database longer than the busy
 *            timeout, or a flash_txn is open on this handle;
 *   -EROFS, -EACCES: the state directory cannot be written;
 *   -EPROTO: flash.db was migrated by a newer mctxd (refused, untouched).
 * Disk-level failures (-EIO, -ENOSPC, a refused open) are also logged as
 * %MCTX-3-900002 here, so callers need not log them again.
 * The schema is in schemas/flash/NNN_name.sql and documented in
 * schemas/flash.md.  A handle is used by one thread.
 */
#ifndef MCTX_FLASH_H
#define MCTX_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "system/sys_buf.h"

/* Canonical path limits: whole path with its NUL, and one component. */
#define FLASH_PATH_MAX 512
#define FLASH_NAME_MAX 255
/* Largest file or startup configuration accepted. */
#define FLASH_FILE_MAX (64u * 1024 * 1024)

struct flash;
struct flash_txn;

/*
 * Opens <state_dir>/flash.db, creating state_dir (0700) and the database if
 * missing, applies pending migrations (one transaction each) and checks the
 * database with PRAGMA quick_check.  On failure returns -errno, leaves *out
 * NULL and writes one human line into err, e.g.
 *   "flash database /x/flash.db is corrupt (file is not a database); it was not modified"
 *   "state directory /x is not writable: Read-only file system"
 * A corrupt or foreign database is never modified.  A zero-byte flash.db is
 * what a crash during the very first open leaves, and is taken as empty.
 * A hot journal left by a killed writer is rolled back here.
 */
int flash_open(const char *state_dir, struct flash **out, char *err, size_t errlen);
/* Closes the handle; an open flash_txn is rolled back.  NULL is a no-op. */
void flash_close(struct flash *f);
/* One line describing the last failed call on this handle ("" if none). */
const char *flash_last_error(const struct flash *f);
/* Path of the database file, for messages. */
const char *flash_db_path(const struct flash *f);
/* Schema version now in the database (highest migration applied). */
int flash_schema_version(const struct flash *f);

/*
 * Clock for mtimes (seconds since the epoch); default time(2).  Tests pass a
 * fixed clock to get reproducible `dir` output.
 */
void flash_set_clock(struct flash *f, int64_t (*now)(void *arg), void *arg);

/*
 * Canonical form of a flash path: "flash:/a/b.cfg", "disk0:a/b.cfg",
 * "/a/b.cfg" and "a/b.cfg" all give "/a/b.cfg"; "flash:", "disk0:/" and "/"
 * give "/".  The device name is case-insensitive; one trailing '/' is
 * accepted.  Rejects (-EINVAL) empty input, other devices ("tftp:"), empty
 * components ("a//b"), "." and "..", and bytes outside printable ASCII or
 * one of ':' '\\' in a name.  -ENAMETOOLONG when the result or one
 * component is over FLASH_PATH_MAX / FLASH_NAME_MAX, -ERANGE when outlen is
 * too small for the result.
 */
int flash_path_canon(const char *in, char *out, size_t outlen);

/* Whole file into out (replacing its content).  -ENOENT, -EISDIR. */
int flash_read(struct flash *f, const char *path, struct buf *out);
/*
 * Creates or replaces a file in one transaction.  The parent directory must
 * exist (-ENOENT; -ENOTDIR if it is a file); -EISDIR if path is a directory;
 * -EFBIG over FLASH_FILE_MAX; -ENOSPC when the disk is full.
 */
int flash_write(struct flash *f, const char *path, const void *data, size_t len);
/* Removes a file.  -ENOENT; -EISDIR for a directory (use flash_rmdir). */
int flash_delete(struct flash *f, const char *path);
/*
 * Renames a file or a directory (with its subtree).  An existing destination
 * file is replaced when the source is a file; otherwise an existing
 * destination is -EEXIST.  -EINVAL when moving a directory into itself or
 * renaming "/"; -ENOENT if the source or the destination's parent is
 * missing.
 */
int flash_rename(struct flash *f, const char *from, const char *to);
/* Copies a file; replaces a destination file; -EISDIR if either is a dir. */
int flash_copy(struct flash *f, const char *from, const char *to);
/* Creates a directory.  -EEXIST if the path exists; -ENOENT without parent. */
int flash_mkdir(struct flash *f, const char *path);
/* Removes an empty directory.  -ENOTEMPTY, -ENOTDIR, -EBUSY for "/". */
int flash_rmdir(struct flash *f, const char *path);

struct flash_entry {
	const char *name;   /* last component; valid during the callback only */
	bool is_dir;
	size_t size;        /* bytes; 0 for a directory */
	int64_t mtime;      /* seconds since the epoch */
	int64_t inode;      /* stable number shown by `dir` */
};
/*
 * Calls cb for each entry of directory dir in name order.  A non-zero return
 * from cb stops the walk and is returned.  -ENOENT, -ENOTDIR.
 */
int flash_list(struct flash *f, const char *dir,
	       int (*cb)(const struct flash_entry *e, void *arg), void *arg);
/*
 * Appends an ASA-style `dir` listing of dir (or of one file) to out:
 *   Directory of disk0:/
 *
 *   2      -rwx  1375         10:20:30 Mar 04 2024  context1.cfg
 *   3      drwx  0            10:20:30 Mar 04 2024  log
 *
 *   8571076608 bytes total (8261238784 bytes free)
 * device_label is "disk0" or "flash" (a trailing ':' is ignored); times are
 * UTC; -ENOENT leaves "%Error opening disk0:/x (No such file or directory)"
 * in flash_last_error(); totals are those of
 * the file system holding the state directory.
 */
int flash_format_dir(struct flash *f, const char *dir, const char *device_label,
		     struct buf *out);

/* System startup configuration into out.  -ENOENT when none is saved. */
int flash_get_startup(struct flash *f, struct buf *out);
/* Saves the system startup configuration alone (one transaction). */
int flash_put_startup(struct flash *f, const char *text, size_t len);
/* `write erase`: forgets the system startup configuration (0 if none). */
int flash_erase_startup(struct flash *f);

/*
 * One transaction for `write memory [all]` / `copy running-config
 * startup-config`: the system startup and any number of context files commit
 * together or not at all.  Only one transaction per handle (-EBUSY); other
 * calls on the handle return -EBUSY while it is open.  A failed put marks
 * the transaction failed: later puts are refused and commit rolls back and
 * returns that first error.
 */
int flash_txn_begin(struct flash *f, struct flash_txn **out);
int flash_txn_put_startup(struct flash_txn *t, const char *text, size_t len);
int flash_txn_put_file(struct flash_txn *t, const char *path, const void *data, size_t len);
/* Commits and frees t; on error everything is rolled back, returns -errno. */
int flash_txn_commit(struct flash_txn *t);
/* Rolls back and frees t.  NULL is a no-op. */
void flash_txn_abort(struct flash_txn *t);

#endif
