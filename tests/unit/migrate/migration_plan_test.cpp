// The migration plan: which files are pending, what is wrong, and what `info` shows, for every
// way the files on disk and the history rows can disagree.
#include "migrate/migration_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

namespace cutover::migrate {
namespace {

std::string underscored(std::string text) {
  std::replace(text.begin(), text.end(), ' ', '_');
  return text;
}

MigrationScript versioned(const std::string& version, const std::string& description,
                          std::int32_t checksum) {
  MigrationScript script;
  script.kind = MigrationKind::kVersioned;
  script.version = Version::parse(version);
  script.description = description;
  script.file_name = "V" + version + "__" + underscored(description) + ".sql";
  script.checksum = checksum;
  return script;
}

MigrationScript repeatable(const std::string& description, std::int32_t checksum) {
  MigrationScript script;
  script.kind = MigrationKind::kRepeatable;
  script.description = description;
  script.file_name = "R__" + underscored(description) + ".sql";
  script.checksum = checksum;
  return script;
}

HistoryRow applied(std::int32_t rank, const std::string& version, const std::string& description,
                   std::optional<std::int32_t> checksum, bool success = true) {
  HistoryRow row;
  row.installed_rank = rank;
  row.version = version;
  row.description = description;
  row.type = "SQL";
  row.script = "V" + version + "__" + underscored(description) + ".sql";
  row.checksum = checksum;
  row.installed_by = "app";
  row.installed_on = "2024-05-01 10:00:0" + std::to_string(rank % 10);
  row.success = success;
  return row;
}

HistoryRow applied_repeatable(std::int32_t rank, const std::string& description,
                              std::int32_t checksum, bool success = true) {
  HistoryRow row = applied(rank, "0", description, checksum, success);
  row.version.reset();
  row.script = "R__" + underscored(description) + ".sql";
  return row;
}

HistoryRow baseline(std::int32_t rank, const std::string& version) {
  HistoryRow row = applied(rank, version, "<< Flyway Baseline >>", std::nullopt);
  row.type = "BASELINE";
  row.script = "<< Flyway Baseline >>";
  return row;
}

std::vector<std::string> pending_files(const MigrationPlan& plan) {
  std::vector<std::string> files;
  for (const auto& script : plan.pending) files.push_back(script.file_name);
  return files;
}

std::vector<ProblemKind> problem_kinds(const MigrationPlan& plan) {
  std::vector<ProblemKind> kinds;
  for (const auto& problem : plan.problems) kinds.push_back(problem.kind);
  return kinds;
}

// The state `info` shows for the row whose script is `script`; fails when there is none or
// several.
MigrationState state_of(const MigrationPlan& plan, const std::string& script) {
  std::vector<MigrationState> states;
  for (const auto& row : plan.info) {
    if (row.script == script) states.push_back(row.state);
  }
  EXPECT_EQ(states.size(), 1u) << "info rows for " << script;
  return states.empty() ? MigrationState::kPending : states.front();
}

std::string describe(const MigrationPlan& plan) {
  std::string out;
  for (const auto& problem : plan.problems) {
    out += std::string(problem_kind_name(problem.kind)) + ": " + problem.message + " / " +
           problem.hint + "\n";
  }
  return out;
}

using Strings = std::vector<std::string>;

// --- pending versioned scripts ---

TEST(MigrationPlan, EmptyDatabaseHasEverythingPendingVersionedFirstByVersion) {
  auto plan =
      plan_migrations({versioned("2", "b", 2), versioned("1.10", "d", 4), versioned("1", "a", 1),
                       repeatable("views", 9), versioned("1.9", "c", 3)},
                      {});
  EXPECT_EQ(pending_files(plan),
            (Strings{"V1__a.sql", "V1.9__c.sql", "V1.10__d.sql", "V2__b.sql", "R__views.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_FALSE(plan.current);
  ASSERT_EQ(plan.info.size(), 5u);
  for (const auto& row : plan.info) EXPECT_EQ(row.state, MigrationState::kPending) << row.script;
  EXPECT_EQ(plan.info.back().script, "R__views.sql");
  EXPECT_FALSE(plan.info.back().version);
  EXPECT_FALSE(plan.info.front().installed_rank);
}

TEST(MigrationPlan, FullyAppliedHasNothingPendingAndNoProblems) {
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2", "b", -2)},
                              {applied(1, "1", "a", 1), applied(2, "2", "b", -2)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  ASSERT_TRUE(plan.current);
  EXPECT_EQ(plan.current->to_string(), "2");
  EXPECT_EQ(state_of(plan, "V1__a.sql"), MigrationState::kSuccess);
  EXPECT_EQ(state_of(plan, "V2__b.sql"), MigrationState::kSuccess);
  EXPECT_EQ(plan.info[0].installed_rank, 1);
  EXPECT_EQ(plan.info[0].installed_on, "2024-05-01 10:00:01");
}

TEST(MigrationPlan, OnlyNewerVersionsArePending) {
  auto plan =
      plan_migrations({versioned("1", "a", 1), versioned("2", "b", 2), versioned("3", "c", 3)},
                      {applied(1, "1", "a", 1)});
  EXPECT_EQ(pending_files(plan), (Strings{"V2__b.sql", "V3__c.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

TEST(MigrationPlan, VersionOneAndOnePointZeroAreTheSameMigration) {
  // Flyway stores the version as written; `1` on disk matches `1.0` in the history and back.
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2.0", "b", 2)},
                              {applied(1, "1.0", "a", 1), applied(2, "2", "b", 2)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(plan.info.size(), 2u);  // matched, not listed once as applied and once on disk
}

TEST(MigrationPlan, UnderscoreVersionsMatchDottedHistoryVersions) {
  MigrationScript script = versioned("1.1", "a", 1);
  script.file_name = "V1_1__a.sql";
  auto plan = plan_migrations({script}, {applied(1, "1.1", "a", 1)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

TEST(MigrationPlan, VersionsCompareAsNumbers) {
  auto plan = plan_migrations({versioned("1.9", "a", 1), versioned("1.10", "b", 2)},
                              {applied(1, "1.9", "a", 1)});
  EXPECT_EQ(pending_files(plan), (Strings{"V1.10__b.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

// --- applied files that changed or went away ---

TEST(MigrationPlan, EditedAppliedFileIsAChecksumMismatchShowingBothChecksums) {
  auto plan = plan_migrations({versioned("1", "create users", -123456789), versioned("2", "b", 2)},
                              {applied(1, "1", "create users", 987654321)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kChecksumMismatch})) << describe(plan);
  const Problem& problem = plan.problems[0];
  EXPECT_NE(problem.message.find("V1__create_users.sql"), std::string::npos) << problem.message;
  EXPECT_NE(problem.message.find("version 1"), std::string::npos) << problem.message;
  EXPECT_NE(problem.message.find("987654321"), std::string::npos) << problem.message;
  EXPECT_NE(problem.message.find("-123456789"), std::string::npos) << problem.message;
  EXPECT_NE(problem.hint.find("cutover migrate repair"), std::string::npos) << problem.hint;
  // The edited file is not applied again; the new one still is.
  EXPECT_EQ(pending_files(plan), (Strings{"V2__b.sql"}));
  EXPECT_EQ(state_of(plan, "V1__create_users.sql"), MigrationState::kSuccess);
}

TEST(MigrationPlan, AppliedRowWithoutChecksumAgainstAFileIsAMismatch) {
  auto plan = plan_migrations({versioned("1", "a", 5)}, {applied(1, "1", "a", std::nullopt)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kChecksumMismatch}));
  EXPECT_NE(plan.problems[0].message.find("checksum none in the history, 5 on disk"),
            std::string::npos)
      << plan.problems[0].message;
}

TEST(MigrationPlan, RenamedAppliedFileIsADescriptionMismatch) {
  auto plan =
      plan_migrations({versioned("1", "create accounts", 1)}, {applied(1, "1", "create users", 1)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kDescriptionMismatch}));
  const Problem& problem = plan.problems[0];
  EXPECT_NE(problem.message.find("\"create users\""), std::string::npos) << problem.message;
  EXPECT_NE(problem.message.find("\"create accounts\""), std::string::npos) << problem.message;
  EXPECT_NE(problem.hint.find("V1__create_users.sql"), std::string::npos) << problem.hint;
  EXPECT_NE(problem.hint.find("cutover migrate repair"), std::string::npos) << problem.hint;
  EXPECT_TRUE(plan.pending.empty());
}

TEST(MigrationPlan, AppliedFileMissingOnDiskIsReportedByNameAndVersion) {
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("3", "c", 3)},
      {applied(1, "1", "a", 1), applied(2, "2", "gone", 2), applied(3, "3", "c", 3)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kMissing})) << describe(plan);
  EXPECT_NE(plan.problems[0].message.find("version 2 (V2__gone.sql)"), std::string::npos)
      << plan.problems[0].message;
  EXPECT_NE(plan.problems[0].hint.find("V2__gone.sql"), std::string::npos);
  EXPECT_EQ(state_of(plan, "V2__gone.sql"), MigrationState::kMissing);
  EXPECT_TRUE(plan.pending.empty());
}

TEST(MigrationPlan, AppliedVersionAboveEveryFileIsFuture) {
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("2", "b", 2)},
      {applied(1, "1", "a", 1), applied(2, "2", "b", 2), applied(3, "3", "newer release", 3)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kFutureVersion})) << describe(plan);
  EXPECT_NE(plan.problems[0].message.find("version 3 (V3__newer_release.sql)"), std::string::npos)
      << plan.problems[0].message;
  EXPECT_NE(plan.problems[0].message.find("the newest is version 2"), std::string::npos)
      << plan.problems[0].message;
  EXPECT_EQ(state_of(plan, "V3__newer_release.sql"), MigrationState::kFuture);
  EXPECT_EQ(plan.current->to_string(), "3");
  EXPECT_TRUE(plan.pending.empty());
}

TEST(MigrationPlan, EverythingIsFutureWhenNoVersionedFileIsOnDisk) {
  auto plan = plan_migrations({}, {applied(1, "1", "a", 1)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kFutureVersion}));
  EXPECT_NE(plan.problems[0].message.find("there are no versioned files"), std::string::npos);
}

// --- failures recorded in the history ---

TEST(MigrationPlan, FailedMigrationNeedsRepairAndIsNotRetriedUntilThen) {
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2", "add index", 2)},
                              {applied(1, "1", "a", 1), applied(2, "2", "add index", 2, false)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kFailed})) << describe(plan);
  const Problem& problem = plan.problems[0];
  EXPECT_NE(problem.message.find("version 2 (V2__add_index.sql)"), std::string::npos)
      << problem.message;
  EXPECT_NE(problem.message.find("installed_rank 2"), std::string::npos) << problem.message;
  EXPECT_NE(problem.hint.find("cutover migrate repair"), std::string::npos) << problem.hint;
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_EQ(state_of(plan, "V2__add_index.sql"), MigrationState::kFailed);
  EXPECT_EQ(plan.current->to_string(), "1");  // a failed version is not current

  // After repair removed the row, the file is pending again.
  auto repaired = plan_migrations({versioned("1", "a", 1), versioned("2", "add index", 2)},
                                  {applied(1, "1", "a", 1)});
  EXPECT_EQ(pending_files(repaired), (Strings{"V2__add_index.sql"}));
}

TEST(MigrationPlan, FailedMigrationWhoseFileIsGoneIsStillAFailure) {
  auto plan = plan_migrations({versioned("1", "a", 1)},
                              {applied(1, "1", "a", 1), applied(2, "2", "b", 2, false)});
  EXPECT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kFailed})) << describe(plan);
}

TEST(MigrationPlan, AnEarlierFailureFollowedBySuccessIsNotAProblem) {
  auto plan = plan_migrations({versioned("1", "a", 1)},
                              {applied(1, "1", "a", 1, false), applied(2, "1", "a", 1)});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(plan.info[0].state, MigrationState::kFailed);
  EXPECT_EQ(plan.info[1].state, MigrationState::kSuccess);
}

// --- out of order ---

TEST(MigrationPlan, NewVersionBelowTheHighestAppliedIsRefused) {
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("1.5", "late fix", 15),
                               versioned("2", "b", 2), versioned("3", "c", 3)},
                              {applied(1, "1", "a", 1), applied(2, "2", "b", 2)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kOutOfOrder})) << describe(plan);
  const Problem& problem = plan.problems[0];
  EXPECT_NE(problem.message.find("V1.5__late_fix.sql (version 1.5)"), std::string::npos)
      << problem.message;
  EXPECT_NE(problem.message.find("already at version 2"), std::string::npos) << problem.message;
  EXPECT_NE(problem.hint.find("--out-of-order"), std::string::npos) << problem.hint;
  EXPECT_EQ(pending_files(plan), (Strings{"V3__c.sql"}));
  EXPECT_EQ(state_of(plan, "V1.5__late_fix.sql"), MigrationState::kIgnored);
}

