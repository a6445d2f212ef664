// The migration scripts of one folder, read, checked and in the order they apply.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/output.h"
#include "core/shared_text.h"
#include "migrate/migration_file.h"
#include "migrate/placeholders.h"
#include "migrate/version.h"

namespace cutover::migrate {

struct MigrationScript {
  MigrationKind kind = MigrationKind::kVersioned;
  std::optional<Version> version;  // set for kVersioned only
  std::string description;         // as Flyway shows it: underscores turned into spaces
  std::string file_name;           // e.g. "V1__create_users.sql": Flyway's `script` column
  std::filesystem::path path;
  SharedText text;  // the raw file (a big one mapped, not read), before placeholder replacement
  // Flyway's checksum: flyway_checksum(text) for a versioned script; for a repeatable one, of
  // the text after placeholder replacement, so that a changed value applies it again.
  std::int32_t checksum = 0;
  MigrationOptions options;
  // The placeholders of `text` that have no value (load_migrations' `placeholders`). A script
  // with any cannot run, and a repeatable one's checksum is then that of the raw text.
  std::vector<MissingPlaceholder> missing_placeholders;
};

// Reads every migration in `folder` and its subfolders, as Flyway does (a file in a subfolder
// is named by its path below `folder`, "2024/V7__x.sql"). Files whose names do not end in `.sql`,
// Flyway callbacks (`afterMigrate.sql`, `beforeEachMigrate__x.sql`: see callbacks.h) and hidden
// files and folders (names starting with `.`, e.g. editor backups) are skipped. Returns
// versioned scripts by ascending version, then repeatable ones by description. `placeholders`
// are the values the scripts run with (built-ins included): Flyway checksums a repeatable
// script after replacing them (a versioned one before), and so does this.
// Throws Error(kBadInput):
// - naming the path when the folder cannot be read or is not a folder;
// - naming the file for a bad name (see parse_migration_file_name), an unreadable file, text
//   that is not UTF-8 (with its line) or a bad `-- cutover:` option;
// - naming both files when two versioned scripts have the same version (V1 and V1.0 are the
//   same) or two repeatable scripts the same description.
std::vector<MigrationScript> load_migrations(const std::filesystem::path& folder,
                                             const Placeholders& placeholders = {});

// Every file under `folder`, subfolders included, hidden ones (and hidden folders) skipped, in
// no particular order. Throws Error(kBadInput) naming the folder when it cannot be listed.
std::vector<std::filesystem::path> files_in_migration_folder(const std::filesystem::path& folder);

// Reads a script file as UTF-8 (mapped: see SharedText). Throws Error(kBadInput) naming
// `file_name` when it cannot be read, or with the line when it is not valid UTF-8.
SharedText read_script_file(const std::filesystem::path& path, const std::string& file_name);

// Warns on `output` as Flyway does when `scripts` is empty (a migrate that finds nothing is no
// error, but the folder is most likely wrong).
void warn_if_no_migrations(const std::vector<MigrationScript>& scripts, Output& output);

}  // namespace cutover::migrate
