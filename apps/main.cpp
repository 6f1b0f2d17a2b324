// amor: the command line. The commands live in the amor_app library (apps/cli.cpp and
// apps/cmd_*.cpp) so the tests can link them; this file only calls them.
#include "apps/cli.h"

int main(int argc, char** argv) { return amor::apps::run_cli(argc, argv); }