TEST(MigrationPlan, OutOfOrderOptionAppliesItFirst) {
  PlanOptions options;
  options.out_of_order = true;
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("1.5", "late fix", 15),
                               versioned("2", "b", 2), versioned("3", "c", 3)},
                              {applied(1, "1", "a", 1), applied(2, "2", "b", 2)}, options);
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(pending_files(plan), (Strings{"V1.5__late_fix.sql", "V3__c.sql"}));
  EXPECT_EQ(state_of(plan, "V1.5__late_fix.sql"), MigrationState::kPending);
}

TEST(MigrationPlan, AnAppliedOutOfOrderMigrationIsSimplyApplied) {
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("1.5", "x", 15), versioned("2", "b", 2)},
      {applied(1, "1", "a", 1), applied(2, "2", "b", 2), applied(3, "1.5", "x", 15)});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_EQ(plan.current->to_string(), "2");
}

// --- target ---

TEST(MigrationPlan, TargetStopsAtItsVersion) {
  PlanOptions options;
  options.target = Version::parse("2");
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2", "b", 2),
                               versioned("2.1", "c", 3), versioned("3", "d", 4)},
                              {applied(1, "1", "a", 1)}, options);
  EXPECT_EQ(pending_files(plan), (Strings{"V2__b.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(state_of(plan, "V2.1__c.sql"), MigrationState::kAboveTarget);
  EXPECT_EQ(state_of(plan, "V3__d.sql"), MigrationState::kAboveTarget);
}

TEST(MigrationPlan, TargetWrittenDifferentlyStillIncludesItsVersion) {
  PlanOptions options;
  options.target = Version::parse("2.0.0");
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2", "b", 2)}, {}, options);
  EXPECT_EQ(pending_files(plan), (Strings{"V1__a.sql", "V2__b.sql"}));
}

TEST(MigrationPlan, TargetBelowTheCurrentVersionLeavesNothingPendingAndNoProblem) {
  PlanOptions options;
  options.target = Version::parse("1");
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("2", "b", 2)},
                              {applied(1, "1", "a", 1), applied(2, "2", "b", 2)}, options);
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

TEST(MigrationPlan, RepeatablesRunWhateverTheTarget) {
  PlanOptions options;
  options.target = Version::parse("1");
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("2", "b", 2), repeatable("views", 7)}, {}, options);
  EXPECT_EQ(pending_files(plan), (Strings{"V1__a.sql", "R__views.sql"}));
}

