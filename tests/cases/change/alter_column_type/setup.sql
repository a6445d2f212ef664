-- users whose score (and id) become bigint. score has a default, NOT NULL, a check, a unique
-- key with team_id, an index of its own and one over an expression; team_id a foreign key.
CREATE TABLE teams (id integer PRIMARY KEY);
INSERT INTO teams VALUES (1), (2);
CREATE TABLE users (
  id serial PRIMARY KEY,
  team_id integer REFERENCES teams (id) ON DELETE CASCADE,
  score integer NOT NULL DEFAULT 0 CHECK (score >= 0),
  label text,
  UNIQUE (team_id, score)
);
CREATE INDEX users_score_idx ON users (score);
CREATE INDEX users_label_score ON users (lower(label), score);
INSERT INTO users (team_id, score, label)
SELECT 1 + g % 2, g, 'L' || g FROM generate_series(1, 300) AS g;
