-- 300,000 users, each with an address (address_line_2 NULL for every third one).
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  address_line_1 text,
  address_line_2 text
);
INSERT INTO users (username, address_line_1, address_line_2)
SELECT 'User' || i, 'street ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'flat ' || i END
FROM generate_series(1, 300000) AS i;
ANALYZE users;
