-- users with ages, all of them valid for the check the new version adds.
CREATE TABLE users (
  id integer PRIMARY KEY,
  age integer
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, seq % 100 FROM seq_1_to_300;