// --- baseline ---

TEST(MigrationPlan, BaselineCountsEverythingUpToItsVersionAsApplied) {
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("2", "b", 2), versioned("3", "c", 3)}, {baseline(1, "2")});
  EXPECT_EQ(pending_files(plan), (Strings{"V3__c.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(plan.current->to_string(), "2");
  EXPECT_EQ(state_of(plan, "<< Flyway Baseline >>"), MigrationState::kBaseline);
  EXPECT_EQ(state_of(plan, "V1__a.sql"), MigrationState::kBelowBaseline);
  // The file at the baseline's version is stood for by the baseline row.
  EXPECT_EQ(std::count_if(plan.info.begin(), plan.info.end(),
                          [](const InfoRow& row) { return row.script == "V2__b.sql"; }),
            0);
}

TEST(MigrationPlan, BaselineWrittenAsOnePointZeroCoversVersionOne) {
  auto plan =
      plan_migrations({versioned("1", "a", 1), versioned("2", "b", 2)}, {baseline(1, "1.0")});
  EXPECT_EQ(pending_files(plan), (Strings{"V2__b.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

TEST(MigrationPlan, FilesBelowTheBaselineAreNotOutOfOrderEvenAfterLaterMigrations) {
  auto plan =
      plan_migrations({versioned("1", "a", 1), versioned("5", "b", 5), versioned("6", "c", 6)},
                      {baseline(1, "5"), applied(2, "6", "c", 6)});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_EQ(state_of(plan, "V1__a.sql"), MigrationState::kBelowBaseline);
  EXPECT_EQ(plan.current->to_string(), "6");
}

TEST(MigrationPlan, BaselineAloneWithNoFilesIsNoProblem) {
  auto plan = plan_migrations({}, {baseline(1, "1")});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(plan.current->to_string(), "1");
}

// --- repeatable scripts ---

TEST(MigrationPlan, RepeatableThatNeverRanIsPendingAfterVersionedOnes) {
  auto plan = plan_migrations(
      {repeatable("a views", 1), versioned("1", "a", 1), repeatable("b procs", 2)}, {});
  EXPECT_EQ(pending_files(plan), (Strings{"V1__a.sql", "R__a_views.sql", "R__b_procs.sql"}));
}

TEST(MigrationPlan, UnchangedRepeatableIsNotPending) {
  auto plan = plan_migrations({repeatable("views", -7)}, {applied_repeatable(1, "views", -7)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(state_of(plan, "R__views.sql"), MigrationState::kSuccess);
}

TEST(MigrationPlan, ChangedRepeatableRunsAgainAndItsLastRunIsOutdated) {
  auto plan = plan_migrations({versioned("1", "a", 1), repeatable("views", 8)},
                              {applied(1, "1", "a", 1), applied_repeatable(2, "views", 7)});
  EXPECT_EQ(pending_files(plan), (Strings{"R__views.sql"}));
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);  // a changed repeatable is no problem
  ASSERT_EQ(plan.info.size(), 3u);
  EXPECT_EQ(plan.info[1].state, MigrationState::kOutdated);
  EXPECT_EQ(plan.info[2].state, MigrationState::kPending);
  EXPECT_EQ(plan.info[2].script, "R__views.sql");
}

TEST(MigrationPlan, OnlyTheLatestRunOfARepeatableCounts) {
  auto plan = plan_migrations({repeatable("views", 2)}, {applied_repeatable(1, "views", 1),
                                                         applied_repeatable(2, "views", 2)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_EQ(plan.info[0].state, MigrationState::kSuperseded);
  EXPECT_EQ(plan.info[1].state, MigrationState::kSuccess);

  // A text other than the latest run's that no run had before runs.
  auto changed = plan_migrations({repeatable("views", 3)}, {applied_repeatable(1, "views", 1),
                                                            applied_repeatable(2, "views", 2)});
  EXPECT_EQ(pending_files(changed), (Strings{"R__views.sql"}));
  EXPECT_TRUE(changed.problems.empty()) << describe(changed);
}

// Back to the text an earlier run had: an older release's file (its instances start again
// while a newer release rolls out), which would put back what the newer release replaced, and
// the newer release's instances theirs after it. Not applied; a warning (migrate goes on).
TEST(MigrationPlan, ARepeatableBackToAnEarlierRunsTextIsAnOlderReleasesAndIsNotApplied) {
  auto plan = plan_migrations({repeatable("views", 1)}, {applied_repeatable(1, "views", 1),
                                                         applied_repeatable(2, "views", 2)});
  EXPECT_TRUE(plan.pending.empty()) << describe(plan);
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kOlderRepeatable}));
  EXPECT_NE(plan.problems[0].message.find(
                "R__views.sql is not applied: its content is the one applied at rank 1"),
            std::string::npos)
      << plan.problems[0].message;
  EXPECT_NE(plan.problems[0].hint.find("change the file"), std::string::npos);
  ASSERT_EQ(plan.info.size(), 3u);  // the two runs, then the file
  EXPECT_EQ(plan.info[2].state, MigrationState::kSuperseded);

  // A failed earlier run with that text does not count.
  auto failed = plan_migrations({repeatable("views", 1)}, {applied_repeatable(1, "views", 1, false),
                                                           applied_repeatable(2, "views", 2)});
  EXPECT_EQ(pending_files(failed), (Strings{"R__views.sql"}));

  // The older release (content 1, first applied before content 2) put its content back over
  // the newer one's, as Flyway or an earlier cutover did: the newer release's file is applied,
  // not called an older release's (a stranger's history A, B, A kept A for good).
  auto put_back = plan_migrations({repeatable("views", 2)}, {applied_repeatable(1, "views", 1),
                                                             applied_repeatable(2, "views", 2),
                                                             applied_repeatable(3, "views", 1)});
  EXPECT_TRUE(put_back.problems.empty()) << describe(put_back);
  EXPECT_EQ(pending_files(put_back), (Strings{"R__views.sql"}));
}

// An instance of an older release (the database has versions above all its files) does not
// apply its repeatable, changed or never applied: the newer release's would stay replaced for
// good, since that one's content would then count as an earlier run's (a stranger's rolling
// deploy: release B, then an instance of release A, left A's view in place).
TEST(MigrationPlan, AnOlderReleasesRepeatableIsNotAppliedOverANewerReleasesDatabase) {
  const std::vector<HistoryRow> history = {applied(1, "1", "items", 11),
                                           applied(2, "2", "price", 12),
                                           applied_repeatable(3, "views", 20)};
  auto plan = plan_migrations({versioned("1", "items", 11), repeatable("views", 10)}, history);
  EXPECT_TRUE(plan.pending.empty()) << describe(plan);
  ASSERT_EQ(problem_kinds(plan),
            (std::vector{ProblemKind::kFutureVersion, ProblemKind::kOlderRepeatable}));
  EXPECT_NE(plan.problems[1].message.find("R__views.sql is not applied: the database is at "
                                          "version 2, newer than every file here (the newest "
                                          "is version 1)"),
            std::string::npos)
      << plan.problems[1].message;
  EXPECT_EQ(plan.info.back().state, MigrationState::kSuperseded);

  // Never applied before: not applied either.
  auto fresh = plan_migrations({versioned("1", "items", 11), repeatable("stats", 30)}, history);
  EXPECT_TRUE(fresh.pending.empty()) << describe(fresh);

  // The newer release itself applies its repeatables as ever; so does one with no versions
  // beyond a baseline (a baseline is no newer release).
  auto newer = plan_migrations(
      {versioned("1", "items", 11), versioned("2", "price", 12), repeatable("views", 21)}, history);
  EXPECT_EQ(pending_files(newer), (Strings{"R__views.sql"})) << describe(newer);
  auto baselined =
      plan_migrations({versioned("1", "items", 11), repeatable("views", 5)}, {baseline(1, "7")});
  EXPECT_EQ(pending_files(baselined), (Strings{"R__views.sql"})) << describe(baselined);
}

// A repeatable a newer release added is not on an older release's disk: a warning like the
// newer versions (it used to be refused, exit 2, and the older instances could not start).
TEST(MigrationPlan, ARepeatableANewerReleaseAddedIsAFutureOne) {
  auto plan = plan_migrations({versioned("1", "items", 11)},
                              {applied(1, "1", "items", 11), applied(2, "2", "price", 12),
                               applied_repeatable(3, "views", 20)});
  EXPECT_EQ(problem_kinds(plan),
            (std::vector{ProblemKind::kFutureVersion, ProblemKind::kFutureVersion}))
      << describe(plan);
  EXPECT_EQ(state_of(plan, "R__views.sql"), MigrationState::kFuture);
}

// A Java migration's row: the hint said to put db.migration.V4__Backfill back in the folder.
TEST(MigrationPlan, AJavaMigrationIsNamedAsOneWithTheWayOn) {
  HistoryRow java = applied(2, "2", "Backfill", std::nullopt);
  java.type = "JDBC";
  java.script = "db.migration.V2__Backfill";
  auto plan = plan_migrations({versioned("1", "items", 11), versioned("3", "more", 13)},
                              {applied(1, "1", "items", 11), java});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kMissing}));
  EXPECT_NE(plan.problems[0].message.find("as a migration of type JDBC (Java), which cutover "
                                          "cannot run or check"),
            std::string::npos)
      << plan.problems[0].message;
  EXPECT_NE(plan.problems[0].hint.find("type DELETE"), std::string::npos) << plan.problems[0].hint;
  EXPECT_EQ(plan.problems[0].hint.find("back in the migrations folder"), std::string::npos);
}

// Flyway Teams' `undo` writes an UNDO_SQL row: the version is pending again (it was read as the
// file's checksum changing, and repair could not help).
TEST(MigrationPlan, AnUndoneVersionIsPendingAgainAsAfterFlywayUndo) {
  HistoryRow undo = applied(3, "2", "price", 999);
  undo.type = "UNDO_SQL";
  undo.script = "U2__price.sql";
  auto plan = plan_migrations({versioned("1", "items", 11), versioned("2", "price", 12)},
                              {applied(1, "1", "items", 11), applied(2, "2", "price", 12), undo});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(pending_files(plan), (Strings{"V2__price.sql"}));
  ASSERT_TRUE(plan.current);
  EXPECT_EQ(plan.current->to_string(), "1");
}

// Missing, and a kind of its own that migrate only warns of: a newer release that adds a
// repeatable and no version made the older release's instances exit 2 at every start (the kind
// was kMissing, which stops a migration).
TEST(MigrationPlan, RepeatableGoneFromDiskIsMissing) {
  auto plan = plan_migrations({}, {applied_repeatable(1, "views", 1)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kMissingRepeatable}));
  EXPECT_NE(plan.problems[0].message.find("R__views.sql"), std::string::npos);
  EXPECT_EQ(state_of(plan, "R__views.sql"), MigrationState::kMissing);
}

TEST(MigrationPlan, FailedRepeatableIsAProblemAndRunsAgainAfterRepair) {
  auto plan = plan_migrations({repeatable("views", 2)}, {applied_repeatable(1, "views", 1),
                                                         applied_repeatable(2, "views", 2, false)});
  ASSERT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kFailed}));
  EXPECT_NE(plan.problems[0].message.find("repeatable migration R__views.sql"), std::string::npos)
      << plan.problems[0].message;
  EXPECT_EQ(pending_files(plan), (Strings{"R__views.sql"}));
}

