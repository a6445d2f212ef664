-- Seed 004, version 1 of the schema: one address per user, in the users table; 20,000 users,
-- every third with a second address line. The ids are given: Galera's nodes hand out
-- AUTO_INCREMENT values in steps of the cluster's size.
CREATE TABLE users (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username varchar(20) NOT NULL,
  address_line_1 varchar(100),
  address_line_2 varchar(100)
) ENGINE=InnoDB;
INSERT INTO users (id, username, address_line_1, address_line_2)
SELECT seq, CONCAT('seed-', seq), CONCAT(seq, ' Old Street'),
       CASE WHEN seq % 3 = 0 THEN CONCAT('Flat ', seq) END
FROM seq_1_to_20000;
