-- users whose email, unique, is sometimes NULL; the new version requires one.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email varchar(200) UNIQUE
) ENGINE=InnoDB;
INSERT INTO users
SELECT seq, CASE WHEN seq % 2 = 0 THEN NULL ELSE CONCAT('user', seq, '@x.org') END
FROM seq_1_to_300;
