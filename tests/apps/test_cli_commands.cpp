// The commands run as child processes: `amor` itself, and amor_test_cli (amor plus the test task
// test_gauss2d and the methods oracle / slow_oracle of support/fixtures.h) for train, sample and
// evaluate. Outputs are checked for their headers, shapes and contents.
#include <csignal>
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/plot/png.h"
#include "nn/checkpoint.h"
#include "sbi/io/csv.h"
#include "tests/apps/cli_test_util.h"
#include "tests/apps/xml_check.h"

namespace amor::test {
namespace {

sbi::io::CsvTable read_csv_nan(const std::string& path) {
  sbi::io::CsvOptions o;
  o.allow_nonfinite = true;
  return sbi::io::read_csv(path, o);
}

TEST(CliCommands, HelpVersionAndUsage) {
  TempDir dir;
  auto r = run_amor({"--help"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"tasks", "simulate", "train", "sample", "evaluate", "plot"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  r = run_amor({"simulate", "--help"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Invalid simulations (NaN or ±inf in x) are KEPT"), std::string::npos) << r.out;
  r = run_amor({"plot", "--help"}, dir);
  EXPECT_NE(r.out.find("--sbc FILE"), std::string::npos);
  EXPECT_NE(r.out.find("rank / L"), std::string::npos);
  EXPECT_NE(r.out.find("credibility level"), std::string::npos);
  r = run_amor({"version"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("amor ", 0), 0u);
  EXPECT_NE(r.out.find("methods: npe"), std::string::npos);
  r = run_amor({"--version"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  r = run_amor({}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(CliCommands, TasksTable) {
  TempDir dir;
  const auto r = run_test_cli({"tasks"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("task", 0), 0u);
  EXPECT_NE(lines[0].find("θ dim"), std::string::npos);
  EXPECT_NE(lines[0].find("reference data"), std::string::npos);
  bool gauss = false, sir = false;
  for (const auto& l : lines) {
    if (l.rfind("test_gauss2d ", 0) == 0) {
      gauss = true;
      EXPECT_NE(l.find(" 2 "), std::string::npos) << l;
      EXPECT_NE(l.find("yes (3 observations)"), std::string::npos) << l;
    }
    if (l.rfind("sir ", 0) == 0) {
      sir = true;
      EXPECT_NE(l.find("10 "), std::string::npos) << l;
    }
    if (l.rfind("tree ", 0) == 0) {
      EXPECT_NE(l.find(" no "), std::string::npos) << l;
    }
  }
  EXPECT_TRUE(gauss);
  EXPECT_TRUE(sir);
}

TEST(CliCommands, DataDirOptionOverridesTheDefault) {
  // An empty directory as --data-dir (before or after the command): the sbibm tasks' data is
  // missing there, and evaluate says so (exit 2, naming the directory) before any training.
  TempDir dir;
  const std::string empty = dir / "no_sbibm";
  std::filesystem::create_directories(empty);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tasks", "--data-dir", empty}, {"--data-dir", empty, "tasks"}}) {
    const auto r = run_amor(args, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    bool two_moons = false;
    for (const auto& l : split_lines(r.out))
      if (l.rfind("two_moons ", 0) == 0) {
        two_moons = true;
        EXPECT_NE(l.find("missing"), std::string::npos) << l;
      }
    EXPECT_TRUE(two_moons) << r.out;
    EXPECT_NE(r.out.find("reference data is read from " + empty), std::string::npos) << r.out;
  }
  const auto r = run_amor({"evaluate", "--task", "two_moons", "--method", "npe", "--simulations", "100",
                           "--observations", "1", "--data-dir", empty, "--out", dir / "ev"},
                          dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(empty), std::string::npos) << r.err;
}

TEST(CliCommands, EstimatorAndSummaryFlagsReachTheMethod) {
  // --estimator and --summary write over --config's keys; the method trains with them and
  // metrics.json records the settings it got.
  TempDir dir;
  write_text(dir.path() / "c.json", "{\"estimator\": \"maf\", \"training\": {\"max_epochs\": 2}}");
  const std::string out = dir / "ev";
  const auto r = run_amor({"evaluate", "--task", "two_moons", "--method", "npe", "--simulations", "300",
                           "--observations", "1", "--config", dir / "c.json", "--estimator", "coupling",
                           "--summary", "deepset", "--out", out}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json m = nlohmann::json::parse(read_text(out + "/metrics.json"));
  EXPECT_EQ(m["config"]["method"]["estimator"], "coupling");
  EXPECT_EQ(m["config"]["method"]["summary"], "deepset");
  EXPECT_EQ(m["config"]["method"]["training"]["max_epochs"], 2);
  EXPECT_EQ(m["training"]["epochs"], 2);
}

TEST(CliCommands, SimulateKeepsInvalidRowsAndCountsThem) {
  TempDir dir;
  const auto r = run_test_cli({"simulate", "--task", "test_gauss2d", "--n", "2000", "--seed", "5",
                               "--out", dir / "sims.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t = read_csv_nan(dir / "sims.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"mu_1", "mu_2", "y_1", "y_2"}));
  ASSERT_EQ(t.values.size(0), 2000);
  int64_t nan_rows = 0;
  const double* v = t.values.contiguous().data<double>();
  for (int64_t i = 0; i < 2000; ++i) {
    EXPECT_TRUE(std::isfinite(v[i * 4]) && std::isfinite(v[i * 4 + 1]));  // θ always kept
    nan_rows += std::isnan(v[i * 4 + 2]);
  }
  // 5% fail: 100 expected, sd 9.7; the bounds are 5 sd wide.
  EXPECT_GT(nan_rows, 50);
  EXPECT_LT(nan_rows, 150);
  EXPECT_NE(r.err.find("; " + std::to_string(nan_rows) + " invalid (kept"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u);
  // Same seed, same file; another seed, another file.
  ASSERT_EQ(run_test_cli({"simulate", "--task", "test_gauss2d", "--n", "2000", "--seed", "5", "--out", dir / "again.csv"}, dir).exit_code, 0);
  ASSERT_EQ(run_test_cli({"simulate", "--task", "test_gauss2d", "--n", "2000", "--seed", "6", "--out", dir / "other.csv"}, dir).exit_code, 0);
  EXPECT_EQ(read_text(dir.path() / "sims.csv"), read_text(dir.path() / "again.csv"));
  EXPECT_NE(read_text(dir.path() / "sims.csv"), read_text(dir.path() / "other.csv"));
}

TEST(CliCommands, SimulateARealTask) {
  TempDir dir;
  const auto r = run_amor({"simulate", "--task", "sir", "--n", "20", "--out", dir / "sir.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t = read_csv_nan(dir / "sir.csv");
  EXPECT_EQ(t.header.size(), 12u);
  EXPECT_EQ(t.header[0], "beta");
  EXPECT_EQ(t.values.size(0), 20);
}

TEST(CliCommands, TrainThenSample) {
  TempDir dir;
  auto r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "3000",
                         "--seed", "1", "--out", dir / "m.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Not a terminal: plain progress lines, nothing redrawn.
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_NE(r.err.find("epoch 1/3  loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("epoch 3/3  loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3000 simulations of test_gauss2d"), std::string::npos) << r.err;
  const nlohmann::json meta = nn::read_checkpoint_config(dir / "m.safetensors");
  EXPECT_EQ(meta["format"], "amor");
  EXPECT_EQ(meta["method"], "oracle");
  EXPECT_EQ(meta["task"], "test_gauss2d");

  r = run_test_cli({"sample", "--model", dir / "m.safetensors", "--num-observation", "2", "--n", "4000",
                    "--seed", "3", "--out", dir / "s.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = sbi::io::read_csv(dir / "s.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"mu_1", "mu_2"}));
  ASSERT_EQ(s.values.size(0), 4000);
  // Observation 2 is x = (0, 0.8): the posterior mean is x / 1.25 = (0, 0.64), sd sqrt(0.2);
  // the mean of 4000 draws has sd 0.007, the noise estimate from 3000 simulations moves it less.
  double m0 = 0, m1 = 0;
  const double* v = s.values.contiguous().data<double>();
  for (int64_t i = 0; i < 4000; ++i) m0 += v[i * 2] / 4000, m1 += v[i * 2 + 1] / 4000;
  EXPECT_NEAR(m0, 0.0, 0.04);
  EXPECT_NEAR(m1, 0.64, 0.04);

  // The same observation given as a file gives the same samples.
  write_text(dir.path() / "obs.csv", "y_1,y_2\n0,0.8\n");
  r = run_test_cli({"sample", "--model", dir / "m.safetensors", "--observation", dir / "obs.csv", "--n", "4000",
                    "--seed", "3", "--out", dir / "s2.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir.path() / "s.csv"), read_text(dir.path() / "s2.csv"));
  // Several observations in one file: every row's samples, with the row number in front; the
  // first row's are the single-observation samples for the same seed.
  write_text(dir.path() / "obs3.csv", "y_1,y_2\n0,0.8\n2,-1\n-0.5,0.5\n");
  r = run_test_cli({"sample", "--model", dir / "m.safetensors", "--observation", dir / "obs3.csv", "--n", "4000",
                    "--seed", "3", "--out", dir / "s4.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s4 = sbi::io::read_csv(dir / "s4.csv");
  EXPECT_EQ(s4.header, (std::vector<std::string>{"observation", "mu_1", "mu_2"}));
  ASSERT_EQ(s4.values.size(0), 3 * 4000);
  const double* w = s4.values.contiguous().data<double>();
  const double xs[3][2] = {{0, 0.8}, {2, -1}, {-0.5, 0.5}};
  for (int64_t q = 0; q < 3; ++q) {
    double a0 = 0, a1 = 0;
    for (int64_t i = q * 4000; i < (q + 1) * 4000; ++i) {
      ASSERT_EQ(w[i * 3], double(q + 1));
      a0 += w[i * 3 + 1] / 4000, a1 += w[i * 3 + 2] / 4000;
    }
    EXPECT_NEAR(a0, xs[q][0] / 1.25, 0.04) << "observation " << q + 1;
    EXPECT_NEAR(a1, xs[q][1] / 1.25, 0.04) << "observation " << q + 1;
  }
  for (int64_t i = 0; i < 4000; ++i) {
    ASSERT_EQ(w[i * 3 + 1], v[i * 2]);
    ASSERT_EQ(w[i * 3 + 2], v[i * 2 + 1]);
  }

  // The default is 10 000 samples.
  r = run_test_cli({"sample", "--model", dir / "m.safetensors", "--num-observation", "1", "--out", dir / "s3.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sbi::io::read_csv(dir / "s3.csv").values.size(0), 10000);
}

TEST(CliCommands, SampleAnyConditional) {
  // joint_oracle samples every conditional exactly; --condition picks one by variable names and
  // the file holds the variables not given.
  TempDir dir;
  auto r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "3000",
                         "--seed", "1", "--out", dir / "j.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The likelihood x | θ = (1, -2): x_j ~ N(θ_j, 0.25); means of 4000 draws have sd 0.008.
  r = run_test_cli({"sample", "--model", dir / "j.safetensors", "--condition", "mu_1=1,mu_2=-2", "--n", "4000",
                    "--seed", "2", "--out", dir / "lik.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = sbi::io::read_csv(dir / "lik.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"y_1", "y_2"}));
  ASSERT_EQ(s.values.size(0), 4000);
  double m0 = 0, m1 = 0;
  const double* v = s.values.contiguous().data<double>();
  for (int64_t i = 0; i < 4000; ++i) m0 += v[i * 2] / 4000, m1 += v[i * 2 + 1] / 4000;
  EXPECT_NEAR(m0, 1.0, 0.05);
  EXPECT_NEAR(m1, -2.0, 0.05);
  // A mixed conditional (μ_1, y_2 | y_1 = 1.25, μ_2 = 0.5), the given names in any order:
  // μ_1 ~ N(1.25 / 1.25, 0.2), y_2 ~ N(0.5, 0.25).
  r = run_test_cli({"sample", "--model", dir / "j.safetensors", "--condition", "y_1=1.25,mu_2=0.5", "--n", "4000",
                    "--seed", "2", "--out", dir / "mixed.csv"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  s = sbi::io::read_csv(dir / "mixed.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"mu_1", "y_2"}));
  m0 = 0, m1 = 0;
  v = s.values.contiguous().data<double>();
  for (int64_t i = 0; i < 4000; ++i) m0 += v[i * 2] / 4000, m1 += v[i * 2 + 1] / 4000;
  EXPECT_NEAR(m0, 1.0, 0.05);
  EXPECT_NEAR(m1, 0.5, 0.05);

  // Bad conditions: one line on stderr, exit 2, naming what was wrong.
  const auto bad = [&](const std::string& cond, const std::string& expect) {
    const auto b = run_test_cli({"sample", "--model", dir / "j.safetensors", "--condition", cond, "--out",
                                 dir / "bad.csv"}, dir);
    EXPECT_EQ(b.exit_code, 2) << cond;
    EXPECT_EQ(count_lines(b.err), 1u) << b.err;
    EXPECT_NE(b.err.find(expect), std::string::npos) << cond << ": " << b.err;
  };
  bad("nu_1=3", "no variable 'nu_1' (its variables: mu_1, mu_2, y_1, y_2)");
  bad("mu_1", "'mu_1' is not name=value");
  bad("mu_1=abc", "is not a finite number");
  bad("mu_1=1,mu_1=2", "'mu_1' is given twice");
  bad("mu_1=1,mu_2=1,y_1=0,y_2=0", "nothing is left to sample");
  // Mutually exclusive with an observation.
  const auto both = run_test_cli({"sample", "--model", dir / "j.safetensors", "--condition", "mu_1=1",
                                  "--num-observation", "1", "--out", dir / "bad.csv"}, dir);
  EXPECT_EQ(both.exit_code, 2);
  // A posterior-only model says it cannot.
  ASSERT_EQ(run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "300",
                          "--out", dir / "p.safetensors"}, dir).exit_code, 0);
  const auto post = run_test_cli({"sample", "--model", dir / "p.safetensors", "--condition", "mu_1=1", "--out",
                                  dir / "bad.csv"}, dir);
  EXPECT_EQ(post.exit_code, 2);
  EXPECT_NE(post.err.find("samples only the posterior"), std::string::npos) << post.err;
}

TEST(CliCommands, TrainConfigReachesTheMethod) {
  TempDir dir;
  write_text(dir.path() / "c.json", "{\"epochs\": 5}");
  const auto r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "500",
                               "--config", dir / "c.json", "--out", dir / "m.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("epoch 5/5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("5 epochs"), std::string::npos) << r.err;
}

TEST(CliCommands, EvaluateWritesMetricsSamplesAndPlots) {
  TempDir dir;
  const std::string out = dir / "eval";
  write_text(dir.path() / "c.json", "{\"epochs\": 2}");
  const auto r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "4000",
                               "--observations", "3", "--seed", "7", "--config", dir / "c.json", "--out", out,
                               "--save-model", dir / "m.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // --save-model wrote the trained checkpoint, and `amor sample` can use it.
  const auto rs = run_test_cli({"sample", "--model", dir / "m.safetensors", "--num-observation", "3", "--n", "100",
                                "--out", dir / "s.csv"}, dir);
  ASSERT_EQ(rs.exit_code, 0) << rs.err;
  EXPECT_EQ(sbi::io::read_csv(dir / "s.csv").values.size(0), 100);
  const nlohmann::json m = nlohmann::json::parse(read_text(out + "/metrics.json"));
  EXPECT_EQ(m["task"], "test_gauss2d");
  EXPECT_EQ(m["method"], "oracle");
  EXPECT_EQ(m["num_simulations"], 4000);
  EXPECT_EQ(m["seed"], 7);
  // 5% of 4000 fail: 200 expected, sd 14.
  EXPECT_GT(m["num_invalid_simulations"].get<int>(), 130);
  EXPECT_LT(m["num_invalid_simulations"].get<int>(), 270);
  EXPECT_GE(m["training"]["seconds"].get<double>(), 0.0);
  EXPECT_EQ(m["training"]["epochs"], 2);  // from --config
  EXPECT_EQ(m["config"]["method"], nlohmann::json({{"epochs", 2}}));
  EXPECT_EQ(m["training"]["interrupted"], false);
  EXPECT_EQ(m["config"]["num_posterior_samples"], 10000);
  // One observation keeps this test short (each C2ST trains 5 classifiers on 16 000 rows); the
  // observation lists themselves are tested in-process (CliSupport.ObservationLists).
  ASSERT_EQ(m["observations"].size(), 1u);
  const auto& o = m["observations"][0];
  EXPECT_EQ(o["num_observation"], 3);
  // The oracle samples the exact posterior up to its noise estimate, so the classifier can only
  // guess: C2ST 0.5 +- 0.01 for 10 000 vs 10 000 (a wrong posterior scores far higher).
  const double c2st = o["c2st"].get<double>();
  EXPECT_GT(c2st, 0.45);
  EXPECT_LT(c2st, 0.56);
  EXPECT_GE(o["sampling_seconds"].get<double>(), 0.0);
  EXPECT_GE(o["sampling_cpu_seconds"].get<double>(), 0.0);
  EXPECT_GE(m["training"]["cpu_seconds"].get<double>(), 0.0);
  EXPECT_GE(o["c2st_seconds"].get<double>(), 0.0);
  const auto s = sbi::io::read_csv(out + "/samples_3.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"mu_1", "mu_2"}));
  EXPECT_EQ(s.values.size(0), 10000);
  const std::string svg_text = read_text(out + "/pair_3.svg");
  const XmlSummary svg = check_xml(svg_text);
  EXPECT_EQ(svg.error, "");
  EXPECT_EQ(svg.elements.at("image"), 1);
  EXPECT_NE(svg_text.find("reference (n = 10000)"), std::string::npos);
  const double mean = c2st;
  EXPECT_NEAR(m["c2st_mean"].get<double>(), mean, 1e-12);
  EXPECT_FALSE(std::filesystem::exists(out + "/samples_1.csv"));
  EXPECT_NE(r.out.find("C2ST"), std::string::npos);
  EXPECT_NE(r.out.find("mean"), std::string::npos);
}

TEST(CliCommands, EvaluateTheLikelihoodOfATrainedModel) {
  // joint_oracle samples x | θ exactly, so its likelihood C2ST against fresh simulations at the
  // true θ is 0.5 up to noise; --model skips training, and the metrics say which model it was.
  TempDir dir;
  auto r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "3000",
                         "--seed", "1", "--out", dir / "j.safetensors"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = dir / "lik";
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle", "--model", dir / "j.safetensors",
                    "--likelihood", "--observations", "2", "--out", out}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json m = nlohmann::json::parse(read_text(out + "/metrics.json"));
  EXPECT_EQ(m["evaluation"], "likelihood");
  EXPECT_EQ(m["model"], dir / "j.safetensors");
  EXPECT_TRUE(m["num_simulations"].is_null());
  ASSERT_EQ(m["observations"].size(), 1u);
  const auto& o = m["observations"][0];
  EXPECT_EQ(o["num_observation"], 2);
  EXPECT_EQ(o["theta"].size(), 2u);
  const double c2st = o["c2st"].get<double>();
  EXPECT_GT(c2st, 0.45);
  EXPECT_LT(c2st, 0.56);
  const auto s = sbi::io::read_csv(out + "/likelihood_2.csv");
  EXPECT_EQ(s.header, (std::vector<std::string>{"y_1", "y_2"}));
  EXPECT_EQ(s.values.size(0), 10000);
  // A posterior-only method cannot be scored on its likelihood; neither --model nor --simulations
  // is a usage error; --model excludes --simulations.
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "200",
                    "--likelihood", "--observations", "2", "--out", dir / "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("samples only the posterior"), std::string::npos) << r.err;
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--out", dir / "o2"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--model FILE"), std::string::npos) << r.err;
  r = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "200",
                    "--model", dir / "j.safetensors", "--out", dir / "o3"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  // A checkpoint of another task is refused by name.
  r = run_test_cli({"evaluate", "--task", "two_moons", "--method", "joint_oracle", "--model", dir / "j.safetensors",
                    "--likelihood", "--observations", "1", "--out", dir / "o4"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("test_gauss2d"), std::string::npos) << r.err;
}

TEST(CliCommands, PlotPairSvgAndPng) {
  TempDir dir;
  // Two-moons-like crescents, written by hand as CSV.
  std::string a = "theta_1,theta_2\n", b = a;
  for (int i = 0; i < 3000; ++i) {
    const double t = -1.5 + 3.0 * i / 3000, s = (i % 2) ? 1 : -1;
    const double r = 0.1 + 0.01 * std::sin(37.0 * i);
    a += std::to_string(s * (r * std::cos(t) + 0.25)) + "," + std::to_string(r * std::sin(t) + 0.1 * s) + "\n";
    b += std::to_string(s * (r * std::cos(t) + 0.26)) + "," + std::to_string(r * std::sin(t) + 0.1 * s) + "\n";
  }
  write_text(dir.path() / "a.csv", a);
  write_text(dir.path() / "b.csv", b);
  auto r = run_amor({"plot", "--samples", dir / "a.csv", "--reference", dir / "b.csv", "--out", dir / "p.svg"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = read_text(dir.path() / "p.svg");
  const XmlSummary x = check_xml(svg);
  EXPECT_EQ(x.error, "");
  EXPECT_EQ(x.root, "svg");
  EXPECT_NE(svg.find(">theta_2<"), std::string::npos);
  r = run_amor({"plot", "--samples", dir / "a.csv", "--reference", dir / "b.csv", "--out", dir / "p.png"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(dir.path() / "p.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const plot::RgbaImage img = plot::read_png(dir / "p.png");
  EXPECT_GT(img.width, 400);
  EXPECT_GT(img.height, 400);
  r = run_amor({"plot", "--samples", dir / "a.csv", "--out", dir / "alone.png"}, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliCommands, PlotSbcAndCoverage) {
  TempDir dir;
  std::string ranks = "alpha,beta\n", cov = "level,npe,nle\n";
  for (int i = 0; i < 300; ++i)
    ranks += std::to_string((i * 37 % 101) / 100.0) + "," + std::to_string((i * 53 % 101) / 100.0) + "\n";
  for (int i = 0; i <= 10; ++i)
    cov += std::to_string(i / 10.0) + "," + std::to_string(std::min(1.0, i / 10.0 + 0.05)) + "," +
           std::to_string(i / 10.0 * 0.9) + "\n";
  write_text(dir.path() / "ranks.csv", ranks);
  write_text(dir.path() / "cov.csv", cov);
  auto r = run_amor({"plot", "--sbc", dir / "ranks.csv", "--out", dir / "sbc.png"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(plot::read_png(dir / "sbc.png").width, 300);
  r = run_amor({"plot", "--coverage", dir / "cov.csv", "--out", dir / "cov.svg"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = read_text(dir.path() / "cov.svg");
  EXPECT_EQ(check_xml(svg).error, "");
  EXPECT_NE(svg.find(">nle<"), std::string::npos);
}

TEST(CliCommands, CtrlCStopsTrainingAndSavesTheBestModel) {
  TempDir dir;
  Child child(AMOR_TEST_CLI_BINARY,
              {"train", "--task", "test_gauss2d", "--method", "slow_oracle", "--simulations", "1000",
               "--out", dir / "m.safetensors"}, dir, "train");
  ASSERT_GT(child.pid(), 0);
  // Wait for the first progress line (training has started), then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (child.err_so_far().find("epoch 1/2000") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NE(child.err_so_far().find("epoch 1/2000"), std::string::npos) << child.err_so_far();
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  const auto t0 = std::chrono::steady_clock::now();
  const ProcessResult r = child.wait();
  // The slow oracle needs 100 s for its 2000 epochs; stopping takes one 50 ms epoch.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrote"), std::string::npos) << r.err;
  const nlohmann::json meta = nn::read_checkpoint_config(dir / "m.safetensors");
  EXPECT_EQ(meta["method"], "slow_oracle");
  // The checkpoint is usable.
  const auto s = run_test_cli({"sample", "--model", dir / "m.safetensors", "--num-observation", "1", "--n", "10",
                               "--out", dir / "s.csv"}, dir);
  EXPECT_EQ(s.exit_code, 0) << s.err;
}

}  // namespace
}  // namespace amor::test
