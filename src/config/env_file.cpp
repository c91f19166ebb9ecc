#include <cctype>
#include <fstream>
#include <sstream>

#include "agw/config/config.hpp"

namespace agw::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

Variables parse_env_file(const std::string& text) {
  Variables out;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    const auto eq = line.find('=');
    const std::string_view name = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !valid_name(name)) {
      throw ConfigError(".env line " + std::to_string(line_no) + ": expected NAME=VALUE");
    }
    std::string_view value = trim(line.substr(eq + 1));
    const auto closing = value.empty() ? std::string_view::npos : value.find(value.front(), 1);
    if ((value.starts_with('"') || value.starts_with('\'')) && closing != std::string_view::npos &&
        (closing + 1 == value.size() || trim(value.substr(closing + 1)).starts_with('#'))) {
      value = value.substr(1, closing - 1);  // quoted, maybe followed by a comment
    } else if (const auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = trim(value.substr(0, hash));  // unquoted trailing comment
    }
    out.insert_or_assign(std::string(name), std::string(value));
  }
  return out;
}

Variables gather_variables(const std::string& env_path, char** environ_ptr) {
  Variables vars;
  if (std::ifstream file(env_path); file) {
    std::stringstream buffer;
    buffer << file.rdbuf();
    vars = parse_env_file(buffer.str());
  }
  for (char** e = environ_ptr; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    vars.insert_or_assign(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return vars;
}

}  // namespace agw::config
