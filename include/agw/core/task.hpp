#pragma once
// Coroutine aliases. Only the awaitable header is pulled in, never the rest of Asio.
//
// GCC 12 note: an aggregate or lambda temporary created inside a co_await expression
// (`co_await f([x] {...})`, `co_await f(Agg{ptr})`) is destroyed twice when it owns resources.
// Name such objects first (`auto fn = [x] {...}; co_await f(std::move(fn));`). Temporaries of
// trivially destructible types and of classes with user-declared constructors are fine.
// Likewise never put co_await in both arms of `?:`: use if/else.
#include <boost/asio/awaitable.hpp>

namespace agw {
template <class T = void>
using Task = boost::asio::awaitable<T>;
}  // namespace agw
