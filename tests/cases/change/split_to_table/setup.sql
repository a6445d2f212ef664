-- Seed 004, version 1 of the schema (examples/seed004/schema.sql on PostgreSQL): one address
-- per user, in the users table; 20,000 users, every third with a second address line.
CREATE TABLE users (
  id serial PRIMARY KEY,
  username varchar(20) NOT NULL,
  address_line_1 varchar(100),
  address_line_2 varchar(100)
);
INSERT INTO users (username, address_line_1, address_line_2)
SELECT 'seed-' || i, i || ' Old Street', CASE WHEN i % 3 = 0 THEN 'Flat ' || i END
FROM generate_series(1, 20000) AS i;
