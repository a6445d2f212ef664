-- As in a real Flyway project: the default schema qualifies the table, no --placeholder needed.
UPDATE ${flyway:defaultSchema}.meta SET n = n * 10 + 1;
