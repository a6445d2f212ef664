// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it, without channel binding: the
// server side that checks a client, the client side that logs in to a server, and verifiers.
//
// Passwords are used as their raw bytes, with no SASLprep. PostgreSQL's pg_saslprep() leaves
// ASCII passwords as they are and falls back to the raw bytes for one that is not valid UTF-8 or
// holds a prohibited character, so this matches PostgreSQL for every ASCII password (the common
// case) and every UTF-8 one already in NFKC with no non-ASCII space and no character mapped to
// nothing. For any other, a verifier PostgreSQL made will not accept the password here (and a
// backend will refuse ScramClient): write such a password in NFKC, or make its verifier here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cutover::proxy {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr int kDefaultScramIterations = 4096;  // PostgreSQL's scram_iterations default
inline constexpr std::size_t kScramSaltLength = 16;   // bytes, as PostgreSQL draws them
inline constexpr std::size_t kScramNonceLength = 18;  // random bytes, sent base64-encoded

// What a server keeps to check a password without knowing it (the keys are raw bytes).
struct ScramVerifier {
  int iterations = 0;
  std::string salt;
  std::string stored_key;  // H(ClientKey), 32 bytes
  std::string server_key;  // HMAC(SaltedPassword, "Server Key"), 32 bytes
};

// The verifier of `password` with this salt and iteration count (iterations >= 1). Its keys are
// empty only if OpenSSL failed (out of memory); such a verifier accepts no password.
ScramVerifier derive_scram_verifier(std::string_view password, std::string_view salt,
                                    int iterations);

// PostgreSQL's text form, as pg_authid.rolpassword holds it:
// SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
std::string format_scram_verifier(const ScramVerifier& verifier);

// Reads that text form. On failure returns nullopt and, when `error` is given, sets it to which
// part is wrong (never to the text itself, which is as sensitive as a password hash).
std::optional<ScramVerifier> parse_scram_verifier(std::string_view text,
                                                  std::string* error = nullptr);

// A new verifier of `password` in text form, with a random 16-byte salt: what a users file may
// hold instead of the password. nullopt if no random bytes could be had.
std::optional<std::string> make_scram_verifier(std::string_view password,
                                               int iterations = kDefaultScramIterations);

enum class ScramStatus {
  kContinue,    // send `message` and wait for the peer's next one
  kDone,        // authenticated: the server sends `message` (AuthenticationSASLFinal) then
                // AuthenticationOk; the client has checked the server's signature
  kAuthFailed,  // wrong password, or a server that does not know it: `reason` says which
  kMalformed,   // the peer broke the protocol: `reason` says how
};

// The outcome of one step. After kAuthFailed or kMalformed the exchange is over: every later
// call returns kMalformed. `reason` never holds a password, key or proof.
struct ScramStep {
  ScramStatus status = ScramStatus::kMalformed;
  std::string message;
  std::string reason;
};

// The server side of one exchange, checking a client against a verifier (for a plaintext
// password, derive_scram_verifier() it with a random salt first). Offer only kScramSha256 in
// AuthenticationSASL (no -PLUS): a client asking for channel binding ('p') is refused, and one
// that could but does not ('y') is accepted. Never throws on bad input.
class ScramServer {
 public:
  // `server_nonce` is the part the server adds to the client's nonce: printable ASCII but ',';
  // empty draws kScramNonceLength random bytes and sends them base64-encoded. Tests fix it.
  explicit ScramServer(ScramVerifier verifier, std::string server_nonce = {});

  // The client-first-message (the data of SASLInitialResponse, after the caller checked the
  // mechanism is kScramSha256). kContinue: send `message`, the server-first-message, as
  // AuthenticationSASLContinue.
  ScramStep on_client_first(std::string_view message);
  // The client-final-message (SASLResponse's data). kDone: send `message`, the
  // server-final-message, as AuthenticationSASLFinal, then AuthenticationOk.
  ScramStep on_client_final(std::string_view message);

  // The user name in the client-first-message, unescaped. PostgreSQL ignores it (the startup
  // packet's user is the one that logs in; libpq sends it empty), and so should the caller.
  const std::string& client_user() const { return client_user_; }

 private:
  enum class State { kStart, kSentFirst, kEnded };
  ScramStep end(ScramStatus status, std::string reason);

  State state_ = State::kStart;
  ScramVerifier verifier_;
  std::string server_nonce_;
  std::string client_user_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // the client's and the server's
};

// The client side of one exchange, for the proxy to log in to a server with a password. Holds
// the password and the keys derived from it, and wipes them when destroyed.
class ScramClient {
 public:
  // `user` goes into the first message escaped; "" is what libpq sends (the server takes the
  // startup packet's user). `client_nonce` as ScramServer's `server_nonce`: empty draws one.
  explicit ScramClient(std::string password, std::string user = {}, std::string client_nonce = {});
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;

  // kContinue: send `message`, the client-first-message, as the data of a SASLInitialResponse
  // for kScramSha256. kAuthFailed only if no random nonce could be drawn.
  ScramStep start();
  // The server-first-message (AuthenticationSASLContinue's data). kContinue: send `message`,
  // the client-final-message, as SASLResponse. Runs PBKDF2 with the server's iteration count.
  ScramStep on_server_first(std::string_view message);
  // The server-final-message (AuthenticationSASLFinal's data). kDone: the server proved that it
  // knows the password's verifier; AuthenticationOk should follow. kAuthFailed: it sent an
  // error (e=...) or a wrong signature.
  ScramStep on_server_final(std::string_view message);

 private:
  enum class State { kStart, kSentFirst, kSentFinal, kEnded };
  ScramStep end(ScramStatus status, std::string reason);

  State state_ = State::kStart;
  std::string password_;
  std::string user_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string server_signature_;  // what on_server_final expects
};

}  // namespace cutover::proxy
