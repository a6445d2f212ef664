-- users with a nickname the new version no longer has.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL,
  nickname text
);
CREATE INDEX users_nickname_idx ON users (nickname);
INSERT INTO users SELECT g, 'user' || g, 'nick' || g FROM generate_series(1, 300) AS g;
