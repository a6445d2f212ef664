// Connection strings: which database a string names, its parts, and how to print it safely.
#include "core/connection_url.h"

#include <fmt/format.h>

#include <cctype>
#include <utility>

#include "core/error.h"

namespace cutover {
namespace {

constexpr const char* kFormsHint =
    "use postgres://user@host:port/db, a libpq keyword string (host=... dbname=...), "
    "mariadb://user@host:port/db, sqlite:path/to/file.db or sqlite::memory:";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string keyword_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw_bad_input(
          "malformed percent-encoding in the " + std::string(what) + " of a connection URL",
          "encode '%' as %25");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

int parse_port(std::string_view port, std::string_view text) {
  int value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) value = -1;
    if (value < 0) break;
    value = value * 10 + (c - '0');
  }
  if (port.empty() || value < 1 || value > 65535) {
    throw_bad_input("bad port '" + std::string(port) + "' in connection string " + redact(text),
                    "the port is a number from 1 to 65535");
  }
  return value;
}

bool is_password_key(std::string_view key) {
  return key == "password" || key == "sslpassword" || key == "pwd" || key == "pass";
}

// postgres://, mariadb://: [user[:password]@][host][:port][/database][?k=v&...]
ConnectionUrl parse_network_url(std::string_view text, Scheme scheme, size_t after_scheme) {
  ConnectionUrl url;
  url.scheme = scheme;
  url.text = std::string(text);
  std::string_view rest = text.substr(after_scheme);

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    url.database = percent_decode(rest.substr(slash + 1), "database name");
  }
  if (authority.find('@') != authority.rfind('@')) {
    throw_bad_input("the user name or password in " + redact(text) + " contains an unencoded '@'",
                    "percent-encode it: write '@' as %40 (better: keep the password out of the "
                    "URL, in PGPASSWORD, ~/.pgpass, MYSQL_PWD or --password-file)");
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      url.user = percent_decode(userinfo.substr(0, colon), "user name");
      url.password = percent_decode(userinfo.substr(colon + 1), "password");
    } else {
      url.user = percent_decode(userinfo, "user name");
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal: [::1]:5432
    auto close = authority.find(']');
    if (close == std::string_view::npos ||
        (close + 1 < authority.size() && authority[close + 1] != ':')) {
      throw_bad_input("malformed IPv6 host in connection string " + redact(text),
                      "write IPv6 hosts as [::1]:5432");
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!port.empty()) url.port = parse_port(port, text);
  url.host = percent_decode(host, "host");

  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      throw_bad_input(
          "option '" + std::string(pair) + "' has no value in connection URL " + redact(text),
          "write options as ?name=value&name2=value2");
    }
    std::string key = percent_decode(pair.substr(0, eq), "option name");
    std::string value = percent_decode(pair.substr(eq + 1), "option value");
    if (is_password_key(key)) url.password = value;
    url.options[key] = value;
  }
  return url;
}

// libpq keyword form: key=value pairs separated by spaces; values may be single-quoted.
ConnectionUrl parse_keyword_string(std::string_view text) {
  ConnectionUrl url;
  url.scheme = Scheme::kPostgres;
  url.keyword_form = true;
  url.text = std::string(text);
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size()) break;
    size_t key_start = i;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    std::string key(text.substr(key_start, i - key_start));
    skip_space();
    if (i >= text.size() || text[i] != '=') {
      throw_bad_input("keyword '" + key + "' has no value in connection string " + redact(text),
                      "write keywords as host=... port=... dbname=... user=...");
    }
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          value += text[i + 1];
          i += 2;
        } else if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        } else {
          value += text[i++];
        }
      }
      if (!closed) {
        throw_bad_input(
            "unterminated quoted value for '" + key + "' in connection string " + redact(text),
            "close the value with a single quote");
      }
    } else {
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i++];
      }
    }
    if (key == "host" || key == "hostaddr") {
      url.host = value;
    } else if (key == "port") {
      url.port = parse_port(value, text);
    } else if (key == "user") {
      url.user = value;
    } else if (key == "dbname") {
      url.database = value;
    } else if (is_password_key(key)) {
      url.password = value;
    }
    url.options[key] = value;
  }
  return url;
}

}  // namespace

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::kPostgres:
      return "postgres";
    case Scheme::kMariaDb:
      return "mariadb";
    case Scheme::kSqlite:
      return "sqlite";
  }
  return "unknown";
}

