-- users whose emails the new version wants unique.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text
);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300)
INSERT INTO users SELECT n, 'user' || n || '@example.com' FROM g;
