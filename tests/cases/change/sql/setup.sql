-- users, for which the change adds an audit table and its index with its own SQL.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
