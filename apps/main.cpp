// amor: the command line.
//   amor demo        fit a small MLP regression and print the loss falling (embedded data)
//   amor version     print the version
//   amor --help      usage
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/demo.h"

#ifndef AMOR_VERSION_STRING
#define AMOR_VERSION_STRING "unknown"
#endif

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "amor %s: amortized simulation-based inference\n"
               "\n"
               "usage: amor <command>\n"
               "\n"
               "commands:\n"
               "  demo        fit a small MLP regression on embedded data and print the loss\n"
               "  version     print the version and build configuration\n"
               "  --help, -h  show this message\n",
               AMOR_VERSION_STRING);
}

int run_version() {
  std::printf("amor %s\n", AMOR_VERSION_STRING);
#ifdef AMOR_HAS_CUDA
  std::printf("cuda: compiled in\n");
#else
  std::printf("cuda: not compiled in\n");
#endif
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "version" || cmd == "--version") return run_version();
  if (cmd == "demo") return amor::apps::run_demo(argc, argv);
  std::fprintf(stderr, "amor: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 2;
}
