INSERT INTO events (tag) VALUES ('v2-before');
CREATE INDEX events_tag_idx ON events (tag);
INSERT INTO events (tag) VALUES ('v2-slow-step');
-- The test stops cutover with a signal while this runs: a count of `amount` rows.
SELECT count(*) FROM (
  WITH RECURSIVE n(x) AS (
    SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < (SELECT amount FROM slow_control))
  SELECT x FROM n);
INSERT INTO events (tag) VALUES ('v2-after');
