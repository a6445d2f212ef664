// A connection whose session can be opened again in place after it was lost, with the
// settings it had, so that everyone who borrowed it goes on with the new session.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace cutover::db {

class ReopenableConnection final : public Connection {
 public:
  // Opens a session with everything it needs set (a URL, session variables); called for the
  // first session and again by reopen().
  using Open = std::function<std::unique_ptr<Connection>()>;

  // Opens the first session. Throws as `open` does.
  explicit ReopenableConnection(Open open);

  // Drops the session (whatever it held is the server's to roll back) and opens a new one
  // with `open`, with the timeouts last set. Throws as `open` does, keeping the old session
  // (unusable if it was lost). Not within a transaction of this connection's caller: one
  // that was open is gone with the session.
  void reopen();

  const ServerInfo& server() const override { return session_->server(); }
  const std::string& redacted_url() const override { return session_->redacted_url(); }
  Result query(std::string_view sql, const Params& params = {}) override {
    return session_->query(sql, params);
  }
  std::vector<std::string> query_stream(std::string_view sql, const Params& params,
                                        const std::function<bool(const Row&)>& on_row) override {
    return session_->query_stream(sql, params, on_row);
  }
  void begin() override { session_->begin(); }
  void commit() override { session_->commit(); }
  void rollback() override { session_->rollback(); }
  bool in_transaction() const override { return session_->in_transaction(); }
  void set_timeouts(const Timeouts& timeouts) override;
  // Cancels the statement of whichever session is open when cancel() is called.
  std::shared_ptr<Canceller> canceller() override;
  Catalog introspect(std::string_view schema = {}) override { return session_->introspect(schema); }
  bool can_create_tables() override { return session_->can_create_tables(); }
  std::unique_ptr<BulkLoader> bulk_load(std::string_view table,
                                        const std::vector<std::string>& columns) override {
    return session_->bulk_load(table, columns);
  }
  CopyChannel* copy() override { return session_->copy(); }
  std::string quote_identifier(std::string_view name) const override {
    return session_->quote_identifier(name);
  }

 private:
  class SessionCanceller;

  Open open_;
  std::unique_ptr<Connection> session_;
  std::optional<Timeouts> timeouts_;
  std::shared_ptr<SessionCanceller> canceller_;  // made on first use
};

}  // namespace cutover::db
