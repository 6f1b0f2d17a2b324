// `amor train --task lotka_volterra_irregular` and `amor sample` from a (variable, time, value)
// point file, end to end on a tiny model (a few training steps: the plumbing is under test here,
// the accuracy in tests/sbi/test_simformer_metadata.cpp and the SLOW_ Lotka–Volterra test).
#include <gtest/gtest.h>

#include <cmath>

#include "sbi/io/csv.h"
#include "tests/apps/cli_test_util.h"

namespace amor::test {
namespace {

TEST(CliFunctionValued, TrainsLotkaVolterraAndSamplesFromPointFiles) {
  TempDir dir;
  write_text(dir.path() / "tiny.json",
             R"({"network": {"layers": 1, "heads": 1, "head_dim": 4, "time_embedding_dim": 8},
                 "training": {"steps": 10, "batch_size": 32}, "sampling": {"steps": 5}})");
  auto r = run_amor({"train", "--task", "lotka_volterra_irregular", "--method", "simformer", "--simulations", "100",
                     "--config", dir / "tiny.json", "--out", dir / "lv.amor"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Observed points of both series, a prediction of the prey at t = 12, δ given.
  write_text(dir.path() / "obs.csv",
             "variable,time,value\npredator,0.8,1.31\npredator,6.2,0.42\nprey,3.1,2.05\nprey,12,\ndelta,,2.0\n");
  r = run_amor({"sample", "--model", dir / "lv.amor", "--observation", dir / "obs.csv", "--n", "50", "--seed", "2",
                "--out", dir / "s.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const sbi::io::CsvTable s = sbi::io::read_csv(dir / "s.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"prey@12", "alpha", "beta", "gamma"}));
  ASSERT_EQ(s.values.size(0), 50);
  // The same seed, the same file.
  r = run_amor({"sample", "--model", dir / "lv.amor", "--observation", dir / "obs.csv", "--n", "50", "--seed", "2",
                "--out", dir / "s2.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir.path() / "s.csv"), read_text(dir.path() / "s2.csv"));

  // Errors name the file and line.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"variable,time,value\nwolf,1,2\n", "unknown variable 'wolf'"},
      {"variable,time,value\nalpha,1,2\n", "'alpha' is a scalar"},
      {"variable,time,value\nprey,,2\n", "'prey' is a function of time"},
      {"variable,time,value\nprey,abc,2\n", "'abc' is not a finite number"},
      {"variable,time,value\nalpha,,2\nalpha,,1\n", "'alpha' is given twice"},
      {"var,t,v\nprey,1,2\n", "the header must be 'variable,time,value'"},
      {"variable,time,value\nprey,16,2\n", "outside [0, 15]"},
  };
  for (const auto& [text, message] : bad) {
    write_text(dir.path() / "bad.csv", text);
    r = run_amor({"sample", "--model", dir / "lv.amor", "--observation", dir / "bad.csv", "--out", dir / "b.csv"}, dir);
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  r = run_amor({"sample", "--model", dir / "lv.amor", "--num-observation", "1", "--out", dir / "b.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  r = run_amor({"train", "--task", "lotka_volterra_irregular", "--method", "npe", "--simulations", "100", "--out",
                dir / "x.amor"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("only --method simformer"), std::string::npos) << r.err;
}

TEST(CliFunctionValued, TrainsSirdAndSamplesBetaAtANewTime) {
  TempDir dir;
  write_text(dir.path() / "tiny.json",
             R"({"network": {"layers": 1, "heads": 1, "head_dim": 4, "time_embedding_dim": 8},
                 "training": {"steps": 30, "batch_size": 32}, "sampling": {"steps": 5}})");
  auto r = run_amor({"train", "--task", "sird_irregular", "--method", "simformer", "--simulations", "100",
                     "--config", dir / "tiny.json", "--seed", "4", "--out", dir / "sird.amor"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // I, R, D at their own times; β asked at t = 33.3 (no training row has exactly that time) and
  // at 0; γ and δ, not listed, are sampled too.
  write_text(dir.path() / "obs.csv",
             "variable,time,value\nI,4.5,0.21\nI,20,0.35\nR,12.25,0.18\nD,40,0.07\nbeta,33.3,\nbeta,0,\n");
  r = run_amor({"sample", "--model", dir / "sird.amor", "--observation", dir / "obs.csv", "--n", "40", "--seed", "2",
                "--out", dir / "s.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const sbi::io::CsvTable s = sbi::io::read_csv(dir / "s.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"beta@33.3", "beta@0", "gamma", "delta"}));
  ASSERT_EQ(s.values.size(0), 40);
  const Tensor v = s.values.to(DType::F64);
  for (int64_t i = 0; i < 40; ++i) {
    const double* row = v.data<double>() + i * 4;
    EXPECT_TRUE(row[0] >= 0 && row[0] <= 1 && row[1] >= 0 && row[1] <= 1) << i;  // β in its bounds
    EXPECT_TRUE(row[2] >= 0 && row[2] <= 0.5 && row[3] >= 0 && row[3] <= 0.5) << i;
  }
  r = run_amor({"sample", "--model", dir / "sird.amor", "--observation", dir / "obs.csv", "--n", "40", "--seed", "2",
                "--out", dir / "s2.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir.path() / "s.csv"), read_text(dir.path() / "s2.csv"));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"variable,time,value\nbeta,,\n", "'beta' is a function of time"},
      {"variable,time,value\ngamma,3,\n", "'gamma' is a scalar"},
      {"variable,time,value\nI,50.5,0.2\n", "outside [0, 50]"},
      {"variable,time,value\nS,5,0.2\n", "unknown variable 'S'"},
  };
  for (const auto& [text, message] : bad) {
    write_text(dir.path() / "bad.csv", text);
    r = run_amor({"sample", "--model", dir / "sird.amor", "--observation", dir / "bad.csv", "--out", dir / "b.csv"},
                 dir);
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  // A count below 0 is outside I's bounds (0, ∞): a typed error, not a NaN sample.
  write_text(dir.path() / "neg.csv", "variable,time,value\nI,5,-0.1\n");
  r = run_amor({"sample", "--model", dir / "sird.amor", "--observation", dir / "neg.csv", "--out", dir / "b.csv"}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(CliFunctionValued, TasksListsTheFunctionValuedTasks) {
  TempDir dir;
  const auto r = run_amor({"tasks"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool lv = false, sird = false;
  for (const auto& l : split_lines(r.out)) {
    if (l.rfind("lotka_volterra_irregular ", 0) == 0) lv = true;
    if (l.rfind("sird_irregular ", 0) == 0) {
      sird = true;
      EXPECT_NE(l.find("2 + β(t)"), std::string::npos) << l;
      EXPECT_NE(l.find("--method simformer only"), std::string::npos) << l;
    }
  }
  EXPECT_TRUE(lv) << r.out;
  EXPECT_TRUE(sird) << r.out;
}

}  // namespace
}  // namespace amor::test
