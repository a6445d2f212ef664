// A read-only text that copies share: a string it owns, or a file mapped into memory, so that a
// big migration file is never copied and its pages can be given back once they have been read.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace cutover {

class SharedText {
 public:
  SharedText() = default;
  // Owns `text`. Implicit, so that a std::string can stand where a SharedText is expected.
  SharedText(std::string text);  // NOLINT(google-explicit-constructor)

  // The file at `path`, mapped read-only (an empty file owns an empty string). Throws
  // std::system_error naming the call that failed when it cannot be opened, read or mapped.
  // While mapped, a file truncated by someone else makes reading past its new end fail (SIGBUS),
  // as for any mapped file; one rewritten in place shows the new bytes where pages were released.
  static SharedText map_file(const std::filesystem::path& path);

  std::string_view view() const { return view_; }
  bool empty() const { return view_.empty(); }
  std::size_t size() const { return view_.size(); }
  // The text without its first `count` bytes, sharing the same storage.
  SharedText without_prefix(std::size_t count) const;

  // Gives the memory pages wholly inside `part` (a piece of view()) back to the system: a mapped
  // file's pages are read again from the page cache if touched later, so views stay valid. Only
  // memory use changes; a no-op for an owned string.
  void release(std::string_view part) const;
  // Calls on_piece(piece) on consecutive pieces of view(), in order, each about `piece_bytes`
  // long and cut just after a line break where there is one (so a piece holds whole lines), and
  // releases each piece after its call: one pass over a big mapped file holds about one piece of
  // it in memory.
  template <typename OnPiece>
  void for_each_piece(OnPiece on_piece, std::size_t piece_bytes = kPieceBytes) const {
    std::string_view rest = view_;
    while (!rest.empty()) {
      std::size_t cut = rest.size() <= piece_bytes ? std::string_view::npos
                                                   : rest.find('\n', piece_bytes - 1);
      cut = cut == std::string_view::npos ? rest.size() : cut + 1;
      const std::string_view piece = rest.substr(0, cut);
      on_piece(piece);
      release(piece);
      rest.remove_prefix(cut);
    }
  }

  // A reader that goes through view() from the start moved from offset `from` to `to`: releases
  // the whole pieces (a quarter of kPieceBytes) it has left, so that calls for small steps cost
  // nothing and memory stays about one piece.
  void release_passed(std::size_t from, std::size_t to) const {
    constexpr std::size_t kStep = kPieceBytes / 4;
    const std::size_t first = from / kStep * kStep, last = to / kStep * kStep;
    if (last > first) release(view_.substr(first, last - first));
  }

  static constexpr std::size_t kPieceBytes = std::size_t{4} << 20;

 private:
  struct Mapping;
  std::shared_ptr<const std::string> owned_;
  std::shared_ptr<const Mapping> mapping_;
  std::string_view view_;
};


}  // namespace cutover
