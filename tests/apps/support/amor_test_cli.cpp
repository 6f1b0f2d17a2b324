// amor_test_cli: the `amor` command line with the test fixtures registered (the test task
// test_gauss2d and the methods oracle / slow_oracle, tests/apps/support/fixtures.h), so the
// tests can run train / sample / evaluate as separate processes before a real method exists.
#include "apps/cli.h"
#include "tests/apps/support/fixtures.h"

int main(int argc, char** argv) {
  amor::test::register_cli_fixtures();
  return amor::apps::run_cli(argc, argv);
}
