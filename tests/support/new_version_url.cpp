// The connection URL a new-version client of a `cutover change` uses.
#include "support/new_version_url.h"

#include <cctype>

namespace cutover::test {

std::string percent_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

std::string new_version_url(const std::string& url, Backend backend, const std::string& change) {
  const auto with_option = [](const std::string& base, const std::string& option) {
    return base + (base.find('?') == std::string::npos ? "?" : "&") + option;
  };
  if (backend == Backend::kMariaDb || backend == Backend::kGalera) {
    return with_option(with_database(url, change),
                       "init-command=" + percent_encode("SET @cutover_version = '" + change + "'"));
  }
  return with_option(url, "options=" + percent_encode("-c search_path=" + change +
                                                      ",public -c cutover.version=" + change));
}

}  // namespace cutover::test
