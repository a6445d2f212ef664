// A small workload through cutover proxy with the PostgreSQL JDBC driver (extended protocol,
// server-side prepared statements after the driver's threshold, a batch, a cancel), every result
// checked. Prints "ok" when all held. URL and user from the environment, password PGPASSWORD.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class JdbcClient {
  static void check(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }

  public static void main(String[] args) throws Exception {
    String url = System.getenv("PROXY_JDBC_URL");
    Properties props = new Properties();
    props.setProperty("user", System.getenv("PROXY_USER"));
    props.setProperty("password", System.getenv("PGPASSWORD"));
    try (Connection c = DriverManager.getConnection(url, props)) {
      Statement s = c.createStatement();
      s.execute("CREATE TABLE j_t (id int PRIMARY KEY, v text)");
      // The driver switches to a named server-side statement after 5 executions.
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO j_t VALUES (?, ?)")) {
        for (int i = 0; i < 50; i++) {
          insert.setInt(1, i);
          insert.setString(2, "v" + i);
          check(insert.executeUpdate() == 1, "insert " + i);
        }
        for (int i = 50; i < 100; i++) {
          insert.setInt(1, i);
          insert.setString(2, "v" + i);
          insert.addBatch();
        }
        insert.executeBatch();
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*), sum(id) FROM j_t")) {
        check(rs.next() && rs.getLong(1) == 100 && rs.getLong(2) == 4950, "count and sum");
      }

      Statement sleeper = c.createStatement();
      Thread canceller = new Thread(() -> {
        try (Connection w = DriverManager.getConnection(url, props);
             Statement ws = w.createStatement()) {
          while (true) {  // polls until the sleep runs on the server (no fixed sleep)
            try (ResultSet rs = ws.executeQuery("SELECT count(*) FROM pg_stat_activity "
                     + "WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")) {
              rs.next();
              if (rs.getLong(1) == 1) break;
            }
          }
          sleeper.cancel();
        } catch (SQLException e) {
          throw new RuntimeException(e);
        }
      });
      canceller.start();
      try {
        sleeper.execute("SELECT pg_sleep(30)");
        throw new AssertionError("the sleep was not cancelled");
      } catch (SQLException e) {
        check("57014".equals(e.getSQLState()), "cancelled: " + e.getSQLState());
      }
      canceller.join();
      try (ResultSet rs = s.executeQuery("SELECT 42")) {
        check(rs.next() && rs.getInt(1) == 42, "after the cancel");
      }
    }
    System.out.println("ok");
  }
}
