// What the three splitter test files share: the shape of a case and how one is checked.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "db/statement.h"

namespace cutover::db {

using Expected = std::vector<std::pair<std::string, int>>;  // text, line

struct SplitCase {
  const char* name;
  std::string script;
  Expected expected;
};

struct ErrorCase {
  const char* name;
  std::string script;
  std::string message;
};

inline Expected texts_and_lines(const std::vector<Statement>& statements) {
  Expected out;
  for (const Statement& s : statements) out.emplace_back(s.text, s.line);
  return out;
}

// `split` must refuse the case's script with exactly its message, as bad input with a hint.
template <typename Split>
void expect_split_error(Split split, const ErrorCase& error_case) {
  try {
    split(error_case.script);
    FAIL() << "expected cutover::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_EQ(e.message(), error_case.message);
    EXPECT_FALSE(e.hint().empty());
  }
}

// Names each parameterized case after its `name` field.
struct CaseName {
  template <typename Case>
  std::string operator()(const testing::TestParamInfo<Case>& info) const {
    return info.param.name;
  }
};

}  // namespace cutover::db
