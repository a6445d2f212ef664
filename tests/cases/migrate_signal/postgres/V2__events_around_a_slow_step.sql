INSERT INTO events (tag) VALUES ('v2-before');
-- Cannot run in a transaction: cutover runs it on its own, so statements 1-2 commit first.
CREATE INDEX CONCURRENTLY events_tag_idx ON events (tag);
INSERT INTO events (tag) VALUES ('v2-slow-step');
-- The test stops cutover with a signal while this runs.
SELECT pg_sleep((SELECT amount FROM slow_control));
INSERT INTO events (tag) VALUES ('v2-after');
