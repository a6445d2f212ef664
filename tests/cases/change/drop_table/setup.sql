-- users, and a log table the new version no longer writes.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
CREATE TABLE legacy_log (
  id serial PRIMARY KEY,
  user_id integer REFERENCES users (id),
  note text NOT NULL
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
INSERT INTO legacy_log (user_id, note) SELECT g, 'note ' || g FROM generate_series(1, 300) AS g;
