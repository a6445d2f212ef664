-- users, which the new version calls accounts; ids come from AUTO_INCREMENT. The seed's ids are
-- given: Galera's nodes hand out AUTO_INCREMENT values in steps of the cluster's size.
CREATE TABLE users (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username varchar(100) NOT NULL,
  CONSTRAINT users_username_key UNIQUE (username)
) ENGINE=InnoDB;
CREATE TABLE orders (
  id integer NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id integer NOT NULL,
  CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;
INSERT INTO users (id, username) SELECT seq, CONCAT('user', seq) FROM seq_1_to_300;
INSERT INTO orders (id, user_id) SELECT seq, seq FROM seq_1_to_300;
