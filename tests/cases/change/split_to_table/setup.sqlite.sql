-- Seed 004, version 1 of the schema (examples/seed004/schema.sql): one address per user, in the
-- users table; 20,000 users, every third with a second address line.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username VARCHAR(20) NOT NULL,
  address_line_1 VARCHAR(100),
  address_line_2 VARCHAR(100)
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO users (username, address_line_1, address_line_2)
SELECT 'seed-' || i, i || ' Old Street', CASE WHEN i % 3 = 0 THEN 'Flat ' || i END FROM n;
