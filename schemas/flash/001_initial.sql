-- flash schema v1
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY);
