-- users with a unique index on email that the new version drops.
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text
);
CREATE UNIQUE INDEX users_email_key ON users (email);
INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 300) AS g;
