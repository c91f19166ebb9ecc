#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agw/config/config.hpp"

using agw::config::ConfigError;
using agw::config::gather_variables;
using agw::config::parse_env_file;
using agw::config::Variables;

namespace {

// A .env file in a fresh temporary directory, removed at the end of the test.
class TempEnvFile {
 public:
  explicit TempEnvFile(const std::string& text) {
    char dir[] = "/tmp/agw-env-XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    path_ = dir_ + "/.env";
    std::ofstream(path_) << text;
  }
  ~TempEnvFile() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

std::string error_of(const std::string& text) {
  try {
    parse_env_file(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(EnvFile, ParsesPlainAssignments) {
  const Variables v = parse_env_file("PORT=9000\nHOST=127.0.0.1\n");
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.at("PORT"), "9000");
  EXPECT_EQ(v.at("HOST"), "127.0.0.1");
}

TEST(EnvFile, SkipsCommentsAndBlankLines) {
  const Variables v = parse_env_file("# a comment\n\n   \n  # indented comment\nA=1\n");
  EXPECT_EQ(v, (Variables{{"A", "1"}}));
}

TEST(EnvFile, AcceptsExportPrefix) {
  const Variables v = parse_env_file("export LOG_LEVEL=debug\n");
  EXPECT_EQ(v, (Variables{{"LOG_LEVEL", "debug"}}));
}

TEST(EnvFile, StripsQuotes) {
  const Variables v = parse_env_file(
      "A=\"double quoted\"\nB='single quoted'\nC=\"\"\nD='a # not a comment'\nE=\"it's\"\n");
  EXPECT_EQ(v.at("A"), "double quoted");
  EXPECT_EQ(v.at("B"), "single quoted");
  EXPECT_EQ(v.at("C"), "");
  EXPECT_EQ(v.at("D"), "a # not a comment");
  EXPECT_EQ(v.at("E"), "it's");
}

TEST(EnvFile, DropsUnquotedTrailingComments) {
  const Variables v = parse_env_file("PORT=9000 # the port\nTOKEN=abc#def\n");
  EXPECT_EQ(v.at("PORT"), "9000");
  EXPECT_EQ(v.at("TOKEN"), "abc#def");  // '#' without a space before it is part of the value
}

// A quoted value followed by a comment keeps its quotes today (`A="x" # c` gives `"x"`): a bug in
// src/config/env_file.cpp, reported; enable this test once it is fixed.
TEST(EnvFile, QuotedValueWithTrailingComment) {
  const Variables v = parse_env_file("A=\"quoted value\" # comment\nB='x' # comment\n");
  EXPECT_EQ(v.at("A"), "quoted value");
  EXPECT_EQ(v.at("B"), "x");
}

TEST(EnvFile, TrimsWhitespaceAndCarriageReturns) {
  const Variables v = parse_env_file("  A = 1  \r\nB=two\r\n");
  EXPECT_EQ(v.at("A"), "1");
  EXPECT_EQ(v.at("B"), "two");
}

TEST(EnvFile, KeepsEqualsSignsInValues) {
  const Variables v = parse_env_file("URL=postgresql://u:p@h/db?sslmode=require\nEMPTY=\n");
  EXPECT_EQ(v.at("URL"), "postgresql://u:p@h/db?sslmode=require");
  EXPECT_EQ(v.at("EMPTY"), "");
}

TEST(EnvFile, LaterLinesWin) {
  EXPECT_EQ(parse_env_file("A=1\nA=2\n").at("A"), "2");
}

TEST(EnvFile, MalformedLinesThrowWithTheLineNumber) {
  const std::string no_equals = error_of("A=1\n# comment\nJUST_A_WORD\n");
  EXPECT_NE(no_equals.find("line 3"), std::string::npos) << no_equals;
  EXPECT_NE(error_of("1ABC=x\n"), "");
  EXPECT_NE(error_of("=value\n"), "");
  EXPECT_NE(error_of("BAD-NAME=x\n"), "");
  EXPECT_NE(error_of("TWO WORDS=x\n"), "");
}

TEST(GatherVariables, EnvironmentWinsOverEnvFile) {
  TempEnvFile file("PORT=9000\nLOG_LEVEL=debug\n");
  std::string port = "PORT=7000", other = "OTHER=x";
  char* environment[] = {port.data(), other.data(), nullptr};
  const Variables v = gather_variables(file.path(), environment);
  EXPECT_EQ(v.at("PORT"), "7000");
  EXPECT_EQ(v.at("LOG_LEVEL"), "debug");
  EXPECT_EQ(v.at("OTHER"), "x");
}

TEST(GatherVariables, EmptyEnvironmentValueStillWins) {
  TempEnvFile file("METRICS_TOKEN=from-file\n");
  std::string token = "METRICS_TOKEN=";
  char* environment[] = {token.data(), nullptr};
  EXPECT_EQ(gather_variables(file.path(), environment).at("METRICS_TOKEN"), "");
}

TEST(GatherVariables, MissingFileMeansEnvironmentOnly) {
  std::string value = "A=b=c";
  char* environment[] = {value.data(), nullptr};
  const Variables v = gather_variables("/nonexistent/agw/.env", environment);
  EXPECT_EQ(v, (Variables{{"A", "b=c"}}));
  EXPECT_TRUE(gather_variables("/nonexistent/agw/.env", nullptr).empty());
}

TEST(GatherVariables, MalformedEnvFileThrows) {
  TempEnvFile file("GOOD=1\nnot valid\n");
  char* environment[] = {nullptr};
  EXPECT_THROW(gather_variables(file.path(), environment), ConfigError);
}
