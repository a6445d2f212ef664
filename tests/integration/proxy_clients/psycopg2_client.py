"""A small workload through cutover proxy with psycopg2 (the simple query protocol, COPY both
ways, LISTEN/NOTIFY, a cancel), every result checked. Prints "ok" and exits 0 when all held.
The DSN comes from PROXY_DSN, the password from PGPASSWORD (never the command line)."""
import io
import os
import threading

import psycopg2
import psycopg2.errors

dsn = os.environ["PROXY_DSN"]
conn = psycopg2.connect(dsn)
cur = conn.cursor()
cur.execute("CREATE TABLE py_t (id int PRIMARY KEY, v text)")
cur.executemany("INSERT INTO py_t VALUES (%s, %s)", [(i, "v%d" % i) for i in range(100)])
conn.commit()
cur.execute("SELECT count(*), sum(id) FROM py_t")
assert cur.fetchone() == (100, 4950)

out = io.StringIO()
cur.copy_expert("COPY py_t TO STDOUT", out)
assert out.getvalue().count("\n") == 100, out.getvalue()[:200]
cur.copy_expert("COPY py_t FROM STDIN", io.StringIO("1000\tx\n1001\ty\n"))
conn.commit()
cur.execute("SELECT count(*) FROM py_t")
assert cur.fetchone() == (102,)
conn.commit()

conn.autocommit = True
cur.execute("LISTEN cutover_chan")
cur.execute("NOTIFY cutover_chan, 'hello'")
conn.poll()
assert [n.payload for n in conn.notifies] == ["hello"], conn.notifies


def cancel_when_sleeping():
    watcher = psycopg2.connect(dsn)
    watcher.autocommit = True
    wcur = watcher.cursor()
    while True:  # polls until the sleep runs on the server (no fixed sleep)
        wcur.execute("SELECT count(*) FROM pg_stat_activity "
                     "WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
        if wcur.fetchone()[0] == 1:
            break
    conn.cancel()
    watcher.close()


canceller = threading.Thread(target=cancel_when_sleeping)
canceller.start()
try:
    cur.execute("SELECT pg_sleep(30)")
    raise SystemExit("the sleep was not cancelled")
except psycopg2.errors.QueryCanceled:
    pass
canceller.join()
cur.execute("SELECT 42")
assert cur.fetchone() == (42,)
conn.close()
print("ok")
