// A cheap look at SQL text before parsing it: the first word of each statement.
#pragma once

#include <initializer_list>
#include <string_view>

namespace cutover::proxy {

// Whether a statement of `sql` (at its start or after a ';', past blanks and comments) begins
// with one of `keywords` (lower case; the text's case does not matter). A ';' inside a literal
// or a comment may make a false match, never a missed one: callers parse what matches.
bool some_statement_starts_with(std::string_view sql,
                                std::initializer_list<std::string_view> keywords);

}  // namespace cutover::proxy
