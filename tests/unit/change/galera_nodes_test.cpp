// The addresses of Galera nodes (--galera-nodes, wsrep_incoming_addresses) and their URLs.
#include "change/galera_nodes.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace cutover::change {
namespace {

TEST(GaleraNodeAddresses, SplitsAndTrimsKeepingEmptyOnesForTheCheckToRefuse) {
  EXPECT_EQ(split_node_addresses(" 10.0.0.1:3306, db2:3307,,AUTO "),
            (std::vector<std::string>{"10.0.0.1:3306", "db2:3307", "", "AUTO"}));
  EXPECT_TRUE(split_node_addresses("").empty());
}

TEST(GaleraNodeUrl, NamesTheNodeAndKeepsUserDatabaseAndOptions) {
  EXPECT_EQ(node_url("mariadb://app@lb.example:3306/shop?ssl-mode=REQUIRED", "10.0.0.2:3307"),
            "mariadb://app@10.0.0.2:3307/shop?ssl-mode=REQUIRED");
  EXPECT_EQ(node_url("mysql://app@lb/shop", "db3"), "mariadb://app@db3/shop");
  EXPECT_EQ(node_url("mariadb://app@lb/shop", "[fd00::3]:3306"),
            "mariadb://app@[fd00::3]:3306/shop");
  // A password written in the URL (discouraged) reaches the node's session, nothing else.
  EXPECT_EQ(node_url("mariadb://app:s3c@lb/shop", "db2:3306"), "mariadb://app:s3c@db2:3306/shop");
}

TEST(GaleraNodeUrl, RefusesAMalformedAddress) {
  for (const char* address : {"db2:", "db2:port", "db2:70000", ":3306", "[fd00::3", "db2:33:06",
                              "host name:3306", "", "a;b"}) {
    try {
      node_url("mariadb://app@lb/shop", address);
      ADD_FAILURE() << address << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << address;
      EXPECT_NE(std::string(e.what()).find("is not the address of a Galera node"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace cutover::change
