// The harness of the end-to-end tests of the carbontracker binary: a
// temporary directory, starting the binary there and collecting its output.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ct_cli_test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_cli_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int status = -1;  // exit code, or -1
  std::string out, err;
};

// Starts the CLI with args in dir; returns its pid. stdout/stderr go to files.
// env: "NAME=value" entries added to its environment; own_group: the CLI
// leads a process group of its own (its pid is the group's id); prefix: a
// program the CLI runs under (`timeout ...`: its pid is returned); in_child:
// called in the new process before exec.
inline pid_t start_cli(const TempDir& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}, bool own_group = false,
                       const std::vector<std::string>& prefix = {},
                       const std::function<void()>& in_child = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    if (in_child) in_child();
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    if (chdir(dir.path.c_str()) != 0) _exit(99);
    int out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    setenv("CARBONTRACKER_POWERCAP_ROOT", (dir.path / "no-powercap").c_str(), 1);
    setenv("CARBONTRACKER_PROC_ROOT", (dir.path / "no-proc").c_str(), 1);
    setenv("CARBONTRACKER_NVML_LIBRARY", (dir.path / "no-nvml.so").c_str(), 1);
    setenv("CARBONTRACKER_ROCM_SMI_LIBRARY", (dir.path / "no-rocm.so").c_str(), 1);
    setenv("CARBONTRACKER_OFFLINE", "1", 1);
    std::vector<char*> argv;
    for (const std::string& a : prefix) argv.push_back(const_cast<char*>(a.c_str()));
    std::string cli = CT_CLI_PATH;
    argv.push_back(cli.data());
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(98);
  }
  return pid;
}

inline CliRun finish(const TempDir& dir, pid_t pid) {
  int ws = 0;
  waitpid(pid, &ws, 0);
  CliRun r;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  r.out = slurp(dir.path / "stdout.txt");
  r.err = slurp(dir.path / "stderr.txt");
  return r;
}

inline CliRun run_cli(const TempDir& dir, const std::vector<std::string>& args) {
  return finish(dir, start_cli(dir, args));
}

// Waits for a file the command creates: an event, not a guess at how long
// starting processes takes. Gives up (failing the test) after a minute.
inline void wait_for_file(const fs::path& path) {
  for (int i = 0; i < 60000 && !fs::exists(path); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(fs::exists(path)) << path;
}

inline const std::vector<std::string> kSim = {"--sim-cpu", "Intel Xeon",  "--sim-cpu-tdp",   "150",
                                              "--sim-gpu", "NVIDIA A100", "--sim-gpu-watts", "400"};

inline std::vector<std::string> with_sim(std::vector<std::string> rest) {
  std::vector<std::string> v = kSim;
  v.insert(v.end(), rest.begin(), rest.end());
  return v;
}

}  // namespace ct_cli_test
