CREATE INDEX colours_name_idx ON colours (name);
