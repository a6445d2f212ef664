// How the new version sees a partitioned table's partitions: as the table itself.
#include "change/version_shape.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace cutover::change {
namespace {

std::vector<std::string> names(const VersionTable& table) {
  std::vector<std::string> out;
  for (const ViewColumn& column : table.columns) out.push_back(column.name + "=" + column.column);
  return out;
}

// ledger (id, amount, memo) partitioned into ledger_low and ledger_high, whose ledger_high_a is
// itself a partition; the operations widened amount (a shadow column) and dropped memo.
VersionShape shaped_ledger() {
  const std::vector<ViewColumn> old_shape = {{"id", "id"}, {"amount", "amount"}, {"memo", "memo"}};
  VersionShape shape;
  shape.tables = {{"ledger", "ledger", {{"id", "id"}, {"amount", "_cutover_amount"}}},
                  {"ledger_low", "ledger_low", old_shape},
                  {"ledger_high", "ledger_high", old_shape},
                  {"ledger_high_a", "ledger_high_a", old_shape},
                  {"other", "other", {{"id", "id"}}}};
  return shape;
}

const std::map<std::string, std::string> kParents = {
    {"ledger_low", "ledger"}, {"ledger_high", "ledger"}, {"ledger_high_a", "ledger_high"}};

TEST(VersionShape, APartitionShowsWhatItsPartitionedTableShows) {
  VersionShape shape = shaped_ledger();
  shape.follow_partitioned_tables(kParents);
  const std::vector<std::string> expected = {"id=id", "amount=_cutover_amount"};
  for (const char* partition : {"ledger_low", "ledger_high", "ledger_high_a"}) {
    ASSERT_NE(shape.find(partition), nullptr) << partition;
    EXPECT_EQ(names(*shape.find(partition)), expected) << partition;
  }
  EXPECT_EQ(names(*shape.find("other")), std::vector<std::string>{"id=id"});
}

TEST(VersionShape, PartitionsGoWithTheirDroppedOrRenamedTable) {
  VersionShape renamed = shaped_ledger();
  renamed.find("ledger")->view = "journal";  // rename_table: the base table keeps its name
  renamed.follow_partitioned_tables(kParents);
  ASSERT_NE(renamed.find("ledger_low"), nullptr);
  EXPECT_EQ(names(*renamed.find("ledger_low")), names(*renamed.find("journal")));

  VersionShape dropped = shaped_ledger();
  dropped.remove("ledger");  // drop_table
  dropped.follow_partitioned_tables(kParents);
  EXPECT_EQ(dropped.find("ledger_low"), nullptr);
  EXPECT_EQ(dropped.find("ledger_high_a"), nullptr);
  EXPECT_NE(dropped.find("other"), nullptr);
}

}  // namespace
}  // namespace cutover::change
