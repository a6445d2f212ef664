-- users whose emails the new version wants unique.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text
);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 300) AS g;
