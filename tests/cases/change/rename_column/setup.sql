-- users whose username becomes login, with a unique key and an index on it.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL UNIQUE
);
CREATE INDEX users_username_lower ON users (lower(username));
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
