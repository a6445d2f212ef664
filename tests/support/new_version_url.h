// The connection URL a new-version client of a `cutover change` uses (docs/change.md).
#pragma once

#include <string>

#include "support/test_servers.h"

namespace cutover::test {

// `text` with every byte but letters, digits and -_.~ as %XX, for a URL's option value.
std::string percent_encode(const std::string& text);

// PostgreSQL: the change's views first on the search path, and cutover.version set so that the
// sync triggers know who wrote a row. MariaDB (and Galera): the change's database of views, and
// @cutover_version set on each connection by the URL's init-command.
std::string new_version_url(const std::string& url, Backend backend, const std::string& change);

}  // namespace cutover::test
