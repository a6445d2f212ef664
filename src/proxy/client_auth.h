// Password authentication on both sides of the proxy: checking a client against its users-file
// verifier (SCRAM-SHA-256 or md5), and logging in to a backend with a passfile password.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "proxy/scram.h"
#include "proxy/wire_message.h"

namespace cutover::proxy {

// The proxy as a server, checking one client. An unknown user goes through the same exchange
// against a verifier no password matches, so that the answer does not tell which users exist.
class ClientAuthentication {
 public:
  enum class Step { kContinue, kDone, kFailed };

  ClientAuthentication(std::string user, std::optional<std::string> verifier);

  // Appends the first request (AuthenticationSASL or AuthenticationMD5Password) to `out`.
  void first_request(std::string& out);
  // Takes the payload of the client's next 'p' message. kContinue: send `out` and wait for the
  // next one; kDone: send `out` (ends with AuthenticationOk); kFailed: failure() says why, for
  // the log only (the client is told only that authentication failed).
  Step respond(std::string_view payload, std::string& out);
  const std::string& failure() const { return failure_; }

 private:
  Step fail(std::string why);

  std::string user_;
  bool known_ = false;
  bool md5_ = false;
  std::string md5_hash_;
  std::string md5_salt_;
  std::optional<ScramServer> scram_;
  int messages_ = 0;
  std::string failure_;
};

// The proxy as a client, logging in to a backend with the password of the passfile.
class BackendAuthentication {
 public:
  BackendAuthentication(std::string user, std::string password);

  // Appends the answer to the server's request to `out` (nothing for a final SCRAM message that
  // checked out). Returns "" or what went wrong (no password, an unsupported method, a server
  // that failed to prove it knows the password).
  std::string respond(const AuthenticationRequest& request, std::string& out);

 private:
  std::string user_;
  std::string password_;
  std::optional<ScramClient> scram_;
};

}  // namespace cutover::proxy
