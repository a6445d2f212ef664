CREATE TABLE IF NOT EXISTS info_runs (n int);
INSERT INTO info_runs (n) VALUES (1);
