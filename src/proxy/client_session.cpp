// One client's session through the proxy (session mode).
#include "proxy/client_session.h"

#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <set>

#include "proxy/auth_crypto.h"
#include "proxy/client_auth.h"
#include "proxy/pgpass.h"
#include "proxy/read_only_guard.h"
#include "proxy/sql_words.h"
#include "proxy/wire_encoder.h"
#include "proxy/wire_parser.h"

namespace cutover::proxy {
namespace {

using asio::awaitable;
using asio::use_awaitable;

// PostgreSQL's authentication_timeout default.
constexpr std::chrono::seconds kLoginTimeout{60};

// `text` as a PL/pgSQL string literal inside the $cutover$ dollar quotes.
std::string plpgsql_literal(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '$') continue;  // keeps the dollar quoting intact
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

// A statement that fails on the server with SQLSTATE 25006 and `message`: what a refused
// statement is replaced with, so that the error arrives in its place among the answers and
// the server, not the proxy, keeps the transaction's state.
std::string failing_statement(const std::string& message) {
  return "DO $cutover$ BEGIN RAISE EXCEPTION USING ERRCODE = '25006', MESSAGE = " +
         plpgsql_literal(message) +
         ", DETAIL = 'cutover proxy holds this session read-only.'; END $cutover$";
}

// The portal an Execute refused by the proxy is replaced with: none of that name exists, so the
// server answers it with 34000 in its place (and skips the rest of the batch up to Sync).
constexpr const char* kRefusedPortal = "cutover proxy: refused Execute";

// Whether an ErrorResponse is the server's answer to the Execute of kRefusedPortal.
bool is_refused_execute(const WireMessage& error) {
  auto fields = parse_error_fields(error.payload);
  return fields && fields->sqlstate() == "34000" &&
         fields->message().find(kRefusedPortal) != std::string_view::npos;
}

// What the client is told about a refused statement.
std::string refusal(const GuardVerdict& verdict) {
  if (verdict.outcome == GuardOutcome::kSyntaxError) {
    return "the proxy cannot parse the statement, so it cannot tell whether it would lift "
           "read-only mode: " +
           verdict.reason;
  }
  return "cannot execute " + verdict.reason + " in a read-only transaction";
}

// A TCP connection to `to`; `ec` says why not.
awaitable<asio::ip::tcp::socket> connect_tcp(const Endpoint& to, asio::error_code& ec) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(to.host, std::to_string(to.port),
                                                   asio::redirect_error(use_awaitable, ec));
  asio::ip::tcp::socket socket(executor);
  if (!ec) co_await asio::async_connect(socket, endpoints, asio::redirect_error(use_awaitable, ec));
  co_return socket;
}

std::string peer_of(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

ClientSession::ClientSession(asio::ip::tcp::socket socket, ProxyContext& context)
    : context_(context),
      client_(std::move(socket), context.client_tls),
      client_decoder_(std::min(context.config.max_message_bytes, kMaxLoginMessageLength)),
      hold_timer_(client_.socket().get_executor()),
      answer_timer_(client_.socket().get_executor()) {
  peer_ = peer_of(client_.socket());
  ++context_.state.counters().clients_accepted;
  ++context_.state.counters().clients_active;
}

ClientSession::~ClientSession() {
  --context_.state.counters().clients_active;
  if (process_id_ != 0) context_.sessions.erase(process_id_);
}

awaitable<void> ClientSession::run() {
  auto self = shared_from_this();
  using namespace asio::experimental::awaitable_operators;
  // A client that does not finish its login in time loses its slot, as with PostgreSQL's
  // authentication_timeout.
  asio::steady_timer login_deadline(client_.socket().get_executor(), kLoginTimeout);
  auto login = co_await (log_in() || login_deadline.async_wait(use_awaitable));
  if (login.index() == 1) {
    context_.log("session_closed",
                 peer_ + ": no login within " + std::to_string(kLoginTimeout.count()) + " s");
    close_both();
    co_return;
  }
  if (!std::get<0>(login)) co_return;
  co_await (relay_client_to_server() || relay_server_to_client());
  close_both();
}

// One co_await per statement, here and below: GCC 12 miscompiled `co_return co_await a() &&
// co_await b()` into a trap.
awaitable<bool> ClientSession::log_in() {
  bool ok = co_await read_startup();
  // Checked once the startup packet is read, so that the client (past any SSLRequest) can
  // read the error.
  if (ok && context_.state.counters().clients_active > context_.config.max_clients) {
    co_await close_with_reason(
        "too many clients (max_clients " + std::to_string(context_.config.max_clients) + ")",
        "53300");
    ok = false;
  }
  if (ok) ok = co_await authenticate_client();
  if (ok) ok = co_await open_first_backend();
  co_return ok;
}

void ClientSession::close_both() {
  client_.close();
  if (server_.stream) server_.stream->close();
  discard_prepared();
}

void ClientSession::discard_prepared() {
  if (prepared_ && prepared_->link.stream) prepared_->link.stream->close();
  prepared_.reset();
}

awaitable<std::string> ClientSession::prepare_backend(Backend to) {
  auto self = shared_from_this();
  if (!logged_in_ || closed_) co_return "";
  discard_prepared();
  PreparedLink prepared{to.name, {}, {}};
  std::string error = co_await connect_backend(to, prepared.link, prepared.parameters);
  if (!error.empty() || closed_) {
    if (prepared.link.stream) prepared.link.stream->close();
    co_return error;
  }
  prepared_ = std::move(prepared);
  co_return "";
}

awaitable<std::optional<ClientSession::Message>> ClientSession::read_client_message() {
  for (;;) {
    DecodeResult result = client_decoder_.next();
    if (result.status == DecodeStatus::kMessage) {
      co_return Message{result.message.type, result.message.startup,
                        std::string(result.message.payload), std::string(result.message.bytes)};
    }
    if (result.status == DecodeStatus::kMalformed) {
      co_await close_with_reason(
          "malformed message from the client before its login: " + result.error, "08P01");
      co_return std::nullopt;
    }
    std::string bytes;
    if (co_await client_.read_some(bytes)) {
      co_await close_with_reason("", "");
      co_return std::nullopt;
    }
    context_.state.counters().bytes_from_clients += bytes.size();
    client_decoder_.append(bytes);
  }
}

awaitable<std::optional<ClientSession::Message>> ClientSession::read_message(BackendLink& link,
                                                                             std::string& error) {
  for (;;) {
    DecodeResult result = link.decoder->next();
    if (result.status == DecodeStatus::kMessage) {
      co_return Message{result.message.type, StartupPacket::kNone,
                        std::string(result.message.payload), std::string(result.message.bytes)};
    }
    if (result.status == DecodeStatus::kMalformed) {
      error = "malformed message from the server: " + result.error;
      co_return std::nullopt;
    }
    std::string bytes;
    if (co_await link.stream->read_some(bytes)) {
      error = "the backend closed the connection";
      co_return std::nullopt;
    }
    link.decoder->append(bytes);
  }
}

awaitable<bool> ClientSession::read_startup() {
  for (;;) {
    auto message = co_await read_client_message();
    if (!message) co_return false;
    switch (message->startup) {
      case StartupPacket::kSslRequest: {
        if (client_decoder_.buffered() > 0) {  // sent in the clear before TLS: CVE-2021-23214
          co_await close_with_reason("bytes after the SSLRequest before the TLS handshake",
                                     "08P01");
          co_return false;
        }
        if (!context_.client_tls_enabled) {
          if (co_await client_.write("N")) co_return false;
          continue;
        }
        if (co_await client_.write("S")) co_return false;
        if (auto ec = co_await client_.handshake(asio::ssl::stream_base::server)) {
          co_await close_with_reason("TLS handshake failed: " + ec.message(), "");
          co_return false;
        }
        continue;
      }
      case StartupPacket::kGssEncRequest:
        if (co_await client_.write("N")) co_return false;  // GSSAPI encryption not offered
        continue;
      case StartupPacket::kCancelRequest: {
        auto cancel = parse_cancel_request(message->payload);
        if (cancel) {
          auto it = context_.sessions.find(cancel->process_id);
          auto target = it == context_.sessions.end() ? nullptr : it->second.lock();
          if (target && equal_in_constant_time(target->secret_key_, cancel->secret_key)) {
            co_await target->cancel_backend_query();
          }
        }
        closed_ = true;  // a cancel connection gets no answer, as from PostgreSQL
        client_.close();
        co_return false;
      }
      case StartupPacket::kStartupMessage: {
        auto startup = parse_startup_message(message->payload);
        if (!startup) {
          co_await close_with_reason("malformed startup message", "08P01");
          co_return false;
        }
        startup_ = std::move(*startup);
        // The proxy authenticates the first "user" it reads; PostgreSQL would log in the last.
        // A parameter given twice is refused, so that both read the same packet.
        std::set<std::string> seen;
        for (const auto& [key, value] : startup_.parameters) {
          if (!seen.insert(key).second) {
            co_await close_with_reason("startup parameter \"" + key + "\" given twice", "08P01");
            co_return false;
          }
        }
        if (!startup_.parameter("user") || startup_.parameter("user")->empty()) {
          co_await close_with_reason("no PostgreSQL user name specified in startup packet",
                                     "28000");
          co_return false;
        }
        co_return true;
      }
      case StartupPacket::kNone:
        co_await close_with_reason("expected a startup packet", "08P01");
        co_return false;
    }
  }
}

awaitable<bool> ClientSession::authenticate_client() {
  std::string user(*startup_.parameter("user"));
  auto found = context_.users.find(user);
  ClientAuthentication auth(
      user, found == context_.users.end() ? std::nullopt : std::optional(found->second));
  std::string out;
  auth.first_request(out);
  for (;;) {
    if (co_await client_.write(out)) co_return false;
    out.clear();
    auto message = co_await read_client_message();
    if (!message) co_return false;
    if (message->type != frontend_type::kPassword) {
      co_await close_with_reason("expected an authentication response", "08P01");
      co_return false;
    }
    auto step = auth.respond(message->payload, out);
    if (step == ClientAuthentication::Step::kFailed) {
      ++context_.state.counters().clients_refused;
      context_.log("auth_failed", peer_ + ": user \"" + user + "\": " + auth.failure());
      co_await close_with_reason("password authentication failed for user \"" + user + "\"",
                                 "28P01");
      co_return false;
    }
    if (step == ClientAuthentication::Step::kDone) {
      if (co_await client_.write(out)) co_return false;
      co_return true;
    }
  }
}

awaitable<bool> ClientSession::open_first_backend() {
  backend_ = *context_.config.backend(context_.state.active_backend());
  std::string to_client;
  std::string error = co_await connect_backend(backend_, server_, to_client);
  if (!error.empty()) {
    if (!to_client.empty()) co_await client_.write(to_client);  // the server's own error
    co_await close_with_reason(error, to_client.empty() ? "08006" : "");
    co_return false;
  }
  auto secret = random_bytes(4);
  process_id_ = context_.next_process_id++;
  secret_key_ = secret.value_or(std::string(4, '\0'));
  context_.sessions[process_id_] = weak_from_this();
  append_backend_key_data(to_client, BackendKeyData{process_id_, secret_key_});
  append_ready_for_query(to_client, transaction_);
  logged_in_ = true;
  client_decoder_.set_max_message_length(context_.config.max_message_bytes);
  // A switch that began while this session logged in did not see it: it moves itself.
  if (backend_.name != context_.state.active_backend()) {
    const Backend* now = context_.config.backend(context_.state.active_backend());
    std::string moved =
        now == nullptr ? "the active backend is gone" : co_await switch_backend(*now);
    if (!moved.empty()) {
      co_await close_with_reason("a switch happened during the login: " + moved, "08006");
      co_return false;
    }
  }
  co_return !co_await client_.write(to_client);
}

awaitable<std::string> ClientSession::connect_backend(const Backend& backend, BackendLink& link,
                                                      std::string& to_client) {
  asio::error_code ec;
  asio::ip::tcp::socket socket = co_await connect_tcp(backend.address, ec);
  if (ec) {
    co_return "cannot reach backend " + backend.name + " at " + backend.address.to_string() + ": " +
        ec.message();
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  link.stream = std::make_shared<ProxyStream>(std::move(socket), context_.backend_tls);
  link.decoder = std::make_unique<ServerDecoder>(context_.config.max_message_bytes);
  if (backend.tls) {
    std::string request;
    append_ssl_request(request);
    std::string answer;
    // One co_await per statement: GCC 12 miscompiles co_await inside || and &&.
    asio::error_code failed = co_await link.stream->write(request);
    if (!failed) failed = co_await link.stream->read_some(answer);
    if (failed || answer != "S") co_return "backend " + backend.name + " does not offer TLS";
    if (auto tls_ec = co_await link.stream->handshake(asio::ssl::stream_base::client)) {
      co_return "TLS to backend " + backend.name + ": " + tls_ec.message();
    }
  }

  std::string user(*startup_.parameter("user"));
  std::string database(startup_.parameter("database").value_or(user));
  std::string out;
  append_startup_message(out, startup_);
  if (co_await link.stream->write(out))
    co_return "backend " + backend.name + " closed the connection";
  std::optional<BackendAuthentication> auth;
  for (;;) {
    std::string error;
    auto message = co_await read_message(link, error);
    if (!message) co_return error;
    switch (message->type) {
      case backend_type::kAuthentication: {
        auto request = parse_authentication(message->payload);
        if (!request) co_return "malformed authentication request from backend " + backend.name;
        if (request->kind == AuthKind::kOk) break;
        if (!auth) {
          std::optional<std::string> password;
          if (!context_.config.backend_passfile.empty()) {
            password = find_pgpass_password(context_.config.backend_passfile, backend.address.host,
                                            backend.address.port, database, user);
          }
          if (!password) {
            co_return "the proxy has no password for user \"" + user + "\" on backend " +
                backend.name + ": add it to the backend_passfile";
          }
          auth.emplace(user, std::move(*password));
        }
        out.clear();
        std::string problem = auth->respond(*request, out);
        if (!problem.empty()) co_return "logging in to backend " + backend.name + ": " + problem;
        if (!out.empty() && co_await link.stream->write(out)) {
          co_return "backend " + backend.name + " closed the connection";
        }
        break;
      }
      case backend_type::kErrorResponse: {
        auto fields = parse_error_fields(message->payload);
        to_client += message->bytes;  // the client learns exactly why
        co_return "backend " + backend.name +
            " refused the login: " + std::string(fields ? fields->message() : "(unreadable error)");
      }
      case backend_type::kBackendKeyData: {
        auto key = parse_backend_key_data(message->payload);
        if (key) link.key = *key;
        break;
      }
      case backend_type::kReadyForQuery:
        co_return "";
      default: {  // ParameterStatus, notices, NegotiateProtocolVersion: passed on
        if (message->type == backend_type::kParameterStatus) {
          auto status = parse_parameter_status(message->payload);
          if (status && status->name == "default_transaction_read_only" && !logged_in_) {
            read_only_before_ = status->value;
          }
        }
        to_client += message->bytes;
      }
    }
  }
}

awaitable<std::string> ClientSession::replay_state(BackendLink& link) {
  // Each statement on its own, so that one the old server had refused too (a SET of a bad
  // value, recorded all the same) does not stop the others.
  std::vector<std::string> batches;
  for (const auto& statement : session_state_.replay_statements()) {
    std::string out;
    append_query(out, statement);
    batches.push_back(std::move(out));
  }
  auto parses = session_state_.replay_parses();
  if (!parses.empty()) {
    std::string out;
    for (const auto& parse : parses) out += parse;
    append_sync(out);
    batches.push_back(std::move(out));
  }
  for (const auto& batch : batches) {
    if (co_await link.stream->write(batch)) co_return "the new backend closed the connection";
    for (;;) {
      std::string error;
      auto message = co_await read_message(link, error);
      if (!message) co_return error;
      if (message->type == backend_type::kErrorResponse) {
        auto fields = parse_error_fields(message->payload);
        context_.log("switch_replay", peer_ + ": replaying the session's state: " +
                                          std::string(fields ? fields->message() : "error"));
      }
      if (message->type == backend_type::kReadyForQuery) break;
    }
  }
  co_return "";
}

awaitable<std::string> ClientSession::switch_backend(Backend to) {
  auto self = shared_from_this();
  if (!logged_in_ || closed_) co_return "";  // not yet (or no longer) attached to a backend
  if (!between_transactions()) co_return "the session is in a transaction";
  BackendLink link;
  std::string parameters;
  std::string error = "not prepared";
  if (prepared_ && prepared_->backend == to.name) {  // logged in there ahead of the switch
    link = std::move(prepared_->link);
    parameters = std::move(prepared_->parameters);
    prepared_.reset();
    error = co_await replay_state(link);
    if (!error.empty()) link.stream->close();  // gone stale meanwhile: a fresh login below
  }
  discard_prepared();
  if (!error.empty()) {
    link = BackendLink{};
    parameters.clear();
    error = co_await connect_backend(to, link, parameters);
    if (error.empty()) error = co_await replay_state(link);
  }
  if (!error.empty()) {
    if (link.stream) link.stream->close();
    // Left on the old backend, the session would write where nobody reads any more (after a
    // move, the frozen source): closed instead, its client reconnects to the new backend.
    co_await close_with_reason("the proxy switched to backend " + to.name +
                                   " and could not move this session there (" + error +
                                   "): reconnect",
                               "57P01");
    co_return error;
  }
  // ParameterStatus of the new server (its version among them) reach the client with the next
  // answer; the client keeps the proxy's cancel key, which now maps to the new server's.
  pending_to_client_ += parameters;
  auto old = server_.stream;
  server_ = std::move(link);
  backend_ = to;
  applied_generation_ = 0;  // the mode is applied afresh on the new server
  applied_mode_ = ProxyMode::kReadWrite;
  old->close();  // the relay's read on it ends, and it goes on with the new one
  co_return "";
}

bool ClientSession::between_transactions() const {
  return outstanding_ == 0 && !in_batch_ && transaction_ == TransactionStatus::kIdle;
}

void ClientSession::wake() { hold_timer_.cancel(); }

bool ClientSession::read_only_pending() const {
  return context_.state.mode() == ProxyMode::kReadOnly && applied_mode_ != ProxyMode::kReadOnly;
}

bool ClientSession::must_wait_for_answers(const WireMessage& message) const {
  switch (message.type) {
    case frontend_type::kCopyData:  // the server waits for these: never held
    case frontend_type::kCopyDone:
    case frontend_type::kCopyFail:
    case frontend_type::kTerminate:
      return false;
    default:
      return outstanding_ > 0 && read_only_pending();
  }
}

awaitable<bool> ClientSession::wait_for_answers() {
  while (outstanding_ > 0 && read_only_pending() && !closed_) {
    awaiting_answers_ = true;
    answer_timer_.expires_at(asio::steady_timer::time_point::max());
    asio::error_code ec;
    co_await answer_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    awaiting_answers_ = false;
    asio::cancellation_state cancel = co_await asio::this_coro::cancellation_state;
    if (cancel.cancelled() != asio::cancellation_type::none) co_return false;
  }
  co_return !closed_;
}

awaitable<bool> ClientSession::hold_while_paused() {
  auto deadline = std::chrono::steady_clock::now() + context_.config.hold_limit;
  while (context_.state.paused()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    hold_timer_.expires_at(deadline);
    asio::error_code ec;
    co_await hold_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  co_return true;
}

void ClientSession::forward_client_message(const WireMessage& message, std::string& out) {
  ProxyState& state = context_.state;
  if (applied_generation_ != state.mode_generation() && between_transactions()) {
    // The proxy's own statement, answered before anything else and not shown to the client.
    if (state.mode() == ProxyMode::kReadOnly) {
      append_query(out, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
      // A statement prepared before the mode that would lift it is dropped (its own Query,
      // so that one failing leaves the others): running it later fails with 26000.
      for (const auto& [name, sql] : session_state_.prepared_statements()) {
        if (check_read_only(sql).allowed()) continue;
        std::string quoted = "\"";
        for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        append_query(out, "DEALLOCATE " + quoted + "\"");
        session_state_.forget_statement(name);
        ++outstanding_;
        ++swallow_;
        ++state.counters().refused_read_only;
      }
    } else {
      append_query(out, "SET default_transaction_read_only = " + read_only_before_);
    }
    ++outstanding_;
    ++swallow_;
    applied_generation_ = state.mode_generation();
    applied_mode_ = state.mode();
  }
  bool guarded = state.mode() == ProxyMode::kReadOnly || applied_mode_ == ProxyMode::kReadOnly;
  // The session's transaction began read-write before the mode: what follows its end in the
  // same message must not run (the guard refuses it), nor a chained transaction.
  bool pending = read_only_pending();
  switch (message.type) {
    case frontend_type::kQuery: {
      ++outstanding_;
      ++state.counters().queries;
      auto query = parse_query(message.payload);
      if (query) session_state_.track_sql(query->text);
      if (!ending_statements_.empty()) ending_statements_.erase("");  // a Query drops both
      if (!ending_portals_.empty()) ending_portals_.erase("");
      if (guarded) {
        GuardVerdict verdict;
        if (pending && transaction_ended_in_batch_) {  // a Query inside a batch, after its end
          verdict.outcome = GuardOutcome::kRefused;
          verdict.reason = "a statement after the transaction's end before Sync";
        } else {
          verdict = check_read_only(query ? query->text : std::string(), pending);
        }
        if (!verdict.allowed()) {
          ++state.counters().refused_read_only;
          append_query(out, failing_statement(refusal(verdict)));
          return;
        }
      }
      break;
    }
    case frontend_type::kParse: {
      in_batch_ = true;
      ++state.counters().queries;
      auto parse = parse_parse(message.payload);
      if (parse) {
        session_state_.track_sql(parse->query);
        session_state_.track_parse(parse->statement, parse->query, message.bytes);
        track_ending_statement(parse->statement, parse->query);
      }
      if (guarded) {
        auto verdict = check_read_only(parse ? parse->query : std::string(), pending);
        if (!verdict.allowed()) {
          ++state.counters().refused_read_only;
          Parse replaced{parse ? parse->statement : "", failing_statement(refusal(verdict)),
                         parse ? parse->parameter_types : std::vector<std::uint32_t>{}};
          append_parse(out, replaced);
          return;
        }
      }
      break;
    }
    case frontend_type::kFunctionCall:
      ++outstanding_;
      if (guarded) {  // a function called by OID could be set_config: not judged, refused
        ++state.counters().refused_read_only;
        append_query(out, failing_statement(
                              "cannot execute a FunctionCall message in a read-only transaction"));
        return;
      }
      break;
    case frontend_type::kSync:
      ++outstanding_;
      in_batch_ = false;
      transaction_ended_in_batch_ = false;
      break;
    case frontend_type::kClose: {
      in_batch_ = true;
      auto close = parse_close(message.payload);
      if (close && close->kind == 'S') {
        session_state_.track_close_statement(close->name);
        ending_statements_.erase(close->name);
      }
      if (close && close->kind == 'P') ending_portals_.erase(close->name);
      break;
    }
    case frontend_type::kBind:
      in_batch_ = true;
      track_ending_portal(message);
      break;
    case frontend_type::kExecute:
      in_batch_ = true;
      if (pending && !execute_allowed(message, out)) return;
      break;
    case frontend_type::kDescribe:
    case frontend_type::kFlush:
      in_batch_ = true;
      break;
    default:
      break;
  }
  out.append(message.bytes);
}

void ClientSession::track_ending_statement(const std::string& name, std::string_view query) {
  if (some_statement_starts_with(query, {"commit", "end", "rollback", "abort", "prepare"})) {
    ending_statements_[name] = query;
  } else if (!ending_statements_.empty()) {
    ending_statements_.erase(name);
  }
}

void ClientSession::track_ending_portal(const WireMessage& bind) {
  if (ending_statements_.empty() && ending_portals_.empty()) return;  // the common case
  auto names = parse_bind(bind.payload);
  if (!names) return;
  auto statement = ending_statements_.find(names->statement);
  if (statement != ending_statements_.end()) {
    ending_portals_[names->portal] = statement->second;
  } else {
    ending_portals_.erase(names->portal);
  }
}

// Within one batch (no Sync between), statements run one after the other with no ReadyForQuery
// for the proxy to see where the transaction begun before the mode ended: an Execute after
// one that ended it would run read-write in a new one. Such an Execute is refused, and so is
// COMMIT / ROLLBACK AND CHAIN. Holding it is no way: nothing is answered before the client's
// Sync. It is replaced by an Execute of a portal that does not exist: the server fails it in
// its place (the rest of the batch skipped up to Sync, as after any error), and the proxy
// turns that 34000 error into the 25006 one on its way to the client.
bool ClientSession::execute_allowed(const WireMessage& execute, std::string& out) {
  auto portal = parse_execute(execute.payload);
  if (!portal) return true;  // the server refuses it
  GuardVerdict verdict;
  if (transaction_ended_in_batch_) {
    verdict.outcome = GuardOutcome::kRefused;
    verdict.reason = "a statement after the transaction's end before Sync";
  } else if (auto ending = ending_portals_.find(portal->portal); ending != ending_portals_.end()) {
    verdict = check_read_only(ending->second, true);
    if (verdict.allowed() && verdict.ends_transaction) transaction_ended_in_batch_ = true;
  }
  if (verdict.allowed()) return true;
  ++context_.state.counters().refused_read_only;
  refused_execute_error_.clear();
  append_error_response(refused_execute_error_,
                        ErrorReport{"ERROR", "25006", refusal(verdict),
                                    "cutover proxy holds this session read-only.", ""});
  append_execute(out, Execute{kRefusedPortal, 0});
  return false;
}

void ClientSession::refuse_held_message(const WireMessage& message, std::string& to_client) {
  auto refuse = [&] {
    append_error_response(
        to_client, ErrorReport{"ERROR", "57P03",
                               "cutover proxy is paused for longer than its hold limit (" +
                                   std::to_string(context_.config.hold_limit.count()) + " ms)",
                               "", "retry once the cutover is over"});
    append_ready_for_query(to_client, TransactionStatus::kIdle);
  };
  switch (message.type) {
    case frontend_type::kQuery:
    case frontend_type::kFunctionCall:
    case frontend_type::kSync:  // each ends what the client waits an answer for
      refusing_batch_ = false;
      refuse();
      break;
    case frontend_type::kTerminate:
      break;
    default:
      refusing_batch_ = true;  // the rest of the batch is dropped; its Sync gets the answer
  }
}

bool ClientSession::track_server_message(const WireMessage& message) {
  bool own = swallow_ > 0;
  if (message.type == backend_type::kReadyForQuery) {
    auto ready = parse_ready_for_query(message.payload);
    if (ready) transaction_ = ready->status;
    if (outstanding_ > 0) --outstanding_;
    if (own) --swallow_;
    if (!own) refused_execute_error_.clear();  // its batch is over
    if (awaiting_answers_) answer_timer_.cancel();
  } else if (message.type == backend_type::kParameterStatus && !own) {
    auto status = parse_parameter_status(message.payload);
    if (status && status->name == "default_transaction_read_only" && status->value == "off" &&
        applied_mode_ == ProxyMode::kReadOnly) {
      // The guard missed a way to lift read-only (the server reports the setting since
      // PostgreSQL 14): the session cannot be trusted any more.
      context_.log("read_only_lifted", peer_ + ": the session lifted read-only; closing it");
      closed_ = true;
      close_both();
      return false;
    }
  }
  return !own;
}

awaitable<void> ClientSession::relay_client_to_server() {
  std::string out;
  std::string to_client;
  for (;;) {
    std::string bytes;
    if (co_await client_.read_some(bytes)) co_return;
    context_.state.counters().bytes_from_clients += bytes.size();
    client_decoder_.append(bytes);
    out.clear();
    to_client.clear();
    bool terminate = false;
    for (;;) {
      DecodeResult result = client_decoder_.next();
      if (result.status == DecodeStatus::kNeedMore) break;
      if (result.status == DecodeStatus::kMalformed) {
        co_await close_with_reason("malformed message from the client: " + result.error, "08P01");
        co_return;
      }
      const WireMessage& message = result.message;
      if (message.type == frontend_type::kTerminate) terminate = true;
      // New work while paused waits for resume (or the hold limit): nothing is in flight on
      // the server then, so what was decoded so far has all been sent.
      if (!refusing_batch_ && context_.state.paused() && between_transactions() && !terminate) {
        if (!out.empty() && co_await server_.stream->write(out)) co_return;
        out.clear();
        if (!co_await hold_while_paused()) refusing_batch_ = true;
        if (closed_) co_return;
      }
      if (refusing_batch_) {
        refuse_held_message(message, to_client);
        continue;
      }
      // While read-only mode waits for this session's transaction to end, what follows a Query
      // or a Sync waits for its ReadyForQuery: the transaction may end there, and the mode must
      // be applied before anything else runs (pipelined, it would run read-write).
      if (must_wait_for_answers(message)) {
        if (!to_client.empty() && co_await client_.write(to_client)) co_return;
        to_client.clear();
        if (!out.empty() && co_await server_.stream->write(out)) co_return;
        out.clear();
        if (!co_await wait_for_answers()) co_return;
      }
      forward_client_message(message, out);
    }
    if (!to_client.empty() && co_await client_.write(to_client)) co_return;
    if (!out.empty() && co_await server_.stream->write(out)) co_return;
    if (terminate) co_return;
  }
}

awaitable<void> ClientSession::relay_server_to_client() {
  std::string out;
  for (;;) {
    auto stream = server_.stream;
    std::string bytes;
    if (co_await stream->read_some(bytes)) {
      if (stream != server_.stream) continue;  // switched: go on with the new backend
      co_await close_with_reason("the backend closed the connection", "08006");
      co_return;
    }
    context_.state.counters().bytes_from_servers += bytes.size();
    server_.decoder->append(bytes);
    out.swap(pending_to_client_);
    pending_to_client_.clear();
    for (;;) {
      DecodeResult result = server_.decoder->next();
      if (result.status == DecodeStatus::kNeedMore) break;
      if (result.status == DecodeStatus::kMalformed) {
        co_await close_with_reason("malformed message from the server: " + result.error, "08P01");
        co_return;
      }
      const WireMessage& message = result.message;
      bool refused_execute = message.type == backend_type::kErrorResponse &&
                             !refused_execute_error_.empty() && is_refused_execute(message);
      if (refused_execute) {  // the error an Execute refused by the proxy got (execute_allowed)
        out += refused_execute_error_;
        refused_execute_error_.clear();
      } else if (track_server_message(message)) {
        out.append(message.bytes);
      }
      if (closed_) co_return;
    }
    if (!out.empty() && co_await client_.write(out)) co_return;
    out.clear();
  }
}

awaitable<void> ClientSession::cancel_backend_query() {
  if (server_.key.process_id == 0) co_return;
  asio::error_code ec;
  asio::ip::tcp::socket socket = co_await connect_tcp(backend_.address, ec);
  if (ec) co_return;
  std::string request;
  append_cancel_request(request, CancelRequest{server_.key.process_id, server_.key.secret_key});
  co_await asio::async_write(socket, asio::buffer(request),
                             asio::redirect_error(use_awaitable, ec));
  context_.log("cancel", peer_ + ": cancel request passed to backend " + backend_.name);
}

awaitable<void> ClientSession::close_with_reason(const std::string& reason,
                                                 const std::string& sqlstate) {
  if (closed_) co_return;
  closed_ = true;
  if (!sqlstate.empty()) {
    std::string out;
    append_error_response(out, ErrorReport{"FATAL", sqlstate, reason, "", ""});
    co_await client_.write(out);
  }
  if (!reason.empty()) context_.log("session_closed", peer_ + ": " + reason);
  close_both();
}

}  // namespace cutover::proxy
