-- users with ages, all of them valid for the check the new version adds.
CREATE TABLE users (
  id integer PRIMARY KEY,
  age integer
);
INSERT INTO users SELECT g, g % 100 FROM generate_series(1, 300) AS g;
