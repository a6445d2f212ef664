ALTER TABLE t ADD COLUMN c INT;
-- Holds the ALTER's lock while it sleeps; the test kills the leader meanwhile.
SELECT pg_sleep(60) FROM sleep_control WHERE sleep;
