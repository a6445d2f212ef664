// SCRAM-SHA-256 without channel binding: server and client exchanges, and verifiers.
#include "proxy/scram.h"

#include <fmt/format.h>

#include <climits>
#include <utility>
#include <vector>

#include "proxy/auth_crypto.h"
#include "proxy/base64.h"

namespace cutover::proxy {
namespace {

constexpr std::size_t kKeyLength = 32;  // SHA-256

// Splits on every ',' (SCRAM values never hold one); "a,,b" gives an empty middle part.
std::vector<std::string_view> split_attributes(std::string_view message) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t comma = message.find(',');
    parts.push_back(message.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    message.remove_prefix(comma + 1);
  }
}

// The value of "<name>=<value>", or nullopt when `part` is not that attribute.
std::optional<std::string_view> attribute(std::string_view part, char name) {
  if (part.size() < 2 || part[0] != name || part[1] != '=') return std::nullopt;
  return part.substr(2);
}

// An extension the RFC allows after the known attributes: a letter, '=', a value.
bool is_extension(std::string_view part) {
  if (part.size() < 2 || part[1] != '=') return false;
  const char name = part[0];
  return (name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z');
}

// RFC 5802 "printable": %x21-7E but ','.
bool is_printable(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// saslname: ',' and '=' escaped as "=2C" and "=3D".
std::string escape_user(std::string_view user) {
  std::string out;
  for (char c : user) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_user(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    const std::string_view code = text.substr(i + 1, 2);
    if (code == "2C") {
      out += ',';
    } else if (code == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// A positive decimal int, digits only.
std::optional<int> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > INT_MAX) return std::nullopt;
  return static_cast<int>(value);
}

// For text from a peer in a reason: anything but printable ASCII becomes '?'.
std::string printable_copy(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

std::optional<std::string> new_nonce() {
  std::optional<std::string> raw = random_bytes(kScramNonceLength);
  if (!raw) return std::nullopt;
  return base64_encode(*raw);
}

std::string exclusive_or(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    out[i] = static_cast<char>(a[i] ^ b[i]);
  }
  return out;
}

bool usable(const ScramVerifier& v) {
  return v.iterations >= 1 && !v.salt.empty() && v.stored_key.size() == kKeyLength &&
         v.server_key.size() == kKeyLength;
}

}  // namespace

// ---- Verifiers ----

ScramVerifier derive_scram_verifier(std::string_view password, std::string_view salt,
                                    int iterations) {
  ScramVerifier out{.iterations = iterations, .salt = std::string(salt)};
  std::string salted = pbkdf2_sha256(password, salt, iterations);
  if (salted.size() != kKeyLength) return out;
  std::string client_key = hmac_sha256(salted, "Client Key");
  out.stored_key = sha256(client_key);
  out.server_key = hmac_sha256(salted, "Server Key");
  wipe(salted);
  wipe(client_key);
  return out;
}

std::string format_scram_verifier(const ScramVerifier& verifier) {
  return fmt::format("{}${}:{}${}:{}", kScramSha256, verifier.iterations,
                     base64_encode(verifier.salt), base64_encode(verifier.stored_key),
                     base64_encode(verifier.server_key));
}

std::optional<ScramVerifier> parse_scram_verifier(std::string_view text, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<ScramVerifier> {
    if (error != nullptr) *error = fmt::format("not a SCRAM-SHA-256 verifier: {}", why);
    return std::nullopt;
  };
  const std::string prefix = fmt::format("{}$", kScramSha256);
  if (!text.starts_with(prefix)) return fail("it does not start with SCRAM-SHA-256$");
  text.remove_prefix(prefix.size());
  // <iterations>:<salt>$<stored key>:<server key>
  const std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) return fail("no '$' before the keys");
  const std::string_view head = text.substr(0, dollar), keys = text.substr(dollar + 1);
  const std::size_t colon = head.find(':'), key_colon = keys.find(':');
  if (colon == std::string_view::npos) return fail("no ':' between iterations and salt");
  if (key_colon == std::string_view::npos) return fail("no ':' between the keys");
  const std::optional<int> iterations = parse_iterations(head.substr(0, colon));
  if (!iterations) return fail("the iteration count is not a positive number");
  std::optional<std::string> salt = base64_decode(head.substr(colon + 1));
  if (!salt || salt->empty()) return fail("the salt is not base64");
  std::optional<std::string> stored = base64_decode(keys.substr(0, key_colon));
  if (!stored || stored->size() != kKeyLength) return fail("the stored key is not 32 bytes base64");
  std::optional<std::string> server = base64_decode(keys.substr(key_colon + 1));
  if (!server || server->size() != kKeyLength) return fail("the server key is not 32 bytes base64");
  return ScramVerifier{.iterations = *iterations,
                       .salt = std::move(*salt),
                       .stored_key = std::move(*stored),
                       .server_key = std::move(*server)};
}

std::optional<std::string> make_scram_verifier(std::string_view password, int iterations) {
  if (iterations < 1) return std::nullopt;
  const std::optional<std::string> salt = random_bytes(kScramSaltLength);
  if (!salt) return std::nullopt;
  const ScramVerifier verifier = derive_scram_verifier(password, *salt, iterations);
  if (!usable(verifier)) return std::nullopt;
  return format_scram_verifier(verifier);
}

// ---- Server ----

ScramServer::ScramServer(ScramVerifier verifier, std::string server_nonce)
    : verifier_(std::move(verifier)), server_nonce_(std::move(server_nonce)) {}

ScramStep ScramServer::end(ScramStatus status, std::string reason) {
  state_ = State::kEnded;
  return {.status = status, .message = {}, .reason = std::move(reason)};
}

ScramStep ScramServer::on_client_first(std::string_view message) {
  if (state_ != State::kStart) {
    return end(ScramStatus::kMalformed, "unexpected client-first-message: the exchange is past it");
  }
  if (message.find('\0') != std::string_view::npos) {
    return end(ScramStatus::kMalformed, "client-first-message holds a NUL byte");
  }
  // gs2-cbind-flag "," [authzid] "," "n=" user "," "r=" nonce ["," extensions]
  const std::vector<std::string_view> parts = split_attributes(message);
  if (parts.size() < 4) {
    return end(ScramStatus::kMalformed,
               "client-first-message is too short: expected a GS2 header, n= and r=");
  }
  if (parts[0].starts_with("p=")) {
    return end(ScramStatus::kMalformed,
               "the client asks for channel binding (p=), but only SCRAM-SHA-256 without it "
               "was offered");
  }
  if (parts[0] != "n" && parts[0] != "y") {
    return end(ScramStatus::kMalformed,
               "client-first-message does not start with a channel-binding flag n, y or p");
  }
  if (!parts[1].empty()) {
    return end(ScramStatus::kMalformed,
               parts[1].starts_with("a=")
                   ? "the client sent an authorization identity (a=), which is not supported"
                   : "client-first-message has a malformed GS2 header");
  }
  gs2_header_ = fmt::format("{},,", parts[0]);
  client_first_bare_ = std::string(message.substr(gs2_header_.size()));
  if (parts[2].starts_with("m=")) {
    return end(ScramStatus::kMalformed, "the client requires a SCRAM extension (m=) not supported");
  }
  const std::optional<std::string_view> user = attribute(parts[2], 'n');
  if (!user) return end(ScramStatus::kMalformed, "client-first-message has no user name (n=)");
  std::optional<std::string> unescaped = unescape_user(*user);
  if (!unescaped) {
    return end(ScramStatus::kMalformed, "the user name holds '=' not followed by 2C or 3D");
  }
  client_user_ = std::move(*unescaped);
  const std::optional<std::string_view> client_nonce = attribute(parts[3], 'r');
  if (!client_nonce) return end(ScramStatus::kMalformed, "client-first-message has no nonce (r=)");
  if (client_nonce->empty() || !is_printable(*client_nonce)) {
    return end(ScramStatus::kMalformed, "the client nonce is empty or not printable");
  }
  for (std::size_t i = 4; i < parts.size(); ++i) {
    if (!is_extension(parts[i])) {
      return end(ScramStatus::kMalformed, "client-first-message has a malformed attribute");
    }
  }
  if (!usable(verifier_)) return end(ScramStatus::kAuthFailed, "no usable SCRAM verifier");
  if (server_nonce_.empty()) {
    std::optional<std::string> drawn = new_nonce();
    if (!drawn) return end(ScramStatus::kAuthFailed, "no random bytes for the server nonce");
    server_nonce_ = std::move(*drawn);
  }
  if (!is_printable(server_nonce_)) {
    return end(ScramStatus::kAuthFailed, "the server nonce is not printable");
  }
  nonce_ = fmt::format("{}{}", *client_nonce, server_nonce_);
  server_first_ =
      fmt::format("r={},s={},i={}", nonce_, base64_encode(verifier_.salt), verifier_.iterations);
  state_ = State::kSentFirst;
  return {.status = ScramStatus::kContinue, .message = server_first_, .reason = {}};
}

ScramStep ScramServer::on_client_final(std::string_view message) {
  if (state_ != State::kSentFirst) {
    return end(ScramStatus::kMalformed, "unexpected client-final-message: no exchange awaits it");
  }
  if (message.find('\0') != std::string_view::npos) {
    return end(ScramStatus::kMalformed, "client-final-message holds a NUL byte");
  }
  // "c=" base64(gs2 header) "," "r=" nonce ["," extensions] "," "p=" proof
  const std::vector<std::string_view> parts = split_attributes(message);
  if (parts.size() < 3) {
    return end(ScramStatus::kMalformed,
               "client-final-message is too short: expected c=, r= and p=");
  }
  const std::optional<std::string_view> binding = attribute(parts[0], 'c');
  if (!binding) return end(ScramStatus::kMalformed, "client-final-message has no c= first");
  if (*binding != base64_encode(gs2_header_)) {
    return end(ScramStatus::kMalformed,
               "the channel-binding attribute (c=) does not repeat the client-first-message's "
               "GS2 header");
  }
  const std::optional<std::string_view> nonce = attribute(parts[1], 'r');
  if (!nonce) return end(ScramStatus::kMalformed, "client-final-message has no r= second");
  if (*nonce != nonce_) {
    return end(ScramStatus::kMalformed, "the nonce (r=) is not the one the server sent");
  }
  for (std::size_t i = 2; i + 1 < parts.size(); ++i) {
    if (!is_extension(parts[i]) || parts[i].starts_with("p=")) {
      return end(ScramStatus::kMalformed, "client-final-message has a malformed attribute");
    }
  }
  const std::optional<std::string_view> proof_text = attribute(parts.back(), 'p');
  if (!proof_text) {
    return end(ScramStatus::kMalformed, "client-final-message has no proof (p=) last");
  }
  const std::optional<std::string> proof = base64_decode(*proof_text);
  if (!proof || proof->size() != kKeyLength) {
    return end(ScramStatus::kMalformed, "the proof (p=) is not 32 bytes of base64");
  }
  const std::string_view without_proof =
      message.substr(0, message.size() - parts.back().size() - 1);
  const std::string auth_message =
      fmt::format("{},{},{}", client_first_bare_, server_first_, without_proof);
  const std::string client_signature = hmac_sha256(verifier_.stored_key, auth_message);
  if (client_signature.size() != kKeyLength) {
    return end(ScramStatus::kAuthFailed, "HMAC failed (out of memory?)");
  }
  std::string client_key = exclusive_or(*proof, client_signature);
  const bool verified = equal_in_constant_time(sha256(client_key), verifier_.stored_key);
  wipe(client_key);
  if (!verified) {
    return end(ScramStatus::kAuthFailed, "wrong password: the SCRAM proof does not verify");
  }
  state_ = State::kEnded;
  const std::string server_signature = hmac_sha256(verifier_.server_key, auth_message);
  return {.status = ScramStatus::kDone,
          .message = fmt::format("v={}", base64_encode(server_signature)),
          .reason = {}};
}

// ---- Client ----

ScramClient::ScramClient(std::string password, std::string user, std::string client_nonce)
    : password_(std::move(password)), user_(std::move(user)), nonce_(std::move(client_nonce)) {}

ScramClient::~ScramClient() {
  wipe(password_);
  wipe(server_signature_);
}

ScramStep ScramClient::end(ScramStatus status, std::string reason) {
  state_ = State::kEnded;
  wipe(password_);
  return {.status = status, .message = {}, .reason = std::move(reason)};
}

ScramStep ScramClient::start() {
  if (state_ != State::kStart) return end(ScramStatus::kMalformed, "the exchange has started");
  if (nonce_.empty()) {
    std::optional<std::string> drawn = new_nonce();
    if (!drawn) return end(ScramStatus::kAuthFailed, "no random bytes for the client nonce");
    nonce_ = std::move(*drawn);
  }
  if (!is_printable(nonce_)) {
    return end(ScramStatus::kAuthFailed, "the client nonce is not printable");
  }
  client_first_bare_ = fmt::format("n={},r={}", escape_user(user_), nonce_);
  state_ = State::kSentFirst;
  return {.status = ScramStatus::kContinue,
          .message = fmt::format("n,,{}", client_first_bare_),
          .reason = {}};
}

ScramStep ScramClient::on_server_first(std::string_view message) {
  if (state_ != State::kSentFirst) {
    return end(ScramStatus::kMalformed, "unexpected server-first-message");
  }
  if (message.find('\0') != std::string_view::npos) {
    return end(ScramStatus::kMalformed, "server-first-message holds a NUL byte");
  }
  // "r=" nonce "," "s=" salt "," "i=" iterations ["," extensions]
  const std::vector<std::string_view> parts = split_attributes(message);
  if (parts[0].starts_with("m=")) {
    return end(ScramStatus::kMalformed, "the server requires a SCRAM extension (m=) not supported");
  }
  if (parts.size() < 3) {
    return end(ScramStatus::kMalformed,
               "server-first-message is too short: expected r=, s= and i=");
  }
  const std::optional<std::string_view> nonce = attribute(parts[0], 'r');
  if (!nonce) return end(ScramStatus::kMalformed, "server-first-message has no nonce (r=) first");
  if (!nonce->starts_with(nonce_) || nonce->size() == nonce_.size() || !is_printable(*nonce)) {
    return end(ScramStatus::kMalformed,
               "the server's nonce does not extend the client's with printable characters");
  }
  const std::optional<std::string_view> salt_text = attribute(parts[1], 's');
  const std::optional<std::string> salt = salt_text ? base64_decode(*salt_text) : std::nullopt;
  if (!salt || salt->empty()) {
    return end(ScramStatus::kMalformed, "server-first-message has no base64 salt (s=) second");
  }
  const std::optional<std::string_view> iterations_text = attribute(parts[2], 'i');
  const std::optional<int> iterations =
      iterations_text ? parse_iterations(*iterations_text) : std::nullopt;
  if (!iterations) {
    return end(ScramStatus::kMalformed,
               "server-first-message has no positive iteration count (i=) third");
  }
  for (std::size_t i = 3; i < parts.size(); ++i) {
    if (!is_extension(parts[i])) {
      return end(ScramStatus::kMalformed, "server-first-message has a malformed attribute");
    }
  }
  // A server may ask for any iteration count: PBKDF2 runs it here, as libpq does.
  std::string salted = pbkdf2_sha256(password_, *salt, *iterations);
  std::string client_key = hmac_sha256(salted, "Client Key");
  std::string server_key = hmac_sha256(salted, "Server Key");
  const std::string stored_key = sha256(client_key);
  const std::string without_proof = fmt::format("c={},r={}", base64_encode("n,,"), *nonce);
  const std::string auth_message =
      fmt::format("{},{},{}", client_first_bare_, message, without_proof);
  const std::string client_signature = hmac_sha256(stored_key, auth_message);
  const std::string proof = exclusive_or(client_key, client_signature);
  server_signature_ = hmac_sha256(server_key, auth_message);
  const bool derived = client_key.size() == kKeyLength && client_signature.size() == kKeyLength &&
                       server_signature_.size() == kKeyLength;
  wipe(salted);
  wipe(client_key);
  wipe(server_key);
  if (!derived) return end(ScramStatus::kAuthFailed, "key derivation failed (out of memory?)");
  state_ = State::kSentFinal;
  return {.status = ScramStatus::kContinue,
          .message = fmt::format("{},p={}", without_proof, base64_encode(proof)),
          .reason = {}};
}

ScramStep ScramClient::on_server_final(std::string_view message) {
  if (state_ != State::kSentFinal) {
    return end(ScramStatus::kMalformed, "unexpected server-final-message");
  }
  if (message.find('\0') != std::string_view::npos) {
    return end(ScramStatus::kMalformed, "server-final-message holds a NUL byte");
  }
  // ("e=" error / "v=" signature) ["," extensions]
  const std::vector<std::string_view> parts = split_attributes(message);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!is_extension(parts[i])) {
      return end(ScramStatus::kMalformed, "server-final-message has a malformed attribute");
    }
  }
  if (const std::optional<std::string_view> error = attribute(parts[0], 'e')) {
    return end(ScramStatus::kAuthFailed,
               fmt::format("the server refused: {}", printable_copy(*error)));
  }
  const std::optional<std::string_view> signature_text = attribute(parts[0], 'v');
  const std::optional<std::string> signature =
      signature_text ? base64_decode(*signature_text) : std::nullopt;
  if (!signature) {
    return end(ScramStatus::kMalformed, "server-final-message has neither v= (base64) nor e=");
  }
  if (!equal_in_constant_time(*signature, server_signature_)) {
    return end(ScramStatus::kAuthFailed,
               "the server's signature does not match: it does not know the password");
  }
  state_ = State::kEnded;
  wipe(password_);
  return {.status = ScramStatus::kDone, .message = {}, .reason = {}};
}

}  // namespace cutover::proxy
