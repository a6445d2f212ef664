-- The test kills the leader while this runs.
INSERT INTO dst (id, payload) SELECT seq, CONCAT('row-', seq) FROM seq_1_to_${rows};
