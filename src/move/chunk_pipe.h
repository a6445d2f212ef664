// A bounded queue of byte chunks between two threads: a COPY TO STDOUT on the source writes,
// a COPY FROM STDIN on the target reads, and either side's failure stops the other.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>

namespace cutover::move {

class ChunkPipe {
 public:
  explicit ChunkPipe(std::size_t capacity = 8) : capacity_(capacity) {}

  // Waits for room, then queues `chunk`. Throws the reader's failure when it gave up.
  void push(std::string chunk);
  // Marks the end of the data, or the writer's failure (then pop() rethrows it).
  void close(std::exception_ptr failure = nullptr);
  // The next chunk (kept in `current_` until the next call), or nullopt at the end. Rethrows
  // the writer's failure.
  std::optional<std::string_view> pop();
  // The reader gives up with `failure`: push() throws it from now on.
  void abandon(std::exception_ptr failure);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  std::size_t capacity_;
  bool closed_ = false;
  std::exception_ptr writer_failure_;
  std::exception_ptr reader_failure_;
  std::string current_;
};

inline void ChunkPipe::push(std::string chunk) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return chunks_.size() < capacity_ || reader_failure_; });
  if (reader_failure_) std::rethrow_exception(reader_failure_);
  chunks_.push_back(std::move(chunk));
  changed_.notify_all();
}

inline void ChunkPipe::close(std::exception_ptr failure) {
  std::lock_guard lock(mutex_);
  closed_ = true;
  writer_failure_ = failure;
  changed_.notify_all();
}

inline std::optional<std::string_view> ChunkPipe::pop() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !chunks_.empty() || closed_; });
  if (writer_failure_) std::rethrow_exception(writer_failure_);
  if (chunks_.empty()) return std::nullopt;
  current_ = std::move(chunks_.front());
  chunks_.pop_front();
  changed_.notify_all();
  return std::string_view(current_);
}

inline void ChunkPipe::abandon(std::exception_ptr failure) {
  std::lock_guard lock(mutex_);
  reader_failure_ = failure;
  chunks_.clear();
  changed_.notify_all();
}

}  // namespace cutover::move
