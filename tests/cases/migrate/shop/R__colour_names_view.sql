-- Repeatable: rebuilt whenever this file changes.
DROP VIEW IF EXISTS colour_names;
CREATE VIEW colour_names AS SELECT name FROM colours;
