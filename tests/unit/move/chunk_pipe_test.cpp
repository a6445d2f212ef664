// The pipe between a source COPY and a target COPY: order, end, and either side's failure.
#include "move/chunk_pipe.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace cutover::move {
namespace {

TEST(ChunkPipe, ChunksArriveInOrderThenTheEnd) {
  ChunkPipe pipe(2);
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) pipe.push(std::to_string(i));
    pipe.close();
  });
  for (int i = 0; i < 100; ++i) {
    auto chunk = pipe.pop();
    ASSERT_TRUE(chunk);
    EXPECT_EQ(*chunk, std::to_string(i));
  }
  EXPECT_FALSE(pipe.pop());
  writer.join();
}

TEST(ChunkPipe, TheWritersFailureReachesTheReader) {
  ChunkPipe pipe;
  pipe.push("a");
  pipe.close(std::make_exception_ptr(std::runtime_error("source lost")));
  EXPECT_THROW(pipe.pop(), std::runtime_error);
}

TEST(ChunkPipe, AReaderThatGivesUpReleasesAWriterWaitingForRoom) {
  ChunkPipe pipe(1);
  pipe.push("fills it");
  std::thread reader([&] { pipe.abandon(std::make_exception_ptr(std::runtime_error("target"))); });
  EXPECT_THROW(pipe.push("waits, then fails"), std::runtime_error);
  reader.join();
}

}  // namespace
}  // namespace cutover::move
