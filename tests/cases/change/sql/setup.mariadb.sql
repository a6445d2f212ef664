-- users, for which the change adds an audit table and its index with its own SQL.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
