-- Two tables in one file: a script of several statements.
CREATE TABLE colours (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(40) NOT NULL
);

-- No key on purpose: a second run of the seed would show as duplicate rows.
CREATE TABLE shapes (
  name VARCHAR(40) NOT NULL,
  sides INT NOT NULL
);
