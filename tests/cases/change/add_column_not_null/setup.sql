-- users of two teams; the new column is NOT NULL, checked, and references teams.
CREATE TABLE teams (id integer PRIMARY KEY);
INSERT INTO teams VALUES (1), (2);
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
