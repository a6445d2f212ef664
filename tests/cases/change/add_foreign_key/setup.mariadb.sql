-- users and their orders, whose user_id the new version makes a foreign key.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
  id integer PRIMARY KEY,
  user_id integer
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
INSERT INTO orders SELECT seq, seq % 300 + 1 FROM seq_1_to_600;
