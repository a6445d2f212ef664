-- orders whose status defaults to 'new'; the new version's default is 'pending'. (MariaDB has
-- no partial index: the index is on status.) The ids are given: Galera's nodes hand out
-- AUTO_INCREMENT values in steps of the cluster's size.
CREATE TABLE orders (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  status varchar(20) NOT NULL DEFAULT 'new',
  note varchar(100)
) ENGINE=InnoDB;
CREATE INDEX orders_status_idx ON orders (status);
INSERT INTO orders (id, status, note)
SELECT seq, CASE WHEN seq % 3 = 0 THEN 'done' ELSE 'new' END, CONCAT('n', seq) FROM seq_1_to_300;
