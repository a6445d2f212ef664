-- No primary key on purpose: a statement run twice shows as duplicate rows.
CREATE TABLE events (tag VARCHAR(50) NOT NULL, payload INT);
INSERT INTO events (tag, payload) VALUES ('before-1', 1), ('before-2', 2), ('before-3', 3);
-- Cannot run in a transaction: cutover runs it on its own.
CREATE INDEX CONCURRENTLY events_tag_idx ON events (tag);
-- The test kills the applying process while this runs.
SELECT pg_sleep(4);
CREATE TABLE event_notes (id INT PRIMARY KEY, note VARCHAR(100));
INSERT INTO events (tag, payload) VALUES ('after-1', 4);
INSERT INTO event_notes (id, note) VALUES (1, 'written after the slow step');
CREATE INDEX event_notes_note_idx ON event_notes (note);
