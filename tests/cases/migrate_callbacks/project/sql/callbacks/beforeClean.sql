-- cutover has no clean command: warned about by name, never run.
SELECT 1;
