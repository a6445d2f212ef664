-- The first version of the schema: users with an address on two lines (seed 004).
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  address_line_1 VARCHAR(200),
  address_line_2 VARCHAR(200)
);
INSERT INTO users (id, name, address_line_1) VALUES (1, 'Ada', '12 Analytical Row');