TEST(MigrationPlan, RepeatablesAreMatchedByDescriptionNotByFileName) {
  MigrationScript script = repeatable("views", 3);
  script.file_name = "r__views.sql";  // a different spelling of the same migration
  auto plan = plan_migrations({script}, {applied_repeatable(1, "views", 3)});
  EXPECT_TRUE(plan.pending.empty());
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
}

// --- Flyway's other row types ---

TEST(MigrationPlan, SchemaCreationMarkerIsNeitherMissingNorFuture) {
  HistoryRow marker = applied(0, "0", "<< Flyway Schema Creation >>", std::nullopt);
  marker.type = "SCHEMA";
  marker.script = "\"public\"";
  auto plan = plan_migrations({versioned("1", "a", 1)}, {marker});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(pending_files(plan), (Strings{"V1__a.sql"}));
  EXPECT_EQ(plan.info[0].state, MigrationState::kSuccess);
}

TEST(MigrationPlan, RowsFlywayRepairMarkedDeletedAreNotMissing) {
  HistoryRow deleted = applied(3, "2", "gone", 2);
  deleted.type = "DELETE";
  auto plan = plan_migrations({versioned("1", "a", 1), versioned("3", "c", 3)},
                              {applied(1, "1", "a", 1), applied(2, "2", "gone", 2), deleted});
  EXPECT_TRUE(plan.problems.empty()) << describe(plan);
  EXPECT_EQ(pending_files(plan), (Strings{"V3__c.sql"}));
  EXPECT_EQ(plan.info[1].state, MigrationState::kDeleted);
  EXPECT_EQ(plan.info[2].state, MigrationState::kDeleted);
}

