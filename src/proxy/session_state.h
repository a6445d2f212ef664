// What a client session has set up on its server that a new server must be given when the proxy
// switches the session: settings made with SET, prepared statements (SQL PREPARE and the
// protocol's named Parse), LISTEN channels.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::proxy {

class SessionState {
 public:
  // Records what the statements of a simple Query or of a Parse's text set up or undo. The text
  // is parsed with libpg_query only when it holds one of the keywords concerned; text that does
  // not parse records nothing (the server refuses it too).
  void track_sql(std::string_view sql);
  // A Parse of a named statement: its query and its whole message; Close of a statement ('S')
  // forgets it.
  void track_parse(const std::string& name, std::string_view query, std::string_view message);
  void track_close_statement(const std::string& name);

  // The statements that rebuild the state on a new server, in order: settings, SQL prepared
  // statements, LISTENs. Each is sent as its own Query.
  std::vector<std::string> replay_statements() const;
  // The Parse messages of the named protocol-level statements, to send before a Sync.
  std::vector<std::string> replay_parses() const;
  bool empty() const;

  // The named prepared statements (SQL PREPARE and protocol Parse share one namespace) with the
  // SQL that made them, for the read-only guard; forget_statement() drops one.
  std::vector<std::pair<std::string, std::string>> prepared_statements() const;
  void forget_statement(const std::string& name);

 private:
  std::map<std::string, std::string> settings_;  // lower-case name -> the SET statement
  std::map<std::string, std::string> prepared_;  // SQL PREPARE name -> the statement
  std::set<std::string> channels_;
  struct ParsedStatement {
    std::string query;
    std::string message;  // the Parse message's bytes
  };
  std::map<std::string, ParsedStatement> parses_;  // by statement name
};

}  // namespace cutover::proxy
