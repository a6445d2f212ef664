// The move state store on SQLite: created 0600, one row per move, one row per event.
#include "move/move_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "db/registry.h"

namespace cutover::move {
namespace {

namespace fs = std::filesystem;

constexpr int kSchemaVersion = 2;  // 2: move_facts

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS moves (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "id TEXT NOT NULL UNIQUE, step TEXT NOT NULL, plan TEXT NOT NULL, "
    "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS move_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "move_id TEXT NOT NULL REFERENCES moves (id), at TEXT NOT NULL, step TEXT NOT NULL, "
    "what TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS move_facts (move_id TEXT NOT NULL REFERENCES moves (id), "
    "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (move_id, key))",
};

constexpr const char* kSelectMove = "SELECT id, step, plan, created_at, updated_at FROM moves";

[[noreturn]] void throw_file_error(const std::string& what, const std::string& path, int err) {
  throw Error(ErrorCode::kBadInput,
              fmt::format("cannot {} the move state store {}: {}", what, path, std::strerror(err)),
              "choose another file with --state FILE, or fix the folder's permissions");
}

// Creates the missing folders above `file` with mode 0700, then the file itself with mode 0600
// when it does not exist; an existing file is narrowed to 0600.
void create_private_file(const fs::path& file) {
  std::vector<fs::path> missing;
  for (fs::path dir = file.parent_path(); !dir.empty() && !fs::exists(dir);
       dir = dir.parent_path()) {
    missing.push_back(dir);
    if (dir == dir.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      throw_file_error("create the folder of", file.string(), errno);
    }
  }
  int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) throw_file_error("create", file.string(), errno);
  int rc = ::fchmod(fd, 0600);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw_file_error("restrict the permissions of", file.string(), err);
}

std::string new_move_id() {
  static std::random_device device;
  std::uniform_int_distribution<std::uint32_t> hex(0, 0xffffffffu);
  return fmt::format("mv-{:08x}", hex(device));
}

}  // namespace

Error conflict_error(const MoveConflict& conflict) {
  return Error(ErrorCode::kConflict,
               fmt::format("move {} ({}) already holds {} as its {}", conflict.move_id,
                           step_name(conflict.step), conflict.database, conflict.role),
               fmt::format("finish that move or abort it (cutover move abort {}); a database "
                           "takes part in one move at a time",
                           conflict.move_id));
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::string MoveStore::default_path() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return (fs::path(xdg) / "cutover" / "moves.db").string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return (fs::path(home) / ".local" / "state" / "cutover" / "moves.db").string();
  }
  throw_bad_input(
      "neither XDG_STATE_HOME nor HOME is set, so the move state store has no "
      "default place",
      "name one with --state FILE");
}

MoveStore::MoveStore(std::string path, std::unique_ptr<db::Connection> connection)
    : path_(std::move(path)), connection_(std::move(connection)) {}

MoveStore MoveStore::open(const std::string& path) {
  create_private_file(path);
  MoveStore store(path, db::connect("sqlite:" + fs::absolute(path).string()));
  store.ensure_schema();
  return store;
}

std::optional<MoveStore> MoveStore::open_existing(const std::string& path) {
  if (!fs::exists(path)) return std::nullopt;
  return open(path);
}

void MoveStore::ensure_schema() {
  connection_->begin();
  try {
    for (const char* statement : kSchema) connection_->execute(statement);
    connection_->execute("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('schema', $1)",
                         {std::to_string(kSchemaVersion)});
    auto version =
        connection_->query("SELECT value FROM store_meta WHERE key = 'schema'").scalar().as_int();
    if (version < kSchemaVersion) {  // the tables above are all a newer format adds
      connection_->execute("UPDATE store_meta SET value = $1 WHERE key = 'schema'",
                           {std::to_string(kSchemaVersion)});
      version = kSchemaVersion;
    }
    connection_->commit();
    if (version > kSchemaVersion) {
      throw Error(ErrorCode::kOperationFailed,
                  fmt::format("the move state store {} has format {}, newer than this cutover's {}",
                              path_, version, kSchemaVersion),
                  "use the cutover that wrote it, or another file with --state FILE");
    }
  } catch (...) {
    connection_->rollback();
    throw;
  }
}

