// Error codes map to the exit codes DESIGN.md promises.
#include "core/error.h"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(Error, ExitCodes) {
  EXPECT_EQ(exit_code(ErrorCode::kOperationFailed), 1);
  EXPECT_EQ(exit_code(ErrorCode::kBadInput), 2);
  EXPECT_EQ(exit_code(ErrorCode::kConflict), 3);
  EXPECT_EQ(exit_code(ErrorCode::kVerificationFailed), 4);
}

TEST(Error, CarriesDatabaseFacts) {
  Error e = Error(ErrorCode::kOperationFailed, "write refused", "wait for the window to end")
                .with_sqlstate("25006")
                .with_vendor_code(1792)
                .with_db_failure(DbFailure::kStatement);
  EXPECT_EQ(e.sqlstate(), "25006");
  EXPECT_EQ(e.vendor_code(), 1792);
  EXPECT_EQ(e.db_failure(), DbFailure::kStatement);
  EXPECT_STREQ(e.what(), "write refused");
  EXPECT_EQ(e.hint(), "wait for the window to end");
}

TEST(Error, ThrowBadInput) {
  try {
    throw_bad_input("bad", "fix it");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_EQ(std::string(error_code_name(e.code())), "bad_input");
  }
}

}  // namespace
}  // namespace cutover
