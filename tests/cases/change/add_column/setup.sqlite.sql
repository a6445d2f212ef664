-- users with 300 rows for the backfill to fill.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300)
INSERT INTO users SELECT n, 'user' || n FROM g;
