// A short hash of a text that every build and standard library computes alike, for names of
// database objects that a later run (maybe another cutover binary) must find again.
#pragma once

#include <string>
#include <string_view>

namespace cutover {

// FNV-1a (32 bits) of `text` as 8 lowercase hex digits. Unlike std::hash, it never changes
// between builds, compilers or standard libraries.
std::string stable_short_hash(std::string_view text);

}  // namespace cutover
