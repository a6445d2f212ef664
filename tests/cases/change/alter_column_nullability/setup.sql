-- users whose email, unique, is sometimes NULL; the new version requires one.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text UNIQUE
);
INSERT INTO users
SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'user' || g || '@x.org' END
FROM generate_series(1, 300) AS g;
