// Opening a libmariadb session from a connection URL: options, password sources, TLS, and
// connection failures explained.
#include "db/mariadb/mariadb_session.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "core/error.h"
#include "db/mariadb/mariadb_error.h"
#include "db/password_source.h"

namespace cutover::db::mariadb {
namespace {

constexpr const char* kOptionsHint =
    "MariaDB URL options: socket, ssl-mode (disabled, preferred, required, verify-ca, "
    "verify-identity), ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl, "
    "connect-timeout, init-command (percent-encoded SQL run on each connection)";

[[noreturn]] void throw_config_error(std::string message, std::string hint) {
  throw Error(ErrorCode::kBadInput, std::move(message), std::move(hint))
      .with_db_failure(DbFailure::kConnect);
}

// "ssl_mode" and "ssl-mode" name the same option.
std::string option_key(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

TlsMode parse_tls_mode(std::string value, const std::string& redacted_url) {
  value = option_key(std::move(value));
  static const std::map<std::string, TlsMode> kModes = {
      {"disabled", TlsMode::kDisabled},
      {"preferred", TlsMode::kPreferred},
      {"required", TlsMode::kRequired},
      {"verify-ca", TlsMode::kVerifyCa},
      {"verify-identity", TlsMode::kVerifyIdentity}};
  auto found = kModes.find(value);
  if (found == kModes.end()) {
    throw_config_error("unknown ssl-mode '" + value + "' in " + redacted_url, kOptionsHint);
  }
  return found->second;
}

unsigned parse_seconds(const std::string& value, const std::string& redacted_url) {
  char* end = nullptr;
  unsigned long seconds = std::strtoul(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || seconds == 0 || seconds > 3600) {
    throw_config_error("bad connect-timeout '" + value + "' in " + redacted_url,
                       "give whole seconds from 1 to 3600");
  }
  return static_cast<unsigned>(seconds);
}

void apply_url_option(SessionConfig& config, const std::string& key, const std::string& value) {
  const std::string name = option_key(key);
  if (name == "password" || name == "pwd" || name == "pass") return;  // taken by the URL parser
  if (name == "socket") {
    config.socket = value;
  } else if (name == "ssl-mode" || name == "sslmode") {
    config.tls = parse_tls_mode(value, config.redacted_url);
  } else if (name == "ssl-ca") {
    config.tls_ca = value;
  } else if (name == "ssl-capath") {
    config.tls_ca_path = value;
  } else if (name == "ssl-cert") {
    config.tls_cert = value;
  } else if (name == "ssl-key") {
    config.tls_key = value;
  } else if (name == "ssl-cipher") {
    config.tls_cipher = value;
  } else if (name == "ssl-crl") {
    config.tls_crl = value;
  } else if (name == "init-command") {
    config.init_command = value;
  } else if (name == "connect-timeout") {
    config.connect_timeout_seconds = parse_seconds(value, config.redacted_url);
  } else {
    throw_config_error("unknown option '" + key + "' in " + config.redacted_url, kOptionsHint);
  }
}

void set_option(MYSQL* mysql, mysql_option option, const void* value) {
  // mysql_optionsv only fails for an unknown option, which is a programming error here.
  mysql_optionsv(mysql, option, value);
}

void set_string_option(MYSQL* mysql, mysql_option option, const std::string& value) {
  if (!value.empty()) set_option(mysql, option, value.c_str());
}

// libmariadb 3.3 speaks TLS only when asked: "preferred" therefore means plain unless a
// certificate option is given.
void apply_tls(MYSQL* mysql, const SessionConfig& config) {
  set_string_option(mysql, MYSQL_OPT_SSL_CA, config.tls_ca);
  set_string_option(mysql, MYSQL_OPT_SSL_CAPATH, config.tls_ca_path);
  set_string_option(mysql, MYSQL_OPT_SSL_CERT, config.tls_cert);
  set_string_option(mysql, MYSQL_OPT_SSL_KEY, config.tls_key);
  set_string_option(mysql, MYSQL_OPT_SSL_CIPHER, config.tls_cipher);
  set_string_option(mysql, MYSQL_OPT_SSL_CRL, config.tls_crl);
  const my_bool enforce = config.tls >= TlsMode::kRequired;
  const my_bool verify = config.tls >= TlsMode::kVerifyCa;
  if (enforce) set_option(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
  if (verify) set_option(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
}

void apply_options(MYSQL* mysql, const SessionConfig& config) {
  set_option(mysql, MYSQL_READ_DEFAULT_GROUP, "cutover");
  set_option(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  set_option(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &config.connect_timeout_seconds);
  const unsigned local_infile = 0;
  set_option(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  // No read/write timeouts: migrations and copies run statements for a long time.
  if (!config.application_name.empty()) {
    mysql_optionsv(mysql, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
                   config.application_name.c_str());
  }
  set_string_option(mysql, MYSQL_INIT_COMMAND, config.init_command);
  apply_tls(mysql, config);
}

std::string where_listening(const SessionConfig& config) {
  if (!config.socket.empty()) return "socket " + config.socket;
  if (config.host.empty() || config.host == "localhost") {
    return "the local socket (use host 127.0.0.1 for TCP)";
  }
  return config.host + ":" + std::to_string(config.port != 0 ? config.port : 3306);
}

struct Explanation {
  std::string reason;
  std::string hint;
};

Explanation explain_connect_failure(const ServerError& error, const SessionConfig& config) {
  const std::string user = config.user.empty() ? "the default user" : "'" + config.user + "'";
  switch (error.number) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return {"authentication failed: access denied for " + user,
              "check the user and the password (--password-file: one password, or a line "
              "host:port:database:user:password for this server; MYSQL_PWD; option files such "
              "as ~/.my.cnf [client] password=; or the URL)"};
    case ER_DBACCESS_DENIED_ERROR:
      return {user + " may not use database '" + config.database + "'",
              "grant the user privileges on the database, or connect to another one"};
    case ER_BAD_DB_ERROR:
      return {"database '" + config.database + "' does not exist",
              "create it (CREATE DATABASE) or fix the database name in the URL"};
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
      return {"cannot reach the server",
              "is the server running and listening on " + where_listening(config) + "?"};
    case CR_UNKNOWN_HOST:
      return {"unknown host '" + config.host + "'", "check the host name in the URL"};
    case ER_HOST_NOT_PRIVILEGED:
    case ER_HOST_IS_BLOCKED:
      return {"the server refuses connections from this client host",
              "create the user for this host (user@'host'), or FLUSH HOSTS if it was blocked"};
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
      return {"the server has too many connections",
              "wait, or raise max_connections / max_user_connections"};
    case CR_SSL_CONNECTION_ERROR:
      return {"the TLS handshake failed",
              "check ssl-mode, ssl-ca and the server's TLS certificates"};
    default:
      return {"the server refused the connection", ""};
  }
}

[[noreturn]] void throw_connect_error(const ServerError& error, const SessionConfig& config) {
  Explanation why = explain_connect_failure(error, config);
  throw Error(
      ErrorCode::kBadInput,
      "cannot connect to " + config.redacted_url + ": " + why.reason + " (" + error.message + ")",
      why.hint)
      .with_sqlstate(error.sqlstate)
      .with_vendor_code(static_cast<int>(error.number))
      .with_db_failure(DbFailure::kConnect);
}

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// libmariadb 3.3 goes on in plain text when the server offers no TLS, even with
// MYSQL_OPT_SSL_ENFORCE set, so ssl-mode=required is checked here. A local socket needs none.
void require_tls_if_asked(MYSQL* mysql, const SessionConfig& config) {
  if (config.tls < TlsMode::kRequired || mysql_get_ssl_cipher(mysql) != nullptr) return;
  unsigned int transport = 0;
  mariadb_get_infov(mysql, MARIADB_CONNECTION_PVIO_TYPE, &transport);
  if (transport == 0) return;  // PVIO_TYPE_UNIXSOCKET
  throw Error(ErrorCode::kBadInput,
              "cannot connect to " + config.redacted_url +
                  ": ssl-mode asks for TLS but the server does not offer it",
              "enable TLS on the server (ssl_cert, ssl_key), or use ssl-mode=preferred")
      .with_vendor_code(CR_SSL_CONNECTION_ERROR)
      .with_db_failure(DbFailure::kConnect);
}

}  // namespace

SessionConfig make_session_config(const ConnectionUrl& url, const ConnectOptions& options) {
  SessionConfig config;
  config.redacted_url = url.redacted();
  config.host = url.host;
  config.port = url.port ? static_cast<unsigned>(*url.port) : 0;
  config.user = url.user;
  config.database = url.database;
  config.connect_timeout_seconds = static_cast<unsigned>(options.connect_timeout.count());
  config.application_name = options.application_name;
  for (const auto& [key, value] : url.options) apply_url_option(config, key, value);
  config.password = mariadb_password(url, options);
  return config;
}

MysqlHandle open_session(const SessionConfig& config) {
  // mysql_init() initialises the library on first use, which is not thread-safe.
  static std::once_flag library_ready;
  std::call_once(library_ready, [] { mysql_library_init(0, nullptr, nullptr); });

  MysqlHandle mysql(mysql_init(nullptr));
  if (!mysql) throw Error(ErrorCode::kOperationFailed, "libmariadb is out of memory");
  apply_options(mysql.get(), config);
  const char* password = config.password ? config.password->c_str() : nullptr;
  if (mysql_real_connect(mysql.get(), or_null(config.host), or_null(config.user), password,
                         or_null(config.database), config.port, or_null(config.socket),
                         0) == nullptr) {
    throw_connect_error(last_error(mysql.get()), config);
  }
  require_tls_if_asked(mysql.get(), config);
  return mysql;
}

}  // namespace cutover::db::mariadb
