-- users with a check on age that the new version drops.
CREATE TABLE users (
  id integer PRIMARY KEY,
  age integer CONSTRAINT users_age_check CHECK (age >= 0)
);
INSERT INTO users SELECT g, g % 100 FROM generate_series(1, 300) AS g;
