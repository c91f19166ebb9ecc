#pragma once
// Reads token usage from a provider's JSON answer in one pass without building a document:
// usage.{prompt,input}_tokens, usage.{completion,output}_tokens, and the number of items of a
// top-level "data" array (images). nullopt when the text is not valid JSON.
#include <optional>
#include <string_view>

#include "agw/providers/provider.hpp"

namespace agw::providers {

struct ReadUsage {
  Usage usage;
  std::int64_t data_items = 0;
};

std::optional<ReadUsage> read_usage(std::string_view json_text);

}  // namespace agw::providers
