// Opening a libmariadb session from a connection URL: options, password sources, TLS, and
// connection failures explained.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>

#include "core/connection_url.h"
#include "db/registry.h"

namespace cutover::db::mariadb {

struct MysqlCloser {
  void operator()(MYSQL* mysql) const { mysql_close(mysql); }
};
using MysqlHandle = std::unique_ptr<MYSQL, MysqlCloser>;

enum class TlsMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyIdentity };

// Everything needed to open the same session again (the canceller opens a second one).
struct SessionConfig {
  std::string redacted_url;
  std::string host;      // empty: libmariadb's default (option files, else the local socket)
  unsigned port = 0;     // 0: the default (option files, else 3306)
  std::string socket;    // ?socket=/path
  std::string user;      // empty: option files, else the login name
  std::string database;  // empty: none selected
  std::optional<std::string> password;  // nullopt: left to the option files
  unsigned connect_timeout_seconds = 10;
  // Run by the server on each connection (and again on a reconnect), as the client option of
  // that name: e.g. the new version's SET @cutover_version = '<change>' (cutover change).
  std::string init_command;
  TlsMode tls = TlsMode::kDisabled;
  std::string tls_ca, tls_ca_path, tls_cert, tls_key, tls_cipher, tls_crl;
  std::string application_name;
};

// Reads the URL's parts and options (socket, ssl-mode, ssl-ca, ssl-capath, ssl-cert, ssl-key,
// ssl-cipher, ssl-crl, connect-timeout; '-' or '_' alike) and finds the password. Throws
// Error(kBadInput, DbFailure::kConnect) for an unknown option or an unreadable password file.
SessionConfig make_session_config(const ConnectionUrl& url, const ConnectOptions& options);

// Connects with utf8mb4, one statement per call (no CLIENT_MULTI_STATEMENTS) and no automatic
// reconnect. Throws Error(kBadInput, DbFailure::kConnect) with the MariaDB error number, the
// SQLSTATE, the redacted URL, the reason in plain words and what to check.
MysqlHandle open_session(const SessionConfig& config);

}  // namespace cutover::db::mariadb
