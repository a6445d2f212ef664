-- Repeatable: applied again whenever ${owner} changes (Flyway checksums it after replacement).
INSERT INTO grants_log (owner) VALUES ('${owner}');
