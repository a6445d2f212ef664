-- users of two teams; the new column is NOT NULL.
CREATE TABLE teams (id integer PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO teams VALUES (1), (2);
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
