// The migration scripts of one folder, read, checked and in the order they apply.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "migrate/migration_file.h"
#include "migrate/version.h"

namespace cutover::migrate {

struct MigrationScript {
  MigrationKind kind = MigrationKind::kVersioned;
  std::optional<Version> version;  // set for kVersioned only
  std::string description;         // as Flyway shows it: underscores turned into spaces
  std::string file_name;           // e.g. "V1__create_users.sql": Flyway's `script` column
  std::filesystem::path path;
  std::string text;           // the raw file, before placeholder replacement
  std::int32_t checksum = 0;  // flyway_checksum(text)
  MigrationOptions options;
};

// Reads every migration in `folder` and its subfolders, as Flyway does (a file in a subfolder
// is named by its path below `folder`, "2024/V7__x.sql"). Files whose names do not end in `.sql`
// and hidden files and folders (names starting with `.`, e.g. editor backups) are skipped. Returns versioned
// scripts by ascending version, then repeatable ones by description.
// Throws Error(kBadInput):
// - naming the path when the folder cannot be read or is not a folder;
// - naming the file for a bad name (see parse_migration_file_name), an unreadable file, text
//   that is not UTF-8 (with its line) or a bad `-- cutover:` option;
// - naming both files when two versioned scripts have the same version (V1 and V1.0 are the
//   same) or two repeatable scripts the same description.
std::vector<MigrationScript> load_migrations(const std::filesystem::path& folder);

}  // namespace cutover::migrate
