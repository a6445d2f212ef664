-- users with a unique index on email that the new version drops.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email varchar(200)
) ENGINE=InnoDB;
CREATE UNIQUE INDEX users_email_key ON users (email);
INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com') FROM seq_1_to_300;
