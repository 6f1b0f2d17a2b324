// The `amor` command line: parses argv (CLI11), runs the subcommand and maps failures to exit
// statuses. Exit status: 0 success; 2 bad input (a usage error, or any amor::Error: unknown task
// or method, a method not built yet, unreadable or malformed files, unwritable outputs), with
// one line on stderr saying what and where; 1 an unexpected failure (a bug), with its message;
// 130 Ctrl-C before anything could be saved.
#pragma once

namespace amor::apps {

int run_cli(int argc, char** argv);

}  // namespace amor::apps
