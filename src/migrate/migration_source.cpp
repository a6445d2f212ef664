// The migration scripts of one folder, read, checked and in the order they apply.
#include "migrate/migration_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>

#include "core/error.h"
#include "core/output.h"
#include "migrate/callbacks.h"
#include "migrate/checksum.h"

namespace cutover::migrate {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `bytes` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 if it is not one. Java's decoder, which Flyway
// reads files with, refuses exactly these.
size_t utf8_sequence_length(std::string_view bytes) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (bytes.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// `text` starts at line `first_line` of the file.
void check_utf8(const std::string& file_name, std::string_view text, int first_line) {
  int line = first_line;
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      throw_bad_input(fmt::format("{}:{}: not valid UTF-8", file_name, line),
                      "save the file as UTF-8 (Flyway's default encoding too)");
    }
    if (text[i] == '\n') ++line;
    i += length;
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    throw_bad_input(fmt::format("cannot read migration file '{}'", path.string()),
                    "check that it is a readable file and that this user may read it");
  }
  return text;
}

SharedText map_script_file(const std::filesystem::path& path, const std::string& file_name) {
  try {
    return SharedText::map_file(path);
  } catch (const std::system_error& e) {
    throw_bad_input(fmt::format("cannot read migration file '{}': {}", file_name, e.what()),
                    "check that it is a readable file and that this user may read it");
  }
}

// `file_name` is the path below the migrations folder: Flyway's `script`, "2024/V7__x.sql".
// The file is read in one pass, a piece at a time (see SharedText::for_each_piece), so that a
// big one is never held in memory whole.
MigrationScript load_script(const std::filesystem::path& path, const std::string& file_name,
                            MigrationFileName name, const Placeholders& placeholders) {
  SharedText text = map_script_file(path, file_name);
  // Flyway drops a byte-order mark (its checksum skips it too): the database never sees it.
  if (text.view().starts_with("\xEF\xBB\xBF")) text = text.without_prefix(3);
  MigrationScript script{.kind = name.kind,
                         .version = std::move(name.version),
                         .description = std::move(name.description),
                         .file_name = file_name,
                         .path = path,
                         .text = text,
                         .checksum = 0,
                         .options = parse_migration_options(file_name, text.view()),
                         .missing_placeholders = {}};
  // Flyway (SqlMigrationResolver): a repeatable script's checksum is taken after placeholder
  // replacement, a versioned one's from the raw file (and a repeatable one's too while a
  // placeholder has no value: it cannot run then anyway).
  const bool filled_checksum = script.kind == MigrationKind::kRepeatable;
  FlywayChecksum raw, filled;
  int line = 1;
  text.for_each_piece([&](std::string_view piece) {
    check_utf8(file_name, piece, line);
    std::vector<MissingPlaceholder> missing =
        find_missing_placeholders(piece, placeholders, file_name);
    for (MissingPlaceholder& m : missing) m.line += line - 1;
    script.missing_placeholders.insert(script.missing_placeholders.end(), missing.begin(),
                                       missing.end());
    raw.add(piece);
    if (filled_checksum && script.missing_placeholders.empty()) {
      filled.add(replace_placeholders(piece, placeholders, file_name));
    }
    line += static_cast<int>(std::count(piece.begin(), piece.end(), '\n'));
  });
  script.checksum =
      filled_checksum && script.missing_placeholders.empty() ? filled.value() : raw.value();
  // Flyway's script configuration file, `V1__x.sql.conf` next to the script.
  std::filesystem::path conf = path;
  conf += ".conf";
  if (std::error_code ignored; std::filesystem::is_regular_file(conf, ignored)) {
    apply_flyway_script_config(conf.filename().string(), parse_properties(read_file(conf)),
                               script.options);
  }
  return script;
}

}  // namespace

SharedText read_script_file(const std::filesystem::path& path, const std::string& file_name) {
  SharedText text = map_script_file(path, file_name);
  int line = 1;
  text.for_each_piece([&](std::string_view piece) {
    check_utf8(file_name, piece, line);
    line += static_cast<int>(std::count(piece.begin(), piece.end(), '\n'));
  });
  return text;
}

void warn_if_no_migrations(const std::vector<MigrationScript>& scripts, Output& output) {
  // Flyway's own words (DbValidate), so that users searching for them find the cause.
  if (scripts.empty()) output.warn("No migrations found. Are your locations set up correctly?");
}

// Every file under `folder`, subfolders included (as Flyway scans them), hidden ones skipped.
std::vector<std::filesystem::path> files_in_migration_folder(const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::recursive_directory_iterator entries(folder, error);
  std::vector<std::filesystem::path> files;
  for (; !error && entries != std::filesystem::recursive_directory_iterator();
       entries.increment(error)) {
    if (entries->path().filename().string().starts_with('.')) {
      entries.disable_recursion_pending();  // .git, editor folders, backups
      continue;
    }
    std::error_code ignored;  // a broken link is kept: reading it names the problem
    if (!entries->is_directory(ignored)) files.push_back(entries->path());
  }
  if (error) {
    throw_bad_input(
        fmt::format("cannot read migrations folder '{}': {}", folder.string(), error.message()),
        "pass the folder that holds your V<version>__<description>.sql files, and "
        "check that it exists and that this user may list it");
  }
  return files;
}

namespace {

[[noreturn]] void throw_duplicate(const MigrationScript& a, const MigrationScript& b,
                                  std::string_view what) {
  throw_bad_input(
      fmt::format("migration files '{}' and '{}' have the same {}", a.file_name, b.file_name, what),
      "rename one of them; every versioned migration needs its own version (1 and "
      "1.0 are the same) and every repeatable one its own description");
}

bool applies_before(const MigrationScript& a, const MigrationScript& b) {
  if (a.kind != b.kind) return a.kind == MigrationKind::kVersioned;
  if (a.kind == MigrationKind::kVersioned) return *a.version < *b.version;
  return a.description < b.description;
}

// Scripts that would take the same row in the history table sort next to each other.
void check_no_duplicates(const std::vector<MigrationScript>& sorted) {
  for (size_t i = 1; i < sorted.size(); ++i) {
    const MigrationScript& a = sorted[i - 1];
    const MigrationScript& b = sorted[i];
    if (applies_before(a, b)) continue;
    throw_duplicate(
        a, b,
        a.kind == MigrationKind::kVersioned
            ? fmt::format("version ({} and {})", a.version->to_string(), b.version->to_string())
            : fmt::format("description ('{}')", a.description));
  }
}

}  // namespace

std::vector<MigrationScript> load_migrations(const std::filesystem::path& folder,
                                             const Placeholders& placeholders) {
  std::vector<MigrationScript> scripts;
  for (const auto& path : files_in_migration_folder(folder)) {
    const std::string base_name = path.filename().string();
    if (is_callback_file_name(base_name)) continue;
    if (auto name = parse_migration_file_name(base_name)) {
      // In a subfolder, Flyway's `script` is the path below the folder: "2024/V7__x.sql".
      scripts.push_back(load_script(path, path.lexically_relative(folder).generic_string(),
                                    std::move(*name), placeholders));
    }
  }
  // Directory order is arbitrary: sort by file name first so that errors and ties are stable.
  std::sort(scripts.begin(), scripts.end(),
            [](const auto& a, const auto& b) { return a.file_name < b.file_name; });
  std::stable_sort(scripts.begin(), scripts.end(), applies_before);
  check_no_duplicates(scripts);
  return scripts;
}

}  // namespace cutover::migrate
