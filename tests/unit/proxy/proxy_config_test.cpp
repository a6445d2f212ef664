// The proxy's files: its config, the users file, the backend passfile, the state file it keeps
// across restarts; and the session state a switch replays.
#include "proxy/proxy_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "core/error.h"
#include "proxy/pgpass.h"
#include "proxy/proxy_state.h"
#include "proxy/session_state.h"
#include "proxy/sql_words.h"
#include "proxy/state_file.h"
#include "proxy/user_list.h"

namespace cutover::proxy {
namespace {

namespace fs = std::filesystem;

class ProxyFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cutover-proxy-files-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content, bool private_file = true) {
    fs::path path = dir_ / name;
    std::ofstream(path) << content;
    fs::permissions(path, private_file ? fs::perms::owner_read | fs::perms::owner_write
                                       : fs::perms::owner_read | fs::perms::owner_write |
                                             fs::perms::group_read | fs::perms::others_read);
    return path;
  }

  // The message of the Error(kBadInput) that `load` throws, or "" when it throws none.
  template <typename Load>
  std::string refusal(Load load) {
    try {
      load();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
      EXPECT_FALSE(e.hint().empty()) << e.message();
      return e.message();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(ProxyFiles, AConfigIsReadWithItsDefaultsAndPathsFromItsFolder) {
  auto file = write("proxy.yaml",
                    "listen: 0.0.0.0:7432\nbackends:\n  old: db1:5432\n  new: {address: "
                    "'[fd00::9]:5433', tls: true}\nusers: userlist.txt\nhold_limit: 2s\n");
  ProxyConfig config = load_proxy_config(file);
  EXPECT_EQ(config.listen.to_string(), "0.0.0.0:7432");
  EXPECT_EQ(config.admin.to_string(), "127.0.0.1:6433");
  ASSERT_EQ(config.backends.size(), 2u);
  EXPECT_EQ(config.active_backend, "old");
  EXPECT_EQ(config.backend("new")->address.host, "fd00::9");
  EXPECT_EQ(config.backend("new")->address.port, 5433);
  EXPECT_TRUE(config.backend("new")->tls);
  EXPECT_EQ(config.users_file, dir_ / "userlist.txt");
  EXPECT_EQ(config.hold_limit, std::chrono::milliseconds(2000));
}

TEST_F(ProxyFiles, EachMistakeInAConfigIsRefusedNamingTheKey) {
  const std::string base = "users: u.txt\n";
  for (const auto& [content, key] : std::vector<std::pair<std::string, std::string>>{
           {base, "backends"},
           {"backends: {a: db:5432}\n", "users"},
           {base + "backends: {a: db}\n", "backends.a"},
           {base + "backends: {a: db:99999}\n", "backends.a"},
           {base + "backends: {a: {address: db:1, tls: yes please}}\n", "backends.a.tls"},
           {base + "backends: {a: {port: 1}}\n", "backends.a.port"},
           {base + "backends: {a: db:1}\nactive: b\n", "active"},
           {base + "backends: {a: db:1}\nadmin: 0.0.0.0:1\n", "admin"},
           {base + "backends: {a: db:1}\ntls: {cert: c.pem}\n", "tls"},
           {base + "backends: {a: db:1}\nmax_clients: many\n", "max_clients"},
           {base + "backends: {a: db:1}\nhold_limit: soon\n", "hold_limit"},
           {base + "backends: {a: db:1}\nlisten_on: x\n", "listen_on"},
           {base + "backends: {a: db:1}\nstate_file: [a, b]\n", "state_file"},
       }) {
    auto file = write("bad.yaml", content);
    std::string message = refusal([&] { load_proxy_config(file); });
    EXPECT_NE(message.find(key), std::string::npos) << content << " -> " << message;
  }
  EXPECT_NE(refusal([&] { load_proxy_config(dir_); }).find("not a file"), std::string::npos);
}

TEST_F(ProxyFiles, AUsersFileHoldsVerifiersOnlyAndOnlyItsOwnerReadsIt) {
  auto good =
      write("users.txt", "; comment\n\"app\" \"md5" + std::string(32, 'a') +
                             "\"\n\"we\"\"ird\" \"SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5\"\n");
  UserList users = load_user_list(good);
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(users.count("we\"ird"), 1u);

  auto plaintext = write("plain.txt", "\"app\" \"hunter2\"\n");
  std::string message = refusal([&] { load_user_list(plaintext); });
  EXPECT_NE(message.find("not a SCRAM-SHA-256 or md5 verifier"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << "the password is not repeated";

  auto loose = write("loose.txt", "\"app\" \"md5" + std::string(32, 'a') + "\"\n", false);
  EXPECT_NE(refusal([&] { load_user_list(loose); }).find("readable"), std::string::npos);
  EXPECT_NE(refusal([&] { load_user_list(dir_); }).find("not a regular file"), std::string::npos);
  auto broken = write("broken.txt", "app md5aaaa\n");
  EXPECT_NE(refusal([&] { load_user_list(broken); }).find("broken.txt:1"), std::string::npos);
}

TEST_F(ProxyFiles, APassfileMatchesLikeLibpqAndMustBePrivate) {
  auto file =
      write("pgpass", "# comment\ndb1:5432:shop:app:first\n*:*:*:app:wild\\:card\nother:1:*:*:x\n");
  EXPECT_EQ(find_pgpass_password(file, "db1", 5432, "shop", "app"), "first");
  EXPECT_EQ(find_pgpass_password(file, "db2", 5432, "shop", "app"), "wild:card");
  EXPECT_EQ(find_pgpass_password(file, "db2", 5432, "shop", "bob"), std::nullopt);
  auto loose = write("loose-pgpass", "*:*:*:*:x\n", false);
  EXPECT_NE(refusal([&] { find_pgpass_password(loose, "h", 1, "d", "u"); }).find("readable"),
            std::string::npos);
}

TEST(SessionState, ReplaysWhatTheSessionSetUpAndForgetsWhatItUndid) {
  SessionState state;
  state.track_sql("SET search_path = app, public; SELECT 1");
  state.track_sql("set application_name to 'x'; SET LOCAL work_mem = '1MB'");
  state.track_sql("PREPARE q AS SELECT 1; PREPARE gone AS SELECT 2; DEALLOCATE gone");
  state.track_sql("LISTEN a; LISTEN \"B\"; UNLISTEN a");
  state.track_sql("UPDATE t SET v = 1");  // SET of UPDATE: nothing to replay
  state.track_parse("s1", "SELECT $1", "P-bytes-1");
  state.track_parse("s2", "SELECT 2", "P-bytes-2");
  state.track_close_statement("s2");
  state.track_parse("", "SELECT 3", "unnamed: not kept");

  EXPECT_EQ(
      state.replay_statements(),
      (std::vector<std::string>{"set application_name to 'x'", "SET search_path = app, public",
                                "PREPARE q AS SELECT 1", "LISTEN \"B\""}));
  EXPECT_EQ(state.replay_parses(), std::vector<std::string>{"P-bytes-1"});
  auto prepared = state.prepared_statements();
  EXPECT_EQ(prepared.size(), 2u);
  state.forget_statement("q");
  EXPECT_EQ(state.prepared_statements().size(), 1u);

  state.track_sql("RESET search_path");
  state.track_sql("DISCARD ALL");
  EXPECT_TRUE(state.empty());
}

TEST(SessionState, FindsAStatementAfterAnotherOrAfterComments) {
  SessionState state;
  state.track_sql("SELECT 1; /* why */ SET search_path = x");
  state.track_sql("-- a comment\n  listen z");
  state.track_sql("UPDATE t SET v = 1; SELECT ';'");
  auto replay = state.replay_statements();  // each as the client wrote it, comments and all
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_NE(replay[0].find("SET search_path = x"), std::string::npos) << replay[0];
  EXPECT_EQ(replay[1], "LISTEN \"z\"");
}

TEST(SqlWords, TheFirstWordOfEachStatementInAnyCase) {
  EXPECT_TRUE(some_statement_starts_with("COMMIT", {"commit", "end"}));
  EXPECT_TRUE(some_statement_starts_with("  /* x */ -- y\n End;", {"commit", "end"}));
  EXPECT_TRUE(some_statement_starts_with("SELECT 1; rollback", {"rollback"}));
  EXPECT_FALSE(some_statement_starts_with("SELECT 'commit'", {"commit"}));
  EXPECT_FALSE(some_statement_starts_with("ending", {"end"}));
  EXPECT_FALSE(some_statement_starts_with("/* unclosed commit", {"commit"}));
  EXPECT_FALSE(some_statement_starts_with("", {"commit"}));
}

TEST_F(ProxyFiles, TheStateFileIsBesideTheConfigUnlessNamed) {
  auto file = write("shop-proxy.yaml", "backends: {a: db:1}\nusers: u.txt\n");
  EXPECT_EQ(load_proxy_config(file).state_file, dir_ / "shop-proxy.state.json");
  auto named = write("named.yaml", "backends: {a: db:1}\nusers: u.txt\nstate_file: s/p.json\n");
  EXPECT_EQ(load_proxy_config(named).state_file, dir_ / "s" / "p.json");
  EXPECT_EQ(load_proxy_config(named, {{"state_file", "/var/lib/p.json"}}).state_file,
            "/var/lib/p.json");
}

TEST_F(ProxyFiles, AStateFileKeepsTheModeAndTheBackendWithTheirTimes) {
  fs::path file = dir_ / "proxy.state.json";
  EXPECT_FALSE(read_state_file(file).has_value());  // none yet: the config's defaults

  auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796406601123));
  write_state_file(file, {ProxyMode::kReadOnly, "new", at, at + std::chrono::seconds(5)});
  auto saved = read_state_file(file);
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->mode, ProxyMode::kReadOnly);
  EXPECT_EQ(saved->backend, "new");
  EXPECT_EQ(iso_time(saved->mode_since), "2026-12-04T17:50:01.123Z");
  EXPECT_EQ(saved->backend_since, at + std::chrono::seconds(5));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  write_state_file(file, {ProxyMode::kReadWrite, "old", at, at});  // replaced whole
  EXPECT_EQ(read_state_file(file)->mode, ProxyMode::kReadWrite);
  EXPECT_EQ(read_state_file(file)->backend, "old");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
}

TEST_F(ProxyFiles, ACorruptStateFileIsRefusedNamingItAndTheWayOut) {
  const std::string times = R"("mode_since": "2026-12-04T17:50:01.123Z",)"
                            R"( "backend_since": "2026-12-04T17:50:01.123Z")";
  for (const auto& [content, problem] : std::vector<std::pair<std::string, std::string>>{
           {"", "not valid JSON"},
           {R"({"version": 1, "mode": "read-on)", "not valid JSON"},
           {"[1]", "not a JSON object"},
           {R"({"mode": "read-only", "backend": "b", )" + times + "}", "not version 1"},
           {R"({"version": 1, "mode": "frozen", "backend": "b", )" + times + "}", "'frozen'"},
           {R"({"version": 1, "mode": "read-only", )" + times + "}", "no \"backend\""},
           {R"({"version": 1, "mode": "read-only", "backend": "b", "mode_since": "today", )"
            R"("backend_since": "2026-12-04T17:50:01.123Z"})",
            "'today'"},
       }) {
    auto file = write("proxy.state.json", content);
    std::string message = refusal([&] { read_state_file(file); });
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << content << " -> " << message;
  }
  EXPECT_EQ(exit_code(ErrorCode::kBadInput), 2);
  EXPECT_NE(refusal([&] { read_state_file(dir_); }).find("cannot be read"), std::string::npos);
}

TEST_F(ProxyFiles, AChangeThatCannotBePersistedIsNotMade) {
  EXPECT_NE(refusal([&] {
              require_writable_state_folder(dir_ / "missing" / "s.json");
            }).find("cannot write its state file"),
            std::string::npos);
  try {
    write_state_file(dir_ / "missing" / "s.json", {ProxyMode::kReadOnly, "a", {}, {}});
    ADD_FAILURE() << "written into a folder that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOperationFailed);
    EXPECT_NE(e.message().find("s.json"), std::string::npos) << e.message();
  }

  ProxyState state("a");
  std::vector<DurableState> persisted;
  state.persist_with([&](const DurableState& next) { persisted.push_back(next); });
  state.set_mode(ProxyMode::kReadOnly);
  state.set_active_backend("b");
  ASSERT_EQ(persisted.size(), 2u);
  EXPECT_EQ(persisted[1].mode, ProxyMode::kReadOnly);
  EXPECT_EQ(persisted[1].backend, "b");
  state.persist_with([](const DurableState&) { throw Error(ErrorCode::kOperationFailed, "full"); });
  EXPECT_THROW(state.set_mode(ProxyMode::kReadWrite), Error);
  EXPECT_THROW(state.set_active_backend("a"), Error);
  EXPECT_EQ(state.mode(), ProxyMode::kReadOnly);
  EXPECT_EQ(state.active_backend(), "b");
}

TEST(ProxyStateRestore, ARestoredReadOnlyModeReachesNewSessionsAndStatusSaysSo) {
  ProxyState state("old");
  auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796406601123));
  state.restore({ProxyMode::kReadOnly, "new", at, at}, "/var/lib/p.json");
  EXPECT_EQ(state.mode(), ProxyMode::kReadOnly);
  EXPECT_EQ(state.active_backend(), "new");
  EXPECT_NE(state.mode_generation(), 0u);  // a session starts at 0: it applies the mode
  auto status = state.status_json();
  EXPECT_EQ(status["restored"]["from"], "/var/lib/p.json");
  EXPECT_EQ(status["mode_since"], "2026-12-04T17:50:01.123Z");
  EXPECT_NE(status["changes"][0]["what"].get<std::string>().find("restored read-only"),
            std::string::npos);
}

}  // namespace
}  // namespace cutover::proxy
