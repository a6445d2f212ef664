ALTER TABLE cutover_probe ADD COLUMN c INT;
