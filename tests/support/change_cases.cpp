// The data-driven cases of tests/cases/change/.
#include "support/change_cases.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "db/registry.h"
#include "db/statement.h"

namespace cutover::test {

namespace fs = std::filesystem;

void PrintTo(const ChangeCaseParam& param, std::ostream* os) {
  *os << backend_name(param.backend) << "/" << param.name;
}

std::vector<ChangeCaseParam> find_change_cases(const fs::path& dir, Backend backend) {
  std::vector<ChangeCaseParam> cases;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_directory()) continue;
    if (backend != Backend::kPostgres && !fs::exists(change_case_setup(entry.path(), backend))) {
      continue;
    }
    cases.push_back({backend, entry.path().filename().string()});
  }
  std::sort(cases.begin(), cases.end(),
            [](const ChangeCaseParam& a, const ChangeCaseParam& b) { return a.name < b.name; });
  return cases;
}

std::string change_case_test_name(const testing::TestParamInfo<ChangeCaseParam>& info) {
  std::string name = info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void run_sql_file(const std::string& url, Backend backend, const fs::path& file) {
  auto connection = db::connect(url);
  const db::Flavor flavor = backend == Backend::kSqlite     ? db::Flavor::kSqlite
                            : backend == Backend::kPostgres ? db::Flavor::kPostgres
                                                            : db::Flavor::kMariaDb;
  for (const auto& statement : db::split_statements(flavor, read_text_file(file))) {
    try {
      connection->execute(statement.text);
    } catch (const Error& e) {
      throw std::runtime_error(file.string() + " line " + std::to_string(statement.line) + ": " +
                               e.what());
    }
  }
}

fs::path change_case_setup(const fs::path& case_dir, Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return case_dir / "setup.sqlite.sql";
    case Backend::kMariaDb:
    case Backend::kGalera:
      return case_dir / "setup.mariadb.sql";
    case Backend::kPostgres:
      break;
  }
  return case_dir / "setup.sql";
}

fs::path change_case_file(const fs::path& case_dir, Backend backend) {
  if (backend == Backend::kMariaDb || backend == Backend::kGalera) {
    fs::path own = case_dir / "change.mariadb.yaml";
    if (fs::exists(own)) return own;
  }
  return case_dir / "change.yaml";
}

}  // namespace cutover::test
