-- users with 300 rows for the backfill to fill.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
