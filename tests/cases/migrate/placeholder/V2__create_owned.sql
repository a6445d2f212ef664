-- Needs --placeholder schema_owner=NAME.

CREATE TABLE owned_by_${schema_owner} (id INT NOT NULL PRIMARY KEY);
