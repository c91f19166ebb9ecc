#pragma once
// Runs a coroutine to completion on a private io_context: for CLI commands, start-up and
// shutdown steps, never on the serving loop.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agw/core/task.hpp"

namespace agw::core {

template <class T>
T block_on(Task<T> task) {
  boost::asio::io_context context;
  auto future = boost::asio::co_spawn(context, std::move(task), boost::asio::use_future);
  context.run();
  return future.get();
}

}  // namespace agw::core
