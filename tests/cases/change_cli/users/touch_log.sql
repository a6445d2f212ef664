-- Logs the key of every row of users an UPDATE touches.
CREATE TABLE touch_log (id bigint NOT NULL);
CREATE FUNCTION log_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO touch_log (id) VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER log_touch AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_touch();
