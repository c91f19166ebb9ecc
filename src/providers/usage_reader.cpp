#include "agw/providers/usage_reader.hpp"

#include <nlohmann/json.hpp>

namespace agw::providers {
namespace {

class UsageSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  ReadUsage result;

  bool null() override { return value_done(); }
  bool boolean(bool) override { return value_done(); }
  bool number_integer(number_integer_t v) override { return number(static_cast<std::int64_t>(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    return number(static_cast<std::int64_t>(std::min<number_unsigned_t>(v, INT64_MAX)));
  }
  bool number_float(number_float_t v, const string_t&) override {
    return number(static_cast<std::int64_t>(v));
  }
  bool string(string_t&) override { return value_done(); }
  bool binary(binary_t&) override { return value_done(); }
  bool start_object(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) top_key_ = k;
    if (depth_ == 2) inner_key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool open() {
    if (depth_ == 2 && top_key_ == "data") ++result.data_items;
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  bool value_done() { return true; }
  bool number(std::int64_t v) {
    if (depth_ == 2 && top_key_ == "usage") {
      if (inner_key_ == "prompt_tokens" || inner_key_ == "input_tokens") result.usage.input_tokens = v;
      else if (inner_key_ == "completion_tokens" || inner_key_ == "output_tokens") result.usage.output_tokens = v;
    }
    return true;
  }

  int depth_ = 0;
  std::string top_key_;
  std::string inner_key_;
};

}  // namespace

std::optional<ReadUsage> read_usage(std::string_view json_text) {
  UsageSax sax;
  if (!nlohmann::json::sax_parse(json_text, &sax, nlohmann::json::input_format_t::json, true)) {
    return std::nullopt;
  }
  return sax.result;
}

}  // namespace agw::providers
