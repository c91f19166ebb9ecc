// The single translation unit that compiles Boost.Asio, Asio-SSL and Beast (separate compilation
// keeps their heavy templates out of every other object file).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
