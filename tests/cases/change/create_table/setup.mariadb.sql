-- users, to which the new version adds a table of addresses.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
