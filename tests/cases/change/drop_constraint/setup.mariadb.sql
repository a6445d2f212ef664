-- users with a check on age that the new version drops.
CREATE TABLE users (
  id integer PRIMARY KEY,
  age integer,
  CONSTRAINT users_age_check CHECK (age >= 0)
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, seq % 100 FROM seq_1_to_300;
