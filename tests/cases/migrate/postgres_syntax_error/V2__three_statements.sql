-- The third statement is not SQL: PostgreSQL's parser finds it before anything runs.
CREATE TABLE second_a (id INT NOT NULL PRIMARY KEY);

INSERT INTO second_a (id) VALUES (1);

CREATE TABLEE second_b (id INT NOT NULL PRIMARY KEY);
