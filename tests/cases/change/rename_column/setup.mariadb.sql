-- users whose username becomes login, with a unique key and an index on it (a prefix: MariaDB
-- indexes no expression).
CREATE TABLE users (
  id integer PRIMARY KEY,
  username varchar(100) NOT NULL,
  CONSTRAINT users_username_key UNIQUE (username)
) ENGINE=InnoDB;
CREATE INDEX users_username_prefix ON users (username(8));
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
