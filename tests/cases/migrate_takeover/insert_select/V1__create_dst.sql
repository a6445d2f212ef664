-- No key on purpose: the INSERT run twice shows as twice the rows.
CREATE TABLE dst (id BIGINT NOT NULL, payload VARCHAR(40) NOT NULL) ENGINE=InnoDB;
