// Helpers for the command-line tests: run `amor` (or amor_test_cli) as a child process with its
// output captured, temporary directories, small file utilities.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace amor::test {

struct ProcessResult {
  int exit_code = -1;    // the status of a normal exit, or -1
  int term_signal = 0;   // the signal that ended it, or 0
  std::string out, err;  // stdout, stderr
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh directory per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("amor_apps_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A child process with stdout/stderr going to files in `dir`.
class Child {
 public:
  Child(const std::string& binary, const std::vector<std::string>& args, const TempDir& dir,
        const std::string& tag = "child")
      : out_path_(dir / (tag + ".out")), err_path_(dir / (tag + ".err")) {
    std::vector<std::string> argv_s{binary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::string err_so_far() const { return read_text(err_path_); }

  ProcessResult wait() {
    ProcessResult r;
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
      if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
    }
    pid_ = -1;
    r.out = read_text(out_path_);
    r.err = read_text(err_path_);
    return r;
  }

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
};

inline ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                                 const TempDir& dir) {
  return Child(binary, args, dir).wait();
}

inline ProcessResult run_amor(const std::vector<std::string>& args, const TempDir& dir) {
  return run_process(AMOR_CLI_BINARY, args, dir);
}

// amor with the test task and methods (tests/apps/support/fixtures.h).
inline ProcessResult run_test_cli(const std::vector<std::string>& args, const TempDir& dir) {
  return run_process(AMOR_TEST_CLI_BINARY, args, dir);
}

inline size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::stringstream ss(s);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

}  // namespace amor::test
