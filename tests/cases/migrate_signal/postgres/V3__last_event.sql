INSERT INTO events (tag) VALUES ('v3');
