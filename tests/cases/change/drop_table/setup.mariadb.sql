-- users, and a log table the new version no longer writes. The ids are given: Galera's nodes
-- hand out AUTO_INCREMENT values in steps of the cluster's size.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
) ENGINE=InnoDB;
CREATE TABLE legacy_log (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id integer,
  note text NOT NULL,
  CONSTRAINT legacy_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
INSERT INTO legacy_log (id, user_id, note) SELECT seq, seq, CONCAT('note ', seq) FROM seq_1_to_300;
