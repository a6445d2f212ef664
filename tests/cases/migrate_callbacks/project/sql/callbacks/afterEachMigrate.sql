INSERT INTO callback_log (event, detail) VALUES ('afterEachMigrate', '${flyway:table}');
