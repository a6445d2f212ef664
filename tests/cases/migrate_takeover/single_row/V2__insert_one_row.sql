-- One row, 2 s on the server: the test stops the leader while it runs.
INSERT INTO t (note) SELECT 'once' FROM DUAL WHERE SLEEP(2) = 0;
