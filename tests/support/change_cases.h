// The data-driven cases of tests/cases/change/ (one folder each, format in its README.md):
// finding them and setting up a database for one.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "support/test_servers.h"

namespace cutover::test {

struct ChangeCaseParam {
  Backend backend;
  std::string name;  // the folder's name
};

void PrintTo(const ChangeCaseParam& param, std::ostream* os);

// Every folder of `dir`, sorted; on SQLite only those with a setup.sqlite.sql, on MariaDB and
// Galera only those with a setup.mariadb.sql.
std::vector<ChangeCaseParam> find_change_cases(const std::filesystem::path& dir, Backend backend);

// The folder's name as a gtest name (characters other than letters and digits become '_').
std::string change_case_test_name(const testing::TestParamInfo<ChangeCaseParam>& info);

// The whole of a file; throws std::runtime_error naming it when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Runs the statements of `file` (split as migrate splits them) on `url`; throws
// std::runtime_error naming the file and line of a failing statement.
void run_sql_file(const std::string& url, Backend backend, const std::filesystem::path& file);

// The case's setup file for `backend`: setup.sql, setup.sqlite.sql on SQLite, setup.mariadb.sql
// on MariaDB and Galera.
std::filesystem::path change_case_setup(const std::filesystem::path& case_dir, Backend backend);

// The case's change file for `backend`: change.yaml, or change.mariadb.yaml on MariaDB and
// Galera when the folder has one (for what MariaDB spells or refuses differently).
std::filesystem::path change_case_file(const std::filesystem::path& case_dir, Backend backend);

}  // namespace cutover::test
