// One client's session through the proxy (session mode): startup and TLS, the client's
// authentication, the backend login, then both directions relayed, with the proxy's modes
// applied between transactions: read-only (statements that would lift it refused), pause
// (new work held until resume), and switch (the session moved to another backend with its
// settings, prepared statements and LISTENs).
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "proxy/proxy_config.h"
#include "proxy/proxy_state.h"
#include "proxy/proxy_stream.h"
#include "proxy/session_state.h"
#include "proxy/user_list.h"
#include "proxy/wire_decoder.h"
#include "proxy/wire_message.h"

namespace cutover::proxy {

class ClientSession;

// What every session shares; owned by the server, which outlives its sessions' coroutines.
struct ProxyContext {
  const ProxyConfig& config;  // replaced in place by a reload (SIGHUP)
  ProxyState& state;
  const UserList& users;
  asio::ssl::context& client_tls;  // with the configured certificate, when client_tls_enabled
  bool client_tls_enabled = false;
  asio::ssl::context& backend_tls;
  // The sessions by the key the proxy gave their client (for CancelRequest, pause and switch).
  std::map<std::int32_t, std::weak_ptr<ClientSession>> sessions;
  std::int32_t next_process_id = 1;
  // One line of the proxy's log (the CLI prints it as text or JSON).
  std::function<void(const std::string& event, const std::string& message)> log;
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(asio::ip::tcp::socket socket, ProxyContext& context);
  ~ClientSession();

  // Runs the session to its end; every failure ends in close_with_reason().
  asio::awaitable<void> run();

  // Sends a CancelRequest for this session's running query to its backend.
  asio::awaitable<void> cancel_backend_query();

  // True when nothing sent to the server is unanswered and no transaction is open: the
  // session can be held or switched without the client noticing.
  bool between_transactions() const;
  std::int32_t process_id() const { return process_id_; }
  // Ends a hold (resume): the held work goes to the (maybe new) backend.
  void wake();
  // Moves the session, between transactions, to `to`: logs in there with the same startup
  // parameters, replays its settings, prepared statements and LISTENs, then closes the old
  // server connection. Returns "" or why not: in a transaction (it then stays where it was), or
  // the new backend failed (the session is then closed with 57P01, so that its client
  // reconnects to the new backend rather than go on writing to the old one).
  asio::awaitable<std::string> switch_backend(Backend to);
  // Logs in to `to` ahead of a switch, while the session goes on where it is: the switch then
  // only replays the session's state there, so the pause is shorter. Returns "" or why not
  // (the switch then logs in itself). discard_prepared() closes such a link unused.
  asio::awaitable<std::string> prepare_backend(Backend to);
  void discard_prepared();

 private:
  // An owned copy of one message.
  struct Message {
    char type = 0;
    StartupPacket startup = StartupPacket::kNone;
    std::string payload;
    std::string bytes;  // the whole message as it came
  };
  // A connection to a backend and the framing of what it sends.
  struct BackendLink {
    std::shared_ptr<ProxyStream> stream;
    std::unique_ptr<ServerDecoder> decoder;
    BackendKeyData key;
  };

  // Startup, the client's authentication and the backend login; false when the session ended.
  asio::awaitable<bool> log_in();
  asio::awaitable<bool> read_startup();
  asio::awaitable<bool> authenticate_client();
  asio::awaitable<bool> open_first_backend();
  // Connects and logs in to `backend`; ParameterStatus and notices go to `to_client`, and a
  // server's ErrorResponse too (then the result is the error's message). Returns "" when the
  // link is ready for queries.
  asio::awaitable<std::string> connect_backend(const Backend& backend, BackendLink& link,
                                               std::string& to_client);
  asio::awaitable<std::string> replay_state(BackendLink& link);
  asio::awaitable<void> relay_client_to_server();
  asio::awaitable<void> relay_server_to_client();
  // Waits while the proxy is paused, up to the hold limit. False when the limit passed.
  asio::awaitable<bool> hold_while_paused();
  // Read-only mode is on and has not reached this session yet: it is in a transaction begun
  // before (or the answer that would say it is not has not come).
  bool read_only_pending() const;
  // Whether `message` must wait for the answers to what was sent before it (see the relay).
  bool must_wait_for_answers(const WireMessage& message) const;
  // Waits until every Query, FunctionCall and Sync sent is answered, or the mode is no longer
  // pending. False when the session ended meanwhile.
  asio::awaitable<bool> wait_for_answers();

