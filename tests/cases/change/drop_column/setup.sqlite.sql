-- users with a nickname the new version no longer has.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL,
  nickname text
);
CREATE INDEX users_nickname_idx ON users (nickname);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300)
INSERT INTO users SELECT n, 'user' || n, 'nick' || n FROM g;
