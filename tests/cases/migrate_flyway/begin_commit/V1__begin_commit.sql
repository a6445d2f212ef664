-- issue 9: a Flyway project's habit of wrapping a file in its own transaction
BEGIN;
CREATE TABLE c1 (id int);
CREATE TABLE c2 (id int);
COMMIT;