TEST(MigrationPlan, AHistoryVersionThatIsNotAVersionIsBadInputNamingTheRow) {
  try {
    plan_migrations({}, {applied(7, "1.x", "a", 1)});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kBadInput);
    EXPECT_NE(error.message().find("history row 7"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("'1.x'"), std::string::npos) << error.message();
  }
}

// --- info and problems together ---

TEST(MigrationPlan, InfoListsTheHistoryByRankThenTheFiles) {
  PlanOptions options;
  options.target = Version::parse("4");
  auto plan = plan_migrations(
      {versioned("1", "a", 1), versioned("2", "b", 2), versioned("3", "c", 3),
       versioned("5", "e", 5), repeatable("views", 9)},
      {applied(1, "1", "a", 1), applied(2, "3", "c", 3), applied_repeatable(3, "views", 9)},
      options);
  std::vector<std::pair<std::string, MigrationState>> rows;
  for (const auto& row : plan.info) rows.emplace_back(row.script, row.state);
  EXPECT_EQ(rows, (std::vector<std::pair<std::string, MigrationState>>{
                      {"V1__a.sql", MigrationState::kSuccess},
                      {"V3__c.sql", MigrationState::kSuccess},
                      {"R__views.sql", MigrationState::kSuccess},
                      {"V2__b.sql", MigrationState::kIgnored},
                      {"V5__e.sql", MigrationState::kAboveTarget},
                  }));
  EXPECT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kOutOfOrder}));
  EXPECT_TRUE(plan.has_problem(ProblemKind::kOutOfOrder));
  EXPECT_FALSE(plan.has_problem(ProblemKind::kMissing));
}

TEST(MigrationPlan, SeveralProblemsAreAllReported) {
  auto plan = plan_migrations(
      {versioned("1", "a", 100), versioned("1.5", "late", 15), versioned("3", "c", 3)},
      {applied(1, "1", "a", 1), applied(2, "2", "gone", 2), applied(3, "3", "c", 3, false)});
  EXPECT_EQ(problem_kinds(plan), (std::vector{ProblemKind::kChecksumMismatch, ProblemKind::kMissing,
                                              ProblemKind::kFailed, ProblemKind::kOutOfOrder}))
      << describe(plan);
}

TEST(MigrationPlan, NamesAreStable) {
  EXPECT_STREQ(state_name(MigrationState::kBelowBaseline), "Below Baseline");
  EXPECT_STREQ(state_name(MigrationState::kOutdated), "Outdated");
  EXPECT_STREQ(state_name(MigrationState::kFuture), "Future");
  EXPECT_STREQ(problem_kind_name(ProblemKind::kChecksumMismatch), "checksum_mismatch");
  EXPECT_STREQ(problem_kind_name(ProblemKind::kOutOfOrder), "out_of_order");
}

}  // namespace
}  // namespace cutover::migrate