  asio::awaitable<std::optional<Message>> read_client_message();
  static asio::awaitable<std::optional<Message>> read_message(BackendLink& link,
                                                              std::string& error);

  // Appends one client message to `out` for the server: the mode applied first when the
  // session is between transactions, a statement that would lift read-only replaced by one
  // that fails with 25006 on the server (so errors keep their place in a pipeline).
  void forward_client_message(const WireMessage& message, std::string& out);
  // Keeps the statements and portals whose text may end a transaction (its first word says
  // so): an Execute of one, while the mode is pending, ends the batch's right to write.
  void track_ending_statement(const std::string& name, std::string_view query);
  void track_ending_portal(const WireMessage& bind);
  // Whether an Execute may go to the server while the mode is pending; when not, `out` gets
  // the Execute that fails in its place.
  bool execute_allowed(const WireMessage& execute, std::string& out);
  // Whether a server message is passed to the client (false for the answers to what the
  // proxy itself sent); updates what the proxy knows of the session's transaction state.
  bool track_server_message(const WireMessage& message);
  // Answers held work the proxy gave up on (the hold limit passed): an error per Query and
  // per extended-protocol batch, each followed by ReadyForQuery.
  void refuse_held_message(const WireMessage& message, std::string& to_client);

  // Ends the session: tells the client why (when `sqlstate` is given) and logs it.
  asio::awaitable<void> close_with_reason(const std::string& reason, const std::string& sqlstate);
  void close_both();

  ProxyContext& context_;
  ProxyStream client_;
  BackendLink server_;
  // A login made ahead of a switch (prepare_backend): the backend's name, the link, and the
  // ParameterStatus messages its login sent, for the client once the switch happens.
  struct PreparedLink {
    std::string backend;
    BackendLink link;
    std::string parameters;
  };
  std::optional<PreparedLink> prepared_;
  ClientDecoder client_decoder_;
  StartupMessage startup_;
  std::string peer_;
  Backend backend_;              // a copy: a reload may replace the config's list
  std::int32_t process_id_ = 0;  // the key the proxy gave the client
  std::string secret_key_;
  bool closed_ = false;
  SessionState session_state_;
  asio::steady_timer hold_timer_;
  asio::steady_timer answer_timer_;  // wait_for_answers(): cancelled by each ReadyForQuery
  bool awaiting_answers_ = false;
  bool refusing_batch_ = false;    // dropping held extended-protocol messages until Sync
  std::string pending_to_client_;  // ParameterStatus from a new backend, sent with the next answer

  // What the proxy knows of the server side of the session.
  int outstanding_ = 0;    // Query, FunctionCall and Sync messages not yet answered
  bool in_batch_ = false;  // extended-protocol messages sent since the last Sync
  bool logged_in_ = false;
  TransactionStatus transaction_ = TransactionStatus::kIdle;
  int swallow_ = 0;  // answers to the proxy's own queries still to drop
  std::uint64_t applied_generation_ = 0;
  ProxyMode applied_mode_ = ProxyMode::kReadWrite;
  std::string read_only_before_ = "off";  // the session's default_transaction_read_only
  // Statements and portals that may end a transaction, with their SQL text (by name).
  std::map<std::string, std::string> ending_statements_;
  std::map<std::string, std::string> ending_portals_;
  bool transaction_ended_in_batch_ = false;  // an Execute ended it since the last Sync
  // The 25006 error a refused Execute's 34000 error is replaced with on its way to the client.
  std::string refused_execute_error_;
};

}  // namespace cutover::proxy
