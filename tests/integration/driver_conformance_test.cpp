// One driver conformance suite, instantiated for SQLite, PostgreSQL, MariaDB and each Galera node.
#include <gtest/gtest.h>
