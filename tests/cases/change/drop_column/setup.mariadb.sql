-- users with a nickname the new version no longer has.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username varchar(100) NOT NULL,
  nickname varchar(100)
) ENGINE=InnoDB;
CREATE INDEX users_nickname_idx ON users (nickname);
INSERT INTO users SELECT seq, CONCAT('user', seq), CONCAT('nick', seq) FROM seq_1_to_300;
