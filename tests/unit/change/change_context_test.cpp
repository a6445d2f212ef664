// Names of the objects a change creates: stable across builds, and found again when an older
// release named them.
#include "change/change_context.h"

#include <gtest/gtest.h>

#include <string>

#include "core/stable_hash.h"
#include "db/catalog.h"

namespace cutover::change {
namespace {

const std::string kLongTable = "customer_payment_reconciliation_entries";

ChangeContext context_with(const db::Catalog* catalog) {
  ChangeContext context;
  context.change = "split_customer_payment_addresses";
  context.base_schema = "public";
  context.catalog = catalog;
  return context;
}

TEST(StableShortHash, IsFnv1aAndTheSameInEveryBuild) {
  // FNV-1a test vectors (32 bits).
  EXPECT_EQ(stable_short_hash(""), "811c9dc5");
  EXPECT_EQ(stable_short_hash("a"), "e40c292c");
  EXPECT_EQ(stable_short_hash("foobar"), "bf9cf968");
}

TEST(TriggerName, ShortNamesAreKeptWhole) {
  ChangeContext context = context_with(nullptr);
  context.change = "c";
  EXPECT_EQ(context.trigger_name(2, "users"), "_cutover_c_2_users");
}

TEST(TriggerName, LongNamesEndInAStableHashOfTheWholeName) {
  ChangeContext context = context_with(nullptr);
  std::string whole = "_cutover_split_customer_payment_addresses_0_" + kLongTable;
  ASSERT_GT(whole.size(), 63u);
  std::string name = context.trigger_name(0, kLongTable);
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name, whole.substr(0, 54) + "_" + stable_short_hash(whole));
}

TEST(TriggerName, ATriggerNamedByAnOlderReleaseIsFoundAgain) {
  std::string whole = "_cutover_split_customer_payment_addresses_0_" + kLongTable;
  std::string legacy = whole.substr(0, 54) + "_0123abcd";  // another hash than FNV-1a's
  db::Catalog catalog;
  db::TableInfo table;
  table.schema = "public";
  table.name = kLongTable;
  table.triggers = {{"unrelated", "BEFORE", "INSERT"}, {legacy, "BEFORE", "INSERT OR UPDATE"}};
  catalog.tables.push_back(table);
  ChangeContext context = context_with(&catalog);
  EXPECT_EQ(context.trigger_name(0, kLongTable), legacy);
  // Another operation's index gives another head: not confused with it.
  EXPECT_NE(context.trigger_name(1, kLongTable), legacy);
}

}  // namespace
}  // namespace cutover::change
