-- Data, applied exactly once however many instances start.
INSERT INTO colours (id, name) VALUES (1, 'red'), (2, 'green'), (3, 'blue');
INSERT INTO shapes (name, sides) VALUES ('triangle', 3), ('square', 4);
