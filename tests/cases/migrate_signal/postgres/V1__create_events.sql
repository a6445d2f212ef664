-- No key on purpose: a statement run twice shows as a duplicate row.
CREATE TABLE events (tag VARCHAR(50) NOT NULL);
INSERT INTO events (tag) VALUES ('v1');
