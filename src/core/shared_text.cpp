// A read-only text that copies share: an owned string or a file mapped into memory.
#include "core/shared_text.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace cutover {

struct SharedText::Mapping {
  void* address = nullptr;
  std::size_t length = 0;

  Mapping(void* at, std::size_t bytes) : address(at), length(bytes) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { munmap(address, length); }
};

namespace {

[[noreturn]] void throw_errno(const char* call, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(),
                          std::string(call) + " '" + path.string() + "'");
}

// Closes a file descriptor however the function that opened it ends.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

SharedText::SharedText(std::string text)
    : owned_(std::make_shared<const std::string>(std::move(text))), view_(*owned_) {}

SharedText SharedText::map_file(const std::filesystem::path& path) {
  const FileDescriptor file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw_errno("open", path);
  struct stat status {};
  if (fstat(file.fd, &status) != 0) throw_errno("stat", path);
  if (!S_ISREG(status.st_mode)) {
    throw std::system_error(EINVAL, std::generic_category(), "not a regular file '" +
                                                                 path.string() + "'");
  }
  const auto length = static_cast<std::size_t>(status.st_size);
  if (length == 0) return SharedText(std::string());
  void* address = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (address == MAP_FAILED) throw_errno("mmap", path);
  SharedText text;
  text.mapping_ = std::make_shared<const Mapping>(address, length);
  text.view_ = std::string_view(static_cast<const char*>(address), length);
  return text;
}

SharedText SharedText::without_prefix(std::size_t count) const {
  SharedText rest = *this;
  rest.view_.remove_prefix(std::min(count, view_.size()));
  return rest;
}

void SharedText::release(std::string_view part) const {
  if (!mapping_ || part.empty()) return;
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(part.data());
  const auto end = begin + part.size();
  const auto mapped = reinterpret_cast<std::uintptr_t>(mapping_->address);
  if (begin < mapped || end > mapped + mapping_->length) return;  // not this file's bytes
  const std::uintptr_t first = (begin + page - 1) / page * page;  // whole pages only
  const std::uintptr_t last = end / page * page;
  if (first >= last) return;
  // The pages are clean and private: dropping them loses nothing, a later read maps them again.
  madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace cutover
