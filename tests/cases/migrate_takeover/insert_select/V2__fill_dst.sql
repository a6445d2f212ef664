-- The test kills the leader while this runs. It pauses 0.2 s every 1,000 rows, so that it runs
-- for 20 s at least on any machine (100,000 rows): the successor takes over within a few
-- seconds of the kill and must find it still running.
INSERT INTO dst (id, payload) SELECT seq, CONCAT('row-', seq) FROM seq_1_to_${rows}
WHERE seq % 1000 <> 0 OR SLEEP(0.2) = 0;
