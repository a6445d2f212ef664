-- users, to which the new version adds a table of addresses.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
