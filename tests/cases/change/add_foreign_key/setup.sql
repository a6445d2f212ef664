-- users and their orders, whose user_id the new version makes a foreign key.
CREATE TABLE users (
  id integer PRIMARY KEY,
  username text NOT NULL
);
CREATE TABLE orders (
  id integer PRIMARY KEY,
  user_id integer
);
INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 300) AS g;
INSERT INTO orders SELECT g, g % 300 + 1 FROM generate_series(1, 600) AS g;
