-- 001_initial: the flash store's first schema.
-- One row per file or directory (the root "/" included), plus the system
-- execution space's startup configuration, which is hidden from `dir` as on
-- an ASA.  Paths are canonical (see schemas/flash.md): "/" or "/a/b.cfg".

-- Identifies the file as an mctx flash ("mctx" in ASCII) for file(1) and
-- sqlite3 users.
PRAGMA application_id = 1835234424;

CREATE TABLE schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
);

-- A node's rowid is its stable "inode" number shown by `dir`; it survives a
-- rename because rename only rewrites path and parent.
CREATE TABLE nodes (
	path   TEXT    NOT NULL UNIQUE,
	parent TEXT,
	is_dir INTEGER NOT NULL CHECK (is_dir IN (0, 1)),
	data   BLOB,
	size   INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
	mtime  INTEGER NOT NULL,
	CHECK ((path = '/') = (parent IS NULL)),
	CHECK ((is_dir = 1 AND data IS NULL) OR (is_dir = 0 AND data IS NOT NULL))
);
CREATE INDEX nodes_by_parent ON nodes(parent);

INSERT INTO nodes(path, parent, is_dir, data, size, mtime)
	VALUES ('/', NULL, 1, NULL, 0, 0);

-- At most one row: the startup configuration of the system execution space.
CREATE TABLE startup_config (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	text     BLOB    NOT NULL,
	saved_at INTEGER NOT NULL
);
