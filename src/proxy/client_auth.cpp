// Password authentication on both sides of the proxy.
#include "proxy/client_auth.h"

#include <algorithm>

#include "proxy/auth_crypto.h"
#include "proxy/md5_password.h"
#include "proxy/wire_encoder.h"
#include "proxy/wire_parser.h"

namespace cutover::proxy {

ClientAuthentication::ClientAuthentication(std::string user, std::optional<std::string> verifier)
    : user_(std::move(user)), known_(verifier.has_value()) {
  if (verifier && is_md5_password_hash(*verifier)) {
    md5_ = true;
    md5_hash_ = *verifier;
    md5_salt_ = random_bytes(4).value_or(std::string(4, '\0'));
    return;
  }
  std::optional<ScramVerifier> scram;
  if (verifier) scram = parse_scram_verifier(*verifier);
  if (!scram) {
    // An unknown user (or an unreadable verifier): a verifier of random bytes, which no
    // password matches, so the exchange looks the same to the client.
    known_ = false;
    scram = derive_scram_verifier(random_bytes(32).value_or("x"),
                                  random_bytes(kScramSaltLength).value_or("salt"),
                                  kDefaultScramIterations);
  }
  scram_.emplace(std::move(*scram));
}

void ClientAuthentication::first_request(std::string& out) {
  if (md5_) {
    append_authentication_md5_password(out, md5_salt_);
  } else {
    append_authentication_sasl(out, {std::string(kScramSha256)});
  }
}

ClientAuthentication::Step ClientAuthentication::fail(std::string why) {
  failure_ = std::move(why);
  return Step::kFailed;
}

ClientAuthentication::Step ClientAuthentication::respond(std::string_view payload,
                                                         std::string& out) {
  ++messages_;
  if (md5_) {
    auto password = parse_password_message(payload);
    if (!password) return fail("malformed password message: " + password.error);
    if (!check_md5_response_with_hash(password->password, md5_hash_, md5_salt_)) {
      return fail("wrong password (md5)");
    }
    append_authentication_ok(out);
    return Step::kDone;
  }
  if (messages_ == 1) {
    auto initial = parse_sasl_initial_response(payload);
    if (!initial) return fail("malformed SASLInitialResponse: " + initial.error);
    if (initial->mechanism != kScramSha256 || !initial->data) {
      return fail("the client asked for SASL mechanism '" + initial->mechanism + "'");
    }
    ScramStep step = scram_->on_client_first(*initial->data);
    if (step.status != ScramStatus::kContinue) return fail(step.reason);
    append_authentication_sasl_continue(out, step.message);
    return Step::kContinue;
  }
  auto response = parse_sasl_response(payload);
  if (!response) return fail("malformed SASLResponse: " + response.error);
  ScramStep step = scram_->on_client_final(response->data);
  if (step.status != ScramStatus::kDone) return fail(step.reason);
  if (!known_) return fail("no such user in the users file");
  append_authentication_sasl_final(out, step.message);
  append_authentication_ok(out);
  return Step::kDone;
}

BackendAuthentication::BackendAuthentication(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

std::string BackendAuthentication::respond(const AuthenticationRequest& request, std::string& out) {
  switch (request.kind) {
    case AuthKind::kCleartextPassword:
      append_password_message(out, password_);
      return "";
    case AuthKind::kMd5Password:
      append_password_message(out, md5_response(password_, user_, request.md5_salt));
      return "";
    case AuthKind::kSasl: {
      const auto& offered = request.sasl_mechanisms;
      if (std::find(offered.begin(), offered.end(), kScramSha256) == offered.end()) {
        return "the backend offers no SASL mechanism the proxy speaks (SCRAM-SHA-256)";
      }
      scram_.emplace(password_);
      ScramStep step = scram_->start();
      if (step.status != ScramStatus::kContinue) return step.reason;
      append_sasl_initial_response(out, kScramSha256, step.message);
      return "";
    }
    case AuthKind::kSaslContinue: {
      if (!scram_) return "SASLContinue before SASL";
      ScramStep step = scram_->on_server_first(request.data);
      if (step.status != ScramStatus::kContinue) return step.reason;
      append_sasl_response(out, step.message);
      return "";
    }
    case AuthKind::kSaslFinal: {
      if (!scram_) return "SASLFinal before SASL";
      ScramStep step = scram_->on_server_final(request.data);
      return step.status == ScramStatus::kDone ? "" : step.reason;
    }
    default:
      return "the backend asks for an authentication method the proxy does not speak (only "
             "password, md5 and SCRAM-SHA-256)";
  }
}

}  // namespace cutover::proxy
