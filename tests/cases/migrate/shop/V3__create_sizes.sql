CREATE TABLE sizes (
  id INT NOT NULL PRIMARY KEY,
  label VARCHAR(20) NOT NULL
);
INSERT INTO sizes (id, label) VALUES (1, 'small');