ConnectionUrl parse_connection_url(std::string_view text) {
  if (text.empty()) throw_bad_input("empty connection string", kFormsHint);
  if (starts_with(text, "postgres://")) return parse_network_url(text, Scheme::kPostgres, 11);
  if (starts_with(text, "postgresql://")) return parse_network_url(text, Scheme::kPostgres, 13);
  if (starts_with(text, "mariadb://")) return parse_network_url(text, Scheme::kMariaDb, 10);
  if (starts_with(text, "mysql://")) return parse_network_url(text, Scheme::kMariaDb, 8);
  if (starts_with(text, "sqlite:")) {
    ConnectionUrl url;
    url.scheme = Scheme::kSqlite;
    url.text = std::string(text);
    std::string_view path = text.substr(7);
    if (starts_with(path, "//")) path = path.substr(2);  // sqlite:///abs/path -> /abs/path
    if (auto q = path.find('?'); q != std::string_view::npos) {
      std::string_view query = path.substr(q + 1);
      path = path.substr(0, q);
      while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
          throw_bad_input("option '" + std::string(pair) + "' has no value in " + redact(text),
                          "write options as ?name=value");
        }
        url.options[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
      }
    }
    if (path.empty()) {
      throw_bad_input("no file named in SQLite URL '" + std::string(text) + "'",
                      "write sqlite:path/to/file.db or sqlite::memory:");
    }
    url.database = std::string(path);
    return url;
  }
  if (auto sep = text.find("://"); sep != std::string_view::npos) {
    throw_bad_input("unknown scheme '" + std::string(text.substr(0, sep)) +
                        "' in connection string " + redact(text),
                    kFormsHint);
  }
  if (text.find('=') != std::string_view::npos) return parse_keyword_string(text);
  throw_bad_input("'" + redact(text) + "' is not a connection string", kFormsHint);
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string compose_connection_url(const ConnectionUrl& url, bool keep_password) {
  if (url.scheme == Scheme::kSqlite) return "sqlite:" + url.database;
  if (url.keyword_form) {
    std::string out;
    for (const auto& [key, value] : url.options) {
      if (key == "dbname" || (!keep_password && is_password_key(key))) continue;
      if (!out.empty()) out += ' ';
      out += key + "=" + keyword_quote(value);
    }
    if (!out.empty()) out += ' ';
    return out + "dbname=" + keyword_quote(url.database);
  }
  std::string out = url.scheme == Scheme::kMariaDb ? "mariadb://" : "postgres://";
  if (!url.user.empty() || (keep_password && url.password)) {
    out += percent_encode(url.user);
    if (keep_password && url.password) out += ":" + percent_encode(*url.password);
    out += "@";
  }
  if (url.host.find(':') != std::string::npos) {
    out += "[" + url.host + "]";  // IPv6 literal
  } else {
    out += percent_encode(url.host);
  }
  if (url.port) out += ":" + std::to_string(*url.port);
  out += "/" + percent_encode(url.database);
  char separator = '?';
  for (const auto& [key, value] : url.options) {
    if (!keep_password && is_password_key(key)) continue;
    out += separator + percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  return out;
}

std::string ConnectionUrl::redacted() const { return redact(text); }

namespace {

bool is_boundary(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '?' || c == '&' || c == ';';
}

bool is_value_end(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '&' || c == ';';
}

// Hides user:PASSWORD@ in every scheme://authority of `s`: the password runs from the first ':'
// of the user-info to its last '@', so an unencoded '@' inside it is hidden too.
void redact_user_info(std::string& s) {
  for (size_t scheme = s.find("://"); scheme != std::string::npos;
       scheme = s.find("://", scheme + 3)) {
    size_t begin = scheme + 3;
    size_t end = begin;
    while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && s[end] != '"' &&
           s[end] != '\'' && !std::isspace(static_cast<unsigned char>(s[end]))) {
      ++end;
    }
    size_t at = s.rfind('@', end == 0 ? 0 : end - 1);
    if (at == std::string::npos || at < begin) continue;
    size_t colon = s.find(':', begin);
    if (colon == std::string::npos || colon > at) continue;
    s.replace(colon + 1, at - colon - 1, "***");
  }
}

// Hides the value of password=, sslpassword=, pwd= and pass= (any case, quoted or not, with
// backslash escapes) in query strings and libpq keyword strings.
void redact_keywords(std::string& s) {
  static constexpr std::string_view kKeys[] = {"sslpassword", "password", "pwd", "pass"};
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && !is_boundary(s[i - 1])) continue;
    for (std::string_view key : kKeys) {
      if (s.size() - i < key.size()) continue;
      bool match = true;
      for (size_t k = 0; k < key.size() && match; ++k) {
        match = std::tolower(static_cast<unsigned char>(s[i + k])) == key[k];
      }
      if (!match) continue;
      size_t j = i + key.size();
      while (j < s.size() && s[j] == ' ') ++j;
      if (j >= s.size() || s[j] != '=') continue;
      ++j;
      while (j < s.size() && s[j] == ' ') ++j;
      size_t value = j;
      if (j < s.size() && s[j] == '\'') {
        for (++j; j < s.size() && s[j] != '\''; ++j) {
          if (s[j] == '\\') ++j;
        }
        j = std::min(j + 1, s.size());
      } else {
        for (; j < s.size() && !is_value_end(s[j]); ++j) {
          if (s[j] == '\\') ++j;
        }
        j = std::min(j, s.size());
      }
      s.replace(value, j - value, "***");
      i = value + 2;
      break;
    }
  }
}

}  // namespace

std::string redact(std::string_view text) {
  std::string s(text);
  redact_user_info(s);
  redact_keywords(s);
  return s;
}

}  // namespace cutover
