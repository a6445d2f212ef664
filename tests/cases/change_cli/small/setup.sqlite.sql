-- 5,000 users, each with an address (address_line_2 NULL for every third one).
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  address_line_1 TEXT,
  address_line_2 TEXT
);
INSERT INTO users (id, username, address_line_1, address_line_2)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
SELECT i, 'User' || i, 'street ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'flat ' || i END
FROM n;
