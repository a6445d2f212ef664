-- users whose score (and id) become bigint. score has a default, NOT NULL, a check, a unique
-- key with team_id, an index of its own and one with label; team_id a foreign key. (MariaDB
-- indexes no expression, but a prefix.) The ids are given: Galera's nodes hand out
-- AUTO_INCREMENT values in steps of the cluster's size.
CREATE TABLE teams (id integer PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO teams VALUES (1), (2);
CREATE TABLE users (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  team_id integer,
  score integer NOT NULL DEFAULT 0,
  label text,
  CONSTRAINT users_score_check CHECK (score >= 0),
  CONSTRAINT users_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
  CONSTRAINT users_team_id_score_key UNIQUE (team_id, score)
) ENGINE=InnoDB;
CREATE INDEX users_score_idx ON users (score);
CREATE INDEX users_label_score ON users (label(20), score);
INSERT INTO users (id, team_id, score, label)
SELECT seq, 1 + seq % 2, seq, CONCAT('L', seq) FROM seq_1_to_300;
