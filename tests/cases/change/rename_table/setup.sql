-- users, which the new version calls accounts; ids come from a sequence.
CREATE TABLE users (
  id serial PRIMARY KEY,
  username text NOT NULL UNIQUE
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id)
);
INSERT INTO users (username) SELECT 'user' || g FROM generate_series(1, 300) AS g;
INSERT INTO orders (user_id) SELECT g FROM generate_series(1, 300) AS g;