MoveRecord MoveStore::load(const db::Row& row) {
  MoveRecord record;
  record.id = row.at(0).text();
  record.step = parse_step(row.at(1).text());
  try {
    record.plan = MovePlan::from_json(nlohmann::json::parse(row.at(2).text()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(
        ErrorCode::kOperationFailed,
        fmt::format("the plan of move {} in {} is not JSON: {}", record.id, path_, e.what()),
        "the state file was changed by hand");
  }
  record.created_at = row.at(3).text();
  record.updated_at = row.at(4).text();
  auto events = connection_->query(
      "SELECT at, step, what FROM move_events WHERE move_id = $1 ORDER BY seq", {record.id});
  for (const auto& e : events.rows) {
    record.events.push_back({e.at(0).text(), e.at(1).text(), e.at(2).text()});
  }
  return record;
}

std::optional<MoveConflict> MoveStore::find_conflict(const MovePlan& plan) {
  std::vector<std::string> wanted = plan.source_keys();
  for (const auto& key : plan.target_keys()) wanted.push_back(key);
  for (const auto& record : list()) {
    if (!holds_databases(record.step)) continue;
    for (const auto& [role, keys] : {std::pair{"source", record.plan.source_keys()},
                                     std::pair{"target", record.plan.target_keys()}}) {
      for (const auto& key : keys) {
        for (const auto& w : wanted) {
          if (w == key) return MoveConflict{record.id, record.step, key, role};
        }
      }
    }
    // Two read_only freezes of one server would undo each other: the first abort lifts both.
    for (const auto& server : record.plan.frozen_servers()) {
      for (const auto& w : plan.frozen_servers()) {
        if (w == server) {
          return MoveConflict{record.id, record.step, "server " + server,
                              "read_only-frozen source (move that server's databases together)"};
        }
      }
    }
  }
  return std::nullopt;
}

void MoveStore::log_event(const std::string& id, MoveStep step, const std::string& what,
                          const std::string& at) {
  connection_->execute("INSERT INTO move_events (move_id, at, step, what) VALUES ($1, $2, $3, $4)",
                       {id, at, step_name(step), what});
}

MoveRecord MoveStore::create(const MovePlan& plan, const std::string& what) {
  std::string id;
  connection_->begin();  // BEGIN IMMEDIATE: one writer decides at a time
  try {
    if (auto conflict = find_conflict(plan)) throw conflict_error(*conflict);
    do {
      id = new_move_id();
    } while (!connection_->query("SELECT 1 FROM moves WHERE id = $1", {id}).empty());
    std::string now = utc_now();
    connection_->execute(
        "INSERT INTO moves (id, step, plan, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        {id, step_name(MoveStep::kCreated), plan.to_json().dump(), now});
    log_event(id, MoveStep::kCreated, what, now);
    connection_->commit();
  } catch (...) {
    connection_->rollback();
    throw;
  }
  return *find(id);
}

std::optional<MoveRecord> MoveStore::find(const std::string& id) {
  auto result = connection_->query(std::string(kSelectMove) + " WHERE id = $1", {id});
  if (result.empty()) return std::nullopt;
  return load(result.rows.front());
}

std::optional<MoveRecord> MoveStore::latest() {
  auto result = connection_->query(std::string(kSelectMove) + " ORDER BY seq DESC LIMIT 1");
  if (result.empty()) return std::nullopt;
  return load(result.rows.front());
}

std::vector<MoveRecord> MoveStore::list() {
  std::vector<MoveRecord> records;
  for (const auto& row : connection_->query(std::string(kSelectMove) + " ORDER BY seq").rows) {
    records.push_back(load(row));
  }
  return records;
}

MoveRecord MoveStore::advance(const std::string& id, MoveStep from, MoveStep to,
                              const std::string& what) {
  connection_->begin();
  try {
    std::string now = utc_now();
    auto changed = connection_->execute(
        "UPDATE moves SET step = $1, updated_at = $2 WHERE id = $3 AND step = $4",
        {step_name(to), now, id, step_name(from)});
    if (changed != 1) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("move {} is no longer at step {}", id, step_name(from)),
                  fmt::format("another command changed it meanwhile: cutover move status {}", id));
    }
    log_event(id, to, what, now);
    connection_->commit();
  } catch (...) {
    connection_->rollback();
    throw;
  }
  return *find(id);
}

void MoveStore::set_fact(const std::string& id, const std::string& key,
                         const nlohmann::json& value) {
  connection_->execute(
      "INSERT INTO move_facts (move_id, key, value) VALUES ($1, $2, $3) "
      "ON CONFLICT (move_id, key) DO UPDATE SET value = excluded.value",
      {id, key, value.dump()});
}

std::optional<nlohmann::json> MoveStore::fact(const std::string& id, const std::string& key) {
  auto result =
      connection_->query("SELECT value FROM move_facts WHERE move_id = $1 AND key = $2", {id, key});
  if (result.empty()) return std::nullopt;
  return nlohmann::json::parse(result.scalar().text());
}

std::map<std::string, nlohmann::json> MoveStore::facts(const std::string& id,
                                                       const std::string& prefix) {
  std::map<std::string, nlohmann::json> out;
  auto result = connection_->query(
      "SELECT key, value FROM move_facts WHERE move_id = $1 AND substr(key, 1, length($2)) = $2",
      {id, prefix});
  for (const auto& row : result.rows) out[row[0].text()] = nlohmann::json::parse(row[1].text());
  return out;
}

void MoveStore::erase_facts(const std::string& id, const std::string& prefix) {
  connection_->execute(
      "DELETE FROM move_facts WHERE move_id = $1 AND substr(key, 1, length($2)) = $2",
      {id, prefix});
}

void MoveStore::log(const std::string& id, const std::string& what) {
  auto record = find(id);
  if (!record) return;
  log_event(id, record->step, what, utc_now());
  connection_->execute("UPDATE moves SET updated_at = $1 WHERE id = $2", {utc_now(), id});
}

std::string MoveStore::folder_of(const std::string& id) const {
  fs::path store(path_);
  return (store.parent_path() / (store.filename().string() + ".d") / id).string();
}

std::string MoveStore::work_folder(const std::string& id) {
  std::string folder = folder_of(id);
  create_private_file(fs::path(folder) / "lock");
  return folder;
}

void MoveStore::remove_work_folder(const std::string& id) {
  fs::path folder = folder_of(id);
  std::error_code ignored;
  fs::remove_all(folder, ignored);  // <store>.d stays: another move may be making its folder
}

StepLock::StepLock(const std::string& folder, const std::string& id) {
  std::string path = folder + "/lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) throw_file_error("open the lock of", path, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw Error(ErrorCode::kConflict,
                fmt::format("another cutover is running a step of move {} right now", id),
                fmt::format("wait for it to finish (cutover move status {}); a step killed with "
                            "kill -9 lets go at once",
                            id));
  }
}

bool StepLock::held(const std::string& folder) {
  std::string path = folder + "/lock";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return busy;
}

StepLock::~StepLock() {
  if (fd_ >= 0) ::close(fd_);  // closing lets go of the flock
}

}  // namespace cutover::move
