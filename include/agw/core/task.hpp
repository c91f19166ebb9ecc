#pragma once
// Coroutine aliases. Only the awaitable header is pulled in, never the rest of Asio.
#include <boost/asio/awaitable.hpp>

namespace agw {
template <class T = void>
using Task = boost::asio::awaitable<T>;
}  // namespace agw
