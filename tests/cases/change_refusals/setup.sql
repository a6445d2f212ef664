-- A small film rental shop in the shape of the pagila / dvdrental sample, for change_refusals_test.
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');

CREATE TABLE staff (
  staff_id integer PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text,
  active boolean NOT NULL DEFAULT true,
  username text NOT NULL,
  password text,
  last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer (
  customer_id integer PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text,
  activebool boolean NOT NULL DEFAULT true,
  create_date date NOT NULL DEFAULT current_date
);

CREATE TABLE actor (
  actor_id integer PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE film (
  film_id integer PRIMARY KEY,
  title text NOT NULL,
  description text,
  release_year integer,
  rental_duration smallint NOT NULL DEFAULT 3,
  rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
  length smallint,
  rating mpaa_rating DEFAULT 'G',
  last_update timestamptz NOT NULL DEFAULT now()
);

-- Which actors play in which film: the only key is the pair.
CREATE TABLE film_actor (
  actor_id integer NOT NULL REFERENCES actor (actor_id),
  film_id integer NOT NULL REFERENCES film (film_id),
  last_update timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor_id, film_id)
);

CREATE TABLE rental (
  rental_id integer PRIMARY KEY,
  rental_date timestamptz NOT NULL,
  film_id integer NOT NULL REFERENCES film (film_id),
  customer_id integer NOT NULL REFERENCES customer (customer_id),
  return_date timestamptz,
  staff_id integer REFERENCES staff (staff_id),
  last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment (
  payment_id integer NOT NULL,
  customer_id integer NOT NULL,
  staff_id integer NOT NULL,
  rental_id integer,
  amount numeric(5,2) NOT NULL,
  payment_date date NOT NULL,
  PRIMARY KEY (payment_id, payment_date)
) PARTITION BY RANGE (payment_date);

CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01') TO ('2022-04-01');
CREATE TABLE payment_p2022_04 PARTITION OF payment FOR VALUES FROM ('2022-04-01') TO ('2022-05-01');
CREATE TABLE payment_p2022_05 PARTITION OF payment FOR VALUES FROM ('2022-05-01') TO ('2022-06-01');

INSERT INTO staff (staff_id, first_name, last_name, email, username, password) VALUES
  (1, 'Mike', 'Hillyer', 'mike.hillyer@example.com', 'mike', '8cb2237d0679ca88db6464eac60da96345513964'),
  (2, 'Jon', 'Stephens', 'jon.stephens@example.com', 'jon', NULL);

INSERT INTO customer (customer_id, first_name, last_name, email)
SELECT i, 'first' || i, 'last' || i, 'customer' || i || '@example.com'
FROM generate_series(1, 200) AS i;

INSERT INTO actor (actor_id, first_name, last_name)
SELECT i, 'actor' || i, 'surname' || i FROM generate_series(1, 40) AS i;

INSERT INTO film (film_id, title, release_year, length, rating)
SELECT i, 'Film ' || i, 2000 + i % 20, 60 + i % 120,
       (ARRAY['G', 'PG', 'PG-13', 'R', 'NC-17'])[1 + i % 5]::mpaa_rating
FROM generate_series(1, 100) AS i;

INSERT INTO film_actor (actor_id, film_id)
SELECT 1 + (f * 7 + k) % 40, f FROM generate_series(1, 100) AS f, generate_series(0, 2) AS k;

INSERT INTO rental (rental_id, rental_date, film_id, customer_id, return_date, staff_id)
SELECT i, timestamptz '2022-01-01' + i * interval '50 minutes', 1 + i % 100, 1 + i % 200,
       timestamptz '2022-01-04' + i * interval '50 minutes', 1 + i % 2
FROM generate_series(1, 4000) AS i;

INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
SELECT i, 1 + i % 200, 1 + i % 2, i, 0.99 + (i % 5), date '2022-01-01' + (i * 50 / 1440)
FROM generate_series(1, 4000) AS i;

-- Mentions staff.staff_id and the table rental, but uses none of rental's staff_id.
CREATE VIEW staff_list AS
SELECT s.staff_id AS id, s.first_name || ' ' || s.last_name AS name, s.email, s.active,
       (SELECT max(r.return_date)
        FROM payment p JOIN rental r ON r.rental_id = p.rental_id
        WHERE p.staff_id = s.staff_id) AS last_paid_return
FROM staff s;

CREATE VIEW staff_names AS
SELECT staff_id, first_name FROM staff WHERE active;

CREATE VIEW customer_list AS
SELECT customer_id AS id, first_name || ' ' || last_name AS name, email FROM customer;

CREATE MATERIALIZED VIEW staff_logins AS
SELECT staff_id, username, password IS NOT NULL AS can_log_in FROM staff;

CREATE FUNCTION staff_password_is_set(p_staff_id integer) RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT password IS NOT NULL FROM staff WHERE staff_id = p_staff_id;
END;

CREATE FUNCTION staff_password_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.last_update := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER staff_password_changed BEFORE UPDATE OF password ON staff
FOR EACH ROW EXECUTE FUNCTION staff_password_changed();
