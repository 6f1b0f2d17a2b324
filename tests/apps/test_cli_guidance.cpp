// `amor sample --condition` with intervals, bounds and missing values, a missing cell in an
// observation file, and `amor log-prob`, end to end on a tiny simformer (a few training steps: the
// plumbing is under test here, the accuracy in tests/sbi/test_simformer_guidance.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "sbi/io/csv.h"
#include "tests/apps/cli_test_util.h"

namespace amor::test {
namespace {

TEST(CliGuidance, IntervalsMissingValuesAndLogProbOnATinySimformer) {
  TempDir dir;
  write_text(dir.path() / "tiny.json",
             R"({"network": {"layers": 1, "heads": 1, "head_dim": 4, "id_dim": 4, "value_dim": 4,
                 "condition_dim": 2, "time_embedding_dim": 8},
                 "training": {"steps": 30, "batch_size": 64},
                 "sampling": {"method": "ancestral", "steps": 10, "guidance": {"recurrence": 1}}})");
  auto r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "simformer", "--simulations", "300",
                         "--config", dir / "tiny.json", "--out", dir / "s.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Values, an interval by name, a one-sided bound by position, a missing value.
  r = run_test_cli({"sample", "--model", dir / "s.safetensors", "--condition", "mu_1 in [0.1, 0.4], 2 > 0, y_1=0.3, y_2=",
                    "--n", "200", "--seed", "3", "--out", dir / "c.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const sbi::io::CsvTable c = sbi::io::read_csv(dir / "c.csv");
  EXPECT_EQ(c.header, (std::vector<std::string>{"mu_1", "mu_2", "y_2"}));
  ASSERT_EQ(c.values.size(0), 200);
  // The same seed gives the same file; another seed another.
  r = run_test_cli({"sample", "--model", dir / "s.safetensors", "--condition", "mu_1 in [0.1, 0.4], 2 > 0, y_1=0.3, y_2=",
                    "--n", "200", "--seed", "3", "--out", dir / "c2.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir.path() / "c.csv"), read_text(dir.path() / "c2.csv"));

  // A missing cell in the observation: the missing x entry is sampled; the posterior writes θ only.
  write_text(dir.path() / "obs.csv", "y_1,y_2\n0.5,\n");
  r = run_test_cli({"sample", "--model", dir / "s.safetensors", "--observation", dir / "obs.csv", "--n", "100",
                    "--out", dir / "p.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sbi::io::read_csv(dir / "p.csv").values.size(0), 100);

  // log-prob of the posterior-like conditional at three points, exact and Hutchinson.
  write_text(dir.path() / "pts.csv", "mu_2,mu_1\n0,0\n0.5,-0.5\n1,1\n");
  for (const char* div : {"exact", "hutchinson"}) {
    r = run_test_cli({"log-prob", "--model", dir / "s.safetensors", "--points", dir / "pts.csv", "--condition",
                      "y_1=0.2,y2=-0.1", "--divergence", div, "--steps", "5", "--out", dir / "lp.csv"}, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const sbi::io::CsvTable lp = sbi::io::read_csv(dir / "lp.csv");
    EXPECT_EQ(lp.header, (std::vector<std::string>{"mu_2", "mu_1", "log_prob"}));
    ASSERT_EQ(lp.values.size(0), 3);
  }
  // Points that leave a variable out, or hold a conditioning one.
  write_text(dir.path() / "short.csv", "mu_1\n0\n");
  r = run_test_cli({"log-prob", "--model", dir / "s.safetensors", "--points", dir / "short.csv", "--condition",
                    "y_1=0.2,y_2=-0.1", "--out", dir / "lp.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lacks the variables mu_2"), std::string::npos) << r.err;
  r = run_test_cli({"log-prob", "--model", dir / "s.safetensors", "--points", dir / "pts.csv", "--condition",
                    "mu_1=0.2", "--out", dir / "lp.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("column 'mu_1' is a conditioning variable"), std::string::npos) << r.err;
  r = run_test_cli({"log-prob", "--model", dir / "s.safetensors", "--points", dir / "pts.csv", "--condition",
                    "y_1 in [0, 1]", "--out", dir / "lp.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("log-prob conditions on values only"), std::string::npos) << r.err;
  r = run_test_cli({"log-prob", "--model", dir / "s.safetensors", "--points", dir / "pts.csv", "--condition",
                    "y_1=0,y_2=0", "--divergence", "trace", "--out", dir / "lp.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown divergence 'trace'"), std::string::npos) << r.err;
  // An interval on a given variable.
  r = run_test_cli({"sample", "--model", dir / "s.safetensors", "--condition", "mu_1 > 0, mu_1 < 1", "--out",
                    dir / "bad.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'mu_1' is given twice"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace amor::test
