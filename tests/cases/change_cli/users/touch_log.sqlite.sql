-- Logs the key of every row of users an UPDATE touches.
CREATE TABLE touch_log (id INTEGER NOT NULL);
CREATE TRIGGER log_touch AFTER UPDATE ON users BEGIN INSERT INTO touch_log (id) VALUES (NEW.id); END;
