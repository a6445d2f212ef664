-- orders whose status defaults to 'new'; the new version's default is 'pending'.
CREATE TABLE orders (
  id serial PRIMARY KEY,
  status text NOT NULL DEFAULT 'new',
  note text
);
CREATE INDEX orders_status_idx ON orders (status) WHERE status <> 'done';
INSERT INTO orders (status, note)
SELECT CASE WHEN g % 3 = 0 THEN 'done' ELSE 'new' END, 'n' || g FROM generate_series(1, 300) AS g;
