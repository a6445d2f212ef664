CREATE TABLE items (id int PRIMARY KEY, name varchar(50));
CREATE TABLE grants_log (owner varchar(50));
CREATE TABLE meta (n int);
INSERT INTO meta (n) VALUES (0);
