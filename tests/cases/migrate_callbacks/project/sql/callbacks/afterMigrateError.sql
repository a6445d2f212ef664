CREATE TABLE IF NOT EXISTS migrate_errors (n int);
INSERT INTO migrate_errors (n) VALUES (1);
