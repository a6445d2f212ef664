-- users whose emails the new version wants unique.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email varchar(200)
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com') FROM seq_1_to_300;
