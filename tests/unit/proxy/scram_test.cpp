// SCRAM-SHA-256: the RFC 7677 example byte for byte, a verifier libpq made, client and server
// against each other, wrong passwords, forged server signatures and malformed messages.
#include "proxy/scram.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proxy/base64.h"

namespace cutover::proxy {
namespace {

using namespace std::string_literals;

// RFC 7677 section 3.
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramVerifier rfc_verifier() {
  return derive_scram_verifier("pencil", base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value(), 4096);
}

// A verifier PostgreSQL 15's libpq made for "pencil": PQencryptPasswordConn(conn, "pencil",
// "app", "scram-sha-256").
constexpr std::string_view kLibpqVerifier =
    "SCRAM-SHA-256$4096:mRODGltJH7LKI+V9x2q7+g==$jV/Wa3gDRryJ2hJQ1taXcbyTrNsfFp2Ph5IgNEgZPFs=:"
    "GI0XC7ael5j7NW+A/iDM9LKnWleuAvgdAc8GcXBcgZk=";

// Runs a whole exchange; returns the server's and the client's last steps.
struct Outcome {
  ScramStep server;
  ScramStep client;
};

Outcome exchange(ScramServer& server, ScramClient& client) {
  ScramStep client_first = client.start();
  EXPECT_EQ(client_first.status, ScramStatus::kContinue) << client_first.reason;
  ScramStep server_first = server.on_client_first(client_first.message);
  if (server_first.status != ScramStatus::kContinue) return {server_first, {}};
  ScramStep client_final = client.on_server_first(server_first.message);
  if (client_final.status != ScramStatus::kContinue) return {server_first, client_final};
  ScramStep server_final = server.on_client_final(client_final.message);
  if (server_final.status != ScramStatus::kDone) return {server_final, {}};
  return {server_final, client.on_server_final(server_final.message)};
}

// The server's nonce out of its first message (between "r=" and ",s=").
std::string nonce_of(std::string_view server_first) {
  return std::string(server_first.substr(2, server_first.find(",s=") - 2));
}

TEST(Scram, Rfc7677ExampleByteForByte) {
  ScramClient client("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
  ScramServer server(rfc_verifier(), "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");

  ScramStep client_first = client.start();
  ASSERT_EQ(client_first.status, ScramStatus::kContinue);
  EXPECT_EQ(client_first.message, kRfcClientFirst);
  ScramStep server_first = server.on_client_first(client_first.message);
  ASSERT_EQ(server_first.status, ScramStatus::kContinue) << server_first.reason;
  EXPECT_EQ(server_first.message, kRfcServerFirst);
  EXPECT_EQ(server.client_user(), "user");
  ScramStep client_final = client.on_server_first(server_first.message);
  ASSERT_EQ(client_final.status, ScramStatus::kContinue) << client_final.reason;
  EXPECT_EQ(client_final.message, kRfcClientFinal);
  ScramStep server_final = server.on_client_final(client_final.message);
  ASSERT_EQ(server_final.status, ScramStatus::kDone) << server_final.reason;
  EXPECT_EQ(server_final.message, kRfcServerFinal);
  ScramStep done = client.on_server_final(server_final.message);
  EXPECT_EQ(done.status, ScramStatus::kDone) << done.reason;
}

TEST(Scram, VerifierOfTheRfcExampleInPostgresForm) {
  // The keys were checked independently with Python's hashlib.pbkdf2_hmac and hmac.
  EXPECT_EQ(format_scram_verifier(rfc_verifier()),
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
            "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
            "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
}

TEST(Scram, AVerifierLibpqMadeChecksThePassword) {
  std::string error;
  std::optional<ScramVerifier> verifier = parse_scram_verifier(kLibpqVerifier, &error);
  ASSERT_TRUE(verifier) << error;
  EXPECT_EQ(verifier->iterations, 4096);
  EXPECT_EQ(verifier->salt.size(), 16u);
  EXPECT_EQ(format_scram_verifier(*verifier), kLibpqVerifier);
  const ScramVerifier derived = derive_scram_verifier("pencil", verifier->salt, 4096);
  EXPECT_EQ(derived.stored_key, verifier->stored_key);
  EXPECT_EQ(derived.server_key, verifier->server_key);

  ScramServer server(*verifier);
  ScramClient client("pencil");
  Outcome outcome = exchange(server, client);
  EXPECT_EQ(outcome.server.status, ScramStatus::kDone) << outcome.server.reason;
  EXPECT_EQ(outcome.client.status, ScramStatus::kDone) << outcome.client.reason;

  ScramServer refusing(*verifier);
  ScramClient wrong("pencil ");
  EXPECT_EQ(exchange(refusing, wrong).server.status, ScramStatus::kAuthFailed);
}

TEST(Scram, RoundTripWithRandomNoncesForAPlaintextPasswordAndAVerifier) {
  const std::string password = "correct horse battery staple";
  // A plaintext password: the server derives a verifier with a fresh salt.
  ScramServer from_password(derive_scram_verifier(password, "0123456789abcdef", 4096));
  ScramClient client(password);
  Outcome outcome = exchange(from_password, client);
  EXPECT_EQ(outcome.server.status, ScramStatus::kDone) << outcome.server.reason;
  EXPECT_EQ(outcome.client.status, ScramStatus::kDone) << outcome.client.reason;
  EXPECT_EQ(from_password.client_user(), "");  // as libpq sends it

  // A verifier from a users file.
  const std::optional<std::string> text = make_scram_verifier(password);
  ASSERT_TRUE(text);
  const std::optional<ScramVerifier> verifier = parse_scram_verifier(*text);
  ASSERT_TRUE(verifier);
  ScramServer from_verifier(*verifier);
  ScramClient again(password, "app");
  outcome = exchange(from_verifier, again);
  EXPECT_EQ(outcome.server.status, ScramStatus::kDone) << outcome.server.reason;
  EXPECT_EQ(outcome.client.status, ScramStatus::kDone) << outcome.client.reason;
  EXPECT_EQ(from_verifier.client_user(), "app");
}

TEST(Scram, RandomNoncesDifferEachTime) {
  ScramClient a("pw"), b("pw");
  const std::string first = a.start().message, second = b.start().message;
  EXPECT_NE(first, second);
  EXPECT_EQ(first.size(), std::string("n,,n=,r=").size() + 24);  // 18 bytes in base64
  ScramServer s1(rfc_verifier()), s2(rfc_verifier());
  EXPECT_NE(nonce_of(s1.on_client_first("n,,n=,r=abc").message),
            nonce_of(s2.on_client_first("n,,n=,r=abc").message));
}

TEST(Scram, MakeScramVerifierDrawsANewSaltEachTime) {
  const std::optional<std::string> a = make_scram_verifier("pw"), b = make_scram_verifier("pw");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(a->starts_with("SCRAM-SHA-256$4096:"));
  const std::optional<ScramVerifier> parsed = parse_scram_verifier(*a);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->salt.size(), kScramSaltLength);
  const std::optional<std::string> fewer = make_scram_verifier("pw", 1000);
  ASSERT_TRUE(fewer);
  EXPECT_TRUE(fewer->starts_with("SCRAM-SHA-256$1000:"));
  EXPECT_EQ(make_scram_verifier("pw", 0), std::nullopt);
}

TEST(Scram, WrongPasswordIsRefusedAndEndsTheExchange) {
  ScramServer server(rfc_verifier());
  ScramClient client("pencils");
  Outcome outcome = exchange(server, client);
  EXPECT_EQ(outcome.server.status, ScramStatus::kAuthFailed);
  EXPECT_EQ(outcome.server.reason, "wrong password: the SCRAM proof does not verify");
  EXPECT_EQ(outcome.server.message, "");
  EXPECT_EQ(server.on_client_final("c=biws,r=x,p=y").status, ScramStatus::kMalformed);
}

TEST(Scram, ClientDetectsATamperedServerSignature) {
  ScramClient client("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
  ASSERT_EQ(client.start().status, ScramStatus::kContinue);
  ASSERT_EQ(client.on_server_first(kRfcServerFirst).status, ScramStatus::kContinue);
  std::string forged(kRfcServerFinal);
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  ScramStep step = client.on_server_final(forged);
  EXPECT_EQ(step.status, ScramStatus::kAuthFailed);
  EXPECT_EQ(step.reason, "the server's signature does not match: it does not know the password");
  EXPECT_EQ(client.on_server_final(kRfcServerFinal).status, ScramStatus::kMalformed);  // over
}

TEST(Scram, ClientRefusesAServerThatKnowsAnotherPassword) {
  ScramServer impostor(derive_scram_verifier("other", "saltsaltsaltsalt", 4096));
  ScramClient client("pencil");
  ScramStep first = client.start();
  ScramStep server_first = impostor.on_client_first(first.message);
  ScramStep client_final = client.on_server_first(server_first.message);
  ASSERT_EQ(client_final.status, ScramStatus::kContinue);
  // The impostor cannot verify the proof; were it to answer anyway, its signature is wrong.
  EXPECT_EQ(impostor.on_client_final(client_final.message).status, ScramStatus::kAuthFailed);
  ScramStep step = client.on_server_final("v=" + base64_encode(std::string(32, 'x')));
  EXPECT_EQ(step.status, ScramStatus::kAuthFailed);
}

TEST(Scram, ClientReportsAServerError) {
  ScramClient client("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
  client.start();
  client.on_server_first(kRfcServerFirst);
  ScramStep step = client.on_server_final("e=invalid-proof");
  EXPECT_EQ(step.status, ScramStatus::kAuthFailed);
  EXPECT_EQ(step.reason, "the server refused: invalid-proof");
}

TEST(Scram, MalformedClientFirstMessagesAreRefusedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "client-first-message is too short: expected a GS2 header, n= and r="},
      {"n,,n=", "client-first-message is too short: expected a GS2 header, n= and r="},
      {"n,,n=,", "client-first-message has no nonce (r=)"},
      {"p=tls-server-end-point,,n=,r=abc",
       "the client asks for channel binding (p=), but only SCRAM-SHA-256 without it was offered"},
      {"x,,n=,r=abc", "client-first-message does not start with a channel-binding flag n, y or p"},
      {"n,a=admin,n=,r=abc",
       "the client sent an authorization identity (a=), which is not supported"},
      {"n,admin,n=,r=abc", "client-first-message has a malformed GS2 header"},
      {"n,,m=ext,n=,r=abc", "the client requires a SCRAM extension (m=) not supported"},
      {"n,,r=abc,n=", "client-first-message has no user name (n=)"},
      {"n,,n=us=er,r=abc", "the user name holds '=' not followed by 2C or 3D"},
      {"n,,n=,x=abc", "client-first-message has no nonce (r=)"},
      {"n,,n=,r=", "the client nonce is empty or not printable"},
      {"n,,n=,r=ab\x01"
       "c",
       "the client nonce is empty or not printable"},
      {"n,,n=,r=ab c", "the client nonce is empty or not printable"},
      {"n,,n=,r=abc,1=x", "client-first-message has a malformed attribute"},
      {"n,,n=,r=abc,", "client-first-message has a malformed attribute"},
      {"n,,n=,r=a\0bc"s, "client-first-message holds a NUL byte"},
  };
  for (const auto& [message, reason] : cases) {
    ScramServer server(rfc_verifier());
    ScramStep step = server.on_client_first(message);
    EXPECT_EQ(step.status, ScramStatus::kMalformed) << message;
    EXPECT_EQ(step.reason, reason) << message;
    EXPECT_EQ(server.on_client_final("c=biws,r=abc,p=x").status, ScramStatus::kMalformed);
  }
  // Extensions after the nonce are allowed, and 'y' (could bind, server offers no -PLUS) too.
  ScramServer with_extension(rfc_verifier());
  EXPECT_EQ(with_extension.on_client_first("y,,n=,r=abc,x=ext").status, ScramStatus::kContinue);
}

TEST(Scram, MalformedClientFinalMessagesAreRefusedWithAReason) {
  // A valid final message to take apart: the RFC exchange with the RFC's nonces.
  const std::string nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "client-final-message is too short: expected c=, r= and p="},
      {"c=biws,r=" + nonce, "client-final-message is too short: expected c=, r= and p="},
      {"r=" + nonce + ",c=biws," + proof, "client-final-message has no c= first"},
      {"c=eSws,r=" + nonce + "," + proof,
       "the channel-binding attribute (c=) does not repeat the client-first-message's GS2 header"},
      {"c=biws,p=abc,r=" + nonce, "client-final-message has no r= second"},
      {"c=biws,r=rOprNGfwEbeRWgbNEkqO," + proof, "the nonce (r=) is not the one the server sent"},
      {"c=biws,r=" + nonce + "x," + proof, "the nonce (r=) is not the one the server sent"},
      {"c=biws,r=" + nonce + ",p=!!!!", "the proof (p=) is not 32 bytes of base64"},
      {"c=biws,r=" + nonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ",
       "the proof (p=) is not 32 bytes of base64"},
      {"c=biws,r=" + nonce + ",p=AAAA", "the proof (p=) is not 32 bytes of base64"},
      {"c=biws,r=" + nonce + ",x=1", "client-final-message has no proof (p=) last"},
      {"c=biws,r=" + nonce + "," + proof + ",x=1",
       "client-final-message has a malformed attribute"},
      {"c=biws,r=" + nonce + ",," + proof, "client-final-message has a malformed attribute"},
      {"c=biws,r=" + nonce + "," + proof + "\0"s, "client-final-message holds a NUL byte"},
  };
  for (const auto& [message, reason] : cases) {
    ScramServer server(rfc_verifier(), "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    ASSERT_EQ(server.on_client_first(kRfcClientFirst).status, ScramStatus::kContinue);
    ScramStep step = server.on_client_final(message);
    EXPECT_EQ(step.status, ScramStatus::kMalformed) << message;
    EXPECT_EQ(step.reason, reason) << message;
  }
  // An extension before the proof is allowed; it is part of what the proof signs, so the
  // RFC's proof no longer verifies.
  ScramServer server(rfc_verifier(), "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  server.on_client_first(kRfcClientFirst);
  EXPECT_EQ(server.on_client_final("c=biws,r=" + nonce + ",x=1," + proof).status,
            ScramStatus::kAuthFailed);
}

TEST(Scram, ChannelBindingFlagYMustBeRepeatedInTheFinalMessage) {
  ScramServer server(rfc_verifier());
  ScramStep first = server.on_client_first("y,,n=,r=abc");
  ASSERT_EQ(first.status, ScramStatus::kContinue);
  ScramStep step = server.on_client_final("c=biws,r=" + nonce_of(first.message) +
                                          ",p=" + base64_encode(std::string(32, 'p')));
  EXPECT_EQ(step.status, ScramStatus::kMalformed);
  ScramServer again(rfc_verifier());
  first = again.on_client_first("y,,n=,r=abc");
  step = again.on_client_final("c=eSws,r=" + nonce_of(first.message) +
                               ",p=" + base64_encode(std::string(32, 'p')));
  EXPECT_EQ(step.status, ScramStatus::kAuthFailed);  // well-formed, wrong proof
}

TEST(Scram, StepsOutOfOrderAreRefused) {
  ScramServer server(rfc_verifier());
  EXPECT_EQ(server.on_client_final(kRfcClientFinal).status, ScramStatus::kMalformed);
  EXPECT_EQ(server.on_client_first(kRfcClientFirst).status, ScramStatus::kMalformed);  // over

  ScramServer twice(rfc_verifier());
  ASSERT_EQ(twice.on_client_first(kRfcClientFirst).status, ScramStatus::kContinue);
  EXPECT_EQ(twice.on_client_first(kRfcClientFirst).status, ScramStatus::kMalformed);

  ScramClient client("pencil");
  EXPECT_EQ(client.on_server_first(kRfcServerFirst).status, ScramStatus::kMalformed);
  EXPECT_EQ(client.start().status, ScramStatus::kMalformed);
  ScramClient early("pencil");
  early.start();
  EXPECT_EQ(early.on_server_final(kRfcServerFinal).status, ScramStatus::kMalformed);
}

TEST(Scram, ClientRefusesMalformedServerFirstMessages) {
  const std::string ours = "rOprNGfwEbeRWgbNEkqO";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "server-first-message is too short: expected r=, s= and i="},
      {"m=x,r=" + ours + "x,s=QUJD,i=1",
       "the server requires a SCRAM extension (m=) not supported"},
      {"s=QUJD,r=" + ours + "x,i=1", "server-first-message has no nonce (r=) first"},
      {"r=" + ours + ",s=QUJD,i=1",
       "the server's nonce does not extend the client's with printable characters"},
      {"r=other" + ours + ",s=QUJD,i=1",
       "the server's nonce does not extend the client's with printable characters"},
      {"r=" + ours + "x y,s=QUJD,i=1",
       "the server's nonce does not extend the client's with printable characters"},
      {"r=" + ours + "x,s=QUJ,i=1", "server-first-message has no base64 salt (s=) second"},
      {"r=" + ours + "x,s=,i=1", "server-first-message has no base64 salt (s=) second"},
      {"r=" + ours + "x,i=1,s=QUJD", "server-first-message has no base64 salt (s=) second"},
      {"r=" + ours + "x,s=QUJD,i=0",
       "server-first-message has no positive iteration count (i=) third"},
      {"r=" + ours + "x,s=QUJD,i=-5",
       "server-first-message has no positive iteration count (i=) third"},
      {"r=" + ours + "x,s=QUJD,i=4096x",
       "server-first-message has no positive iteration count (i=) third"},
      {"r=" + ours + "x,s=QUJD,i=99999999999",
       "server-first-message has no positive iteration count (i=) third"},
      {"r=" + ours + "x,s=QUJD,i=1,", "server-first-message has a malformed attribute"},
      {"r=" + ours + "x,s=QUJD,i=1\0"s, "server-first-message holds a NUL byte"},
  };
  for (const auto& [message, reason] : cases) {
    ScramClient client("pencil", "", ours);
    ASSERT_EQ(client.start().status, ScramStatus::kContinue);
    ScramStep step = client.on_server_first(message);
    EXPECT_EQ(step.status, ScramStatus::kMalformed) << message;
    EXPECT_EQ(step.reason, reason) << message;
  }
  ScramClient client("pencil", "", ours);
  client.start();
  EXPECT_EQ(client.on_server_first("r=" + ours + "x,s=QUJD,i=1,x=ext").status,
            ScramStatus::kContinue);
}

TEST(Scram, ClientRefusesMalformedServerFinalMessages) {
  for (const std::string message :
       {"", "v=", "v=!!!!", "x=abc", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,"}) {
    ScramClient client("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
    client.start();
    ASSERT_EQ(client.on_server_first(kRfcServerFirst).status, ScramStatus::kContinue);
    ScramStep step = client.on_server_final(message);
    EXPECT_NE(step.status, ScramStatus::kDone) << message;
    EXPECT_NE(step.reason, "") << message;
  }
}

TEST(Scram, UserNamesAreEscapedBothWays) {
  ScramClient client("pencil", "a,b=c", "nonce");
  ScramStep first = client.start();
  EXPECT_EQ(first.message, "n,,n=a=2Cb=3Dc,r=nonce");
  ScramServer server(rfc_verifier());
  ASSERT_EQ(server.on_client_first(first.message).status, ScramStatus::kContinue);
  EXPECT_EQ(server.client_user(), "a,b=c");
}

TEST(Scram, VerifierParseErrorsNameThePartNotTheText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"md5abc", "it does not start with SCRAM-SHA-256$"},
      {"SCRAM-SHA-256$4096:abcd", "no '$' before the keys"},
      {"SCRAM-SHA-256$4096abcd$a:b", "no ':' between iterations and salt"},
      {"SCRAM-SHA-256$4096:QUJD$ab", "no ':' between the keys"},
      {"SCRAM-SHA-256$0:QUJD$a:b", "the iteration count is not a positive number"},
      {"SCRAM-SHA-256$x:QUJD$a:b", "the iteration count is not a positive number"},
      {"SCRAM-SHA-256$4096:QUJ$a:b", "the salt is not base64"},
      {"SCRAM-SHA-256$4096:$a:b", "the salt is not base64"},
      {"SCRAM-SHA-256$4096:QUJD$QUJD:b", "the stored key is not 32 bytes base64"},
  };
  for (const auto& [text, why] : cases) {
    std::string error;
    EXPECT_EQ(parse_scram_verifier(text, &error), std::nullopt) << text;
    EXPECT_EQ(error, "not a SCRAM-SHA-256 verifier: " + why) << text;
  }
  std::string text(kLibpqVerifier);
  text.back() = '!';
  std::string error;
  EXPECT_EQ(parse_scram_verifier(text, &error), std::nullopt);
  EXPECT_EQ(error, "not a SCRAM-SHA-256 verifier: the server key is not 32 bytes base64");
  EXPECT_EQ(parse_scram_verifier(text), std::nullopt);  // no error wanted
}

TEST(Scram, AnUnusableVerifierAcceptsNoOne) {
  ScramServer server(ScramVerifier{});
  ScramStep step = server.on_client_first("n,,n=,r=abc");
  EXPECT_EQ(step.status, ScramStatus::kAuthFailed);
  EXPECT_EQ(step.reason, "no usable SCRAM verifier");
}

// Garbled messages, deterministic: every one ends in a status and, unless accepted, a reason.
TEST(ScramFuzz, GarbledMessagesNeverCrashEitherSide) {
  std::mt19937 random(7677);
  auto garble = [&](std::string text) {
    const std::size_t edits = 1 + random() % 4;
    for (std::size_t i = 0; i < edits && !text.empty(); ++i) {
      const std::size_t at = random() % text.size();
      switch (random() % 4) {
        case 0:
          text[at] = static_cast<char>(random() & 0xff);
          break;
        case 1:
          text.erase(at, 1 + random() % 8);
          break;
        case 2:
          text.insert(at, 1 + random() % 3, "=,rpcnvesi\0"[random() % 11]);
          break;
        default:
          text = text.substr(0, at);
          break;
      }
    }
    return text;
  };
  auto expect_settled = [](const ScramStep& step) {
    if (step.status == ScramStatus::kAuthFailed || step.status == ScramStatus::kMalformed) {
      EXPECT_FALSE(step.reason.empty());
      EXPECT_TRUE(step.message.empty());
    } else {
      EXPECT_TRUE(step.reason.empty());
    }
  };
  const ScramVerifier verifier = derive_scram_verifier("pencil", "saltsaltsaltsalt", 1);
  const std::string rfc_server_first_without_iterations(
      kRfcServerFirst.substr(0, kRfcServerFirst.find(",i=")));
  for (int round = 0; round < 2000; ++round) {
    // Server: a garbled first message, or a good one and a garbled final message.
    ScramServer server(verifier, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    if (round % 2 == 0) {
      expect_settled(server.on_client_first(garble(std::string(kRfcClientFirst))));
    } else {
      ASSERT_EQ(server.on_client_first(kRfcClientFirst).status, ScramStatus::kContinue);
      // (A garbled message may still verify: an extension after the proof, or a changed
      // unused bit of the proof's last base64 character.)
      expect_settled(server.on_client_final(garble(std::string(kRfcClientFinal))));
    }
    // Client: a garbled server-first (one iteration: a garbled count could ask for billions),
    // or a good one and a garbled server-final.
    ScramClient client("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
    ASSERT_EQ(client.start().status, ScramStatus::kContinue);
    if (round % 2 == 0) {
      expect_settled(client.on_server_first(garble(rfc_server_first_without_iterations) + ",i=1"));
    } else {
      ASSERT_EQ(client.on_server_first(rfc_server_first_without_iterations + ",i=1").status,
                ScramStatus::kContinue);
      expect_settled(client.on_server_final(garble(std::string(kRfcServerFinal))));
    }
    std::string error;
    if (!parse_scram_verifier(garble(std::string(kLibpqVerifier)), &error)) {
      EXPECT_FALSE(error.empty());
    }
  }
}

}  // namespace
}  // namespace cutover::proxy
