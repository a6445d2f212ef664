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

TEST(Error, ContextKeepsEveryDatabaseFact) {
  Error cause = Error(ErrorCode::kConflict, "Lock wait timeout exceeded", "retry later")
                    .with_sqlstate("HY000")
                    .with_vendor_code(1205)
                    .with_db_failure(DbFailure::kStatement);
  Error prefixed = cause.with_context("V2__x.sql: statement 3 (line 7)");
  EXPECT_EQ(prefixed.message(), "V2__x.sql: statement 3 (line 7): Lock wait timeout exceeded");
  EXPECT_STREQ(prefixed.what(), prefixed.message().c_str());
  EXPECT_EQ(prefixed.hint(), "retry later") << "an empty hint keeps the cause's";
  EXPECT_EQ(prefixed.code(), ErrorCode::kConflict);
  EXPECT_EQ(prefixed.sqlstate(), "HY000");
  EXPECT_EQ(prefixed.vendor_code(), 1205);
  EXPECT_EQ(prefixed.db_failure(), DbFailure::kStatement);

  EXPECT_EQ(cause.with_context("x", "do this").hint(), "do this");

  Error told = cause.restated(ErrorCode::kOperationFailed, "gave up", "raise --retry-for");
  EXPECT_EQ(told.code(), ErrorCode::kOperationFailed);
  EXPECT_EQ(told.message(), "gave up");
  EXPECT_EQ(told.hint(), "raise --retry-for");
  EXPECT_EQ(told.sqlstate(), "HY000");
  EXPECT_EQ(told.vendor_code(), 1205);
  EXPECT_EQ(told.db_failure(), DbFailure::kStatement);
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
