CREATE TABLE IF NOT EXISTS callback_log (event varchar(50), detail varchar(200));
INSERT INTO callback_log (event, detail) VALUES ('beforeMigrate', '${flyway:filename}');
