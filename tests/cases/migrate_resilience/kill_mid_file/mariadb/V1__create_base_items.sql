CREATE TABLE base_items (id INT PRIMARY KEY);
INSERT INTO base_items (id) VALUES (1), (2);
