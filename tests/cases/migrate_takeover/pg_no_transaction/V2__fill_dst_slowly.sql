-- cutover: no-transaction
INSERT INTO dst SELECT g FROM generate_series(1, 20) AS g, LATERAL (SELECT pg_sleep(0.1)) AS slow;
