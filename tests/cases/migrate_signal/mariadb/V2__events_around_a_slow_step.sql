INSERT INTO events (tag) VALUES ('v2-before');
-- DDL commits on its own on MariaDB.
CREATE INDEX events_tag_idx ON events (tag);
INSERT INTO events (tag) VALUES ('v2-slow-step');
-- The test stops cutover with a signal while this runs.
SELECT SLEEP((SELECT amount FROM slow_control));
INSERT INTO events (tag) VALUES ('v2-after');
