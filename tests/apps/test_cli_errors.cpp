// Bad input never crashes: every case below exits with status 2 and one line on stderr naming
// the problem (and the flag or file where it is); an unexpected exception exits with 1.
#include <gtest/gtest.h>

#include "core/tensor.h"
#include "nn/checkpoint.h"
#include "sbi/device_option.h"
#include "tests/apps/cli_test_util.h"
#include "tests/apps/support/fixtures.h"

namespace amor::test {
namespace {

// Runs the test CLI and expects exit status 2 with exactly one stderr line containing every
// `needle`, and no output file left behind at `must_not_exist` (when given).
void expect_bad_input(const TempDir& dir, const std::vector<std::string>& args,
                      const std::vector<std::string>& needles, const std::string& must_not_exist = "") {
  const ProcessResult r = run_test_cli(args, dir);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
  EXPECT_EQ(r.term_signal, 0) << cmd;
  EXPECT_EQ(count_lines(r.err), 1u) << cmd << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("amor", 0), 0u) << r.err;
  for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << cmd << "\nmissing '" << n << "' in: " << r.err;
  if (!must_not_exist.empty()) {
    EXPECT_FALSE(std::filesystem::exists(must_not_exist)) << must_not_exist;
  }
}

TEST(CliErrors, UnknownTaskOrMethod) {
  TempDir dir;
  expect_bad_input(dir, {"simulate", "--task", "nope", "--n", "5", "--out", dir / "a.csv"},
                   {"amor simulate:", "nope"}, dir / "a.csv");
  expect_bad_input(dir, {"train", "--task", "test_gauss2d", "--method", "magic", "--simulations", "10",
                         "--out", dir / "m.st"}, {"unknown method 'magic'", "npe"});
  expect_bad_input(dir, {"train", "--task", "nope", "--method", "oracle", "--simulations", "10", "--out", dir / "m.st"},
                   {"nope"});
  expect_bad_input(dir, {"evaluate", "--task", "tree", "--method", "oracle", "--simulations", "10", "--out", dir / "e"},
                   {"task 'tree' has no reference posterior samples"});
}

TEST(CliErrors, MethodsNotBuiltYet) {
  // The real binary; `amor version` lists which methods are built. Each one that is not yet
  // must be refused with sbi's NotImplementedError, before any simulation.
  TempDir dir;
  const ProcessResult v = run_amor({"version"}, dir);
  ASSERT_EQ(v.exit_code, 0);
  int missing = 0;
  for (const std::string m : {"npe", "nle", "simformer"}) {
    if (v.out.find(m + " (not yet available)") == std::string::npos) continue;
    ++missing;
    const ProcessResult r = run_amor({"train", "--task", "sir", "--method", m, "--simulations", "10",
                                      "--out", dir / "m.st"}, dir);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "amor train: method '" + m + "' is not available yet\n");
    const ProcessResult e = run_amor({"evaluate", "--task", "two_moons", "--method", m, "--simulations", "10",
                                      "--out", dir / "e"}, dir);
    EXPECT_EQ(e.exit_code, 2);
    EXPECT_EQ(e.err, "amor evaluate: method '" + m + "' is not available yet\n");
    EXPECT_FALSE(std::filesystem::exists(dir / "e"));
  }
  if (missing == 0) GTEST_SKIP() << "every method is built";
}

TEST(CliErrors, BadNumbersInFlags) {
  TempDir dir;
  const std::string out = dir / "a.csv";
  auto sim = [&](const std::string& flag, const std::string& v) {
    std::vector<std::string> a{"simulate", "--task", "test_gauss2d", "--n", "5", "--out", out};
    if (flag == "--n") a[4] = v;
    else a.insert(a.end(), {flag, v});
    return a;
  };
  expect_bad_input(dir, sim("--n", "abc"), {"--n: 'abc' is not a whole number"}, out);
  expect_bad_input(dir, sim("--n", "-5"), {"--n: -5 must be at least 1"}, out);
  expect_bad_input(dir, sim("--n", "0"), {"--n: 0 must be at least 1"}, out);
  expect_bad_input(dir, sim("--n", "2.5"), {"--n: '2.5'"}, out);
  expect_bad_input(dir, sim("--n", "99999999999999999999"), {"--n:", "out of range"}, out);
  expect_bad_input(dir, sim("--seed", "-1"), {"--seed: '-1'"}, out);
  expect_bad_input(dir, sim("--seed", "x1"), {"--seed: 'x1'"}, out);
  expect_bad_input(dir, {"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "1k",
                         "--out", dir / "m.st"}, {"--simulations: '1k'"});
  expect_bad_input(dir, {"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "10",
                         "--observations", "2-5", "--out", dir / "e"}, {"--observations: 5 must be at most 3"});
  expect_bad_input(dir, {"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "10",
                         "--observations", "x", "--out", dir / "e"}, {"--observations: 'x'"});
}

TEST(CliErrors, UsageErrors) {
  TempDir dir;
  expect_bad_input(dir, {"simulate", "--task", "test_gauss2d", "--out", dir / "a.csv"}, {"--n", "required"});
  expect_bad_input(dir, {"simulate", "--task", "test_gauss2d", "--n", "3", "--out", dir / "a.csv", "--bogus"},
                   {"--bogus"});
  expect_bad_input(dir, {"frobnicate"}, {"frobnicate"});
  expect_bad_input(dir, {"plot", "--samples", dir / "a.csv", "--sbc", dir / "b.csv", "--out", dir / "p.svg"},
                   {"exactly one of --samples"});
  expect_bad_input(dir, {"plot", "--sbc", dir / "b.csv", "--reference", dir / "c.csv", "--out", dir / "p.svg"},
                   {"--reference goes with --samples"});
  expect_bad_input(dir, {"plot", "--samples", dir / "a.csv", "--out", dir / "p.jpg"}, {"--out", "p.jpg", ".svg or .png"});
}

TEST(CliErrors, MalformedCsvInputs) {
  TempDir dir;
  const std::string png = dir / "p.png";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"wrong_columns.csv", "a,b\n1,2\n3,4,5\n"},
      {"not_numbers.csv", "a,b\n1,2\n3,abc\n"},
      {"has_nan.csv", "a,b\n1,nan\n"},
      {"empty.csv", ""},
      {"header_only.csv", "a,b\n"},
  };
  for (const auto& [name, text] : cases) {
    write_text(dir.path() / name, text);
    expect_bad_input(dir, {"plot", "--samples", dir / name, "--out", png}, {name}, png);
  }
  // The message says where: file:line for a bad cell.
  expect_bad_input(dir, {"plot", "--samples", dir / "not_numbers.csv", "--out", png}, {"not_numbers.csv:3"}, png);
  expect_bad_input(dir, {"plot", "--samples", dir / "missing.csv", "--out", png}, {"missing.csv"}, png);
  // Column counts that do not match.
  write_text(dir.path() / "three.csv", "a,b,c\n1,2,3\n");
  write_text(dir.path() / "two.csv", "a,b\n1,2\n");
  expect_bad_input(dir, {"plot", "--samples", dir / "two.csv", "--reference", dir / "three.csv", "--out", png},
                   {"--reference", "three.csv", "3 columns"}, png);
  write_text(dir.path() / "ranks.csv", "a,b\n0.5,0.2\n0.1,1.5\n");
  expect_bad_input(dir, {"plot", "--sbc", dir / "ranks.csv", "--out", png},
                   {"--sbc", "ranks.csv", "row 2, column 'b'", "not in [0, 1]"}, png);
  write_text(dir.path() / "cov.csv", "level\n0.5\n");
  expect_bad_input(dir, {"plot", "--coverage", dir / "cov.csv", "--out", png}, {"--coverage", "cov.csv"}, png);
}

TEST(CliErrors, BadObservationsAndCheckpoints) {
  TempDir dir;
  ASSERT_EQ(run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "300",
                          "--out", dir / "m.safetensors"}, dir).exit_code, 0);
  const std::string out = dir / "s.csv";
  auto sample = [&](std::vector<std::string> extra) {
    std::vector<std::string> a{"sample", "--model", dir / "m.safetensors", "--out", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  write_text(dir.path() / "obs3.csv", "a,b,c\n1,2,3\n");
  expect_bad_input(dir, sample({"--observation", dir / "obs3.csv"}),
                   {"--observation", "obs3.csv", "has 3 columns", "task 'test_gauss2d'", "takes x with 2"}, out);
  write_text(dir.path() / "obs0rows.csv", "a,b\n");
  expect_bad_input(dir, sample({"--observation", dir / "obs0rows.csv"}), {"obs0rows.csv"}, out);
  write_text(dir.path() / "obsinf2.csv", "a,b\n1,2\n3,inf\n");
  expect_bad_input(dir, sample({"--observation", dir / "obsinf2.csv"}), {"obsinf2.csv", "row 2", "column 'b'"}, out);
  write_text(dir.path() / "obsnan.csv", "a,b\n1,nan\n");
  expect_bad_input(dir, sample({"--observation", dir / "obsnan.csv"}), {"obsnan.csv"}, out);
  expect_bad_input(dir, sample({"--num-observation", "4"}), {"--num-observation: 4 must be between 1 and 3"}, out);
  expect_bad_input(dir, sample({"--num-observation", "0"}), {"--num-observation: 0 must be at least 1"}, out);
  expect_bad_input(dir, sample({}), {"exactly one of --observation"}, out);
  expect_bad_input(dir, sample({"--observation", dir / "obs3.csv", "--num-observation", "1"}),
                   {"--observation", "excludes"}, out);

  // Checkpoints that are not what they claim: a model for another task, a file that names NLE
  // but holds none of its metadata or tensors, another method's tensors, an nn checkpoint, and a file that is no checkpoint at all.
  const Tensor noise = from_vector(std::vector<double>{0.5}, Shape{1});
  write_posterior_checkpoint(dir / "sir_oracle.st", {{"noise", noise}}, "oracle", "sir");
  expect_bad_input(dir, {"sample", "--model", dir / "sir_oracle.st", "--num-observation", "1", "--out", out},
                   {"task 'sir'", "has 10"}, out);
  write_posterior_checkpoint(dir / "nle.st", {{"noise", noise}}, "nle", "test_gauss2d");
  expect_bad_input(dir, {"sample", "--model", dir / "nle.st", "--num-observation", "1", "--out", out},
                   {"nle.st", "is not an NLE checkpoint"}, out);
  write_posterior_checkpoint(dir / "weights.st", {{"layer.weight", from_vector(std::vector<double>{1, 2}, Shape{2})}},
                             "oracle", "test_gauss2d");
  expect_bad_input(dir, {"sample", "--model", dir / "weights.st", "--num-observation", "1", "--out", out},
                   {"weights.st", "is not a oracle checkpoint"}, out);
  nn::write_safetensors(dir / "plain.st", {{"w", noise}}, {{"format", "amor-checkpoint"}});
  expect_bad_input(dir, {"sample", "--model", dir / "plain.st", "--num-observation", "1", "--out", out},
                   {"plain.st"}, out);
  write_text(dir.path() / "junk.st", "this is not a checkpoint");
  expect_bad_input(dir, {"sample", "--model", dir / "junk.st", "--num-observation", "1", "--out", out},
                   {"junk.st"}, out);
  expect_bad_input(dir, {"sample", "--model", dir / "nothing.st", "--num-observation", "1", "--out", out},
                   {"nothing.st"}, out);
}

TEST(CliErrors, UnwritableOutputs) {
  TempDir dir;
  expect_bad_input(dir, {"simulate", "--task", "test_gauss2d", "--n", "5", "--out", dir / "no/such/dir/a.csv"},
                   {"--out", "no/such/dir/a.csv", "does not exist"});
  expect_bad_input(dir, {"simulate", "--task", "test_gauss2d", "--n", "5", "--out", dir.path().string()},
                   {"--out", "is a directory"});
  // train checks its output before simulating and training.
  const ProcessResult r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations",
                                        "100", "--out", dir / "no/m.st"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("epoch"), std::string::npos) << r.err;
  write_text(dir.path() / "file", "x");
  expect_bad_input(dir, {"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "10",
                         "--out", dir / "file/sub"}, {"--out", "file/sub"});
  // evaluate checks --save-model before training, too.
  const ProcessResult e = run_test_cli({"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations",
                                        "100", "--out", dir / "ev", "--save-model", dir / "no/m.st"}, dir);
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("--save-model"), std::string::npos) << e.err;
  EXPECT_EQ(e.err.find("epoch"), std::string::npos) << e.err;
  expect_bad_input(dir, {"plot", "--samples", dir / "file", "--out", dir / "no/p.svg"}, {"--out", "no/p.svg"});
}

TEST(CliErrors, ConfigFiles) {
  TempDir dir;
  auto train = [&](const std::string& cfg) {
    return std::vector<std::string>{"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50",
                                    "--config", cfg, "--out", dir / "m.st"};
  };
  write_text(dir.path() / "bad.json", "{\"epochs\": }");
  expect_bad_input(dir, train(dir / "bad.json"), {"--config", "bad.json", "not valid JSON"}, dir / "m.st");
  write_text(dir.path() / "list.json", "[]");
  expect_bad_input(dir, train(dir / "list.json"), {"list.json", "JSON object"}, dir / "m.st");
  expect_bad_input(dir, train(dir / "none.json"), {"none.json"}, dir / "m.st");
  write_text(dir.path() / "unknown.json", "{\"learning_rate\": 0.1}");
  expect_bad_input(dir, train(dir / "unknown.json"), {"learning_rate"}, dir / "m.st");
  // evaluate reads its config before creating DIR or training.
  expect_bad_input(dir, {"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50",
                         "--config", dir / "bad.json", "--out", dir / "e"},
                   {"--config", "bad.json", "not valid JSON"}, dir / "e");
}

TEST(CliErrors, EstimatorAndSummaryFlags) {
  // Each flag is refused, with its name, by a method it does not apply to, and a name the
  // method does not know is refused by the method; nothing is trained or written.
  TempDir dir;
  auto train = [&](const std::string& method, const std::string& flag, const std::string& value) {
    return std::vector<std::string>{"train", "--task", "two_moons", "--method", method, "--simulations", "50",
                                    flag, value, "--out", dir / "m.st"};
  };
  expect_bad_input(dir, train("simformer", "--estimator", "maf"), {"--estimator", "simformer"}, dir / "m.st");
  expect_bad_input(dir, train("nle", "--summary", "deepset"), {"--summary", "nle"}, dir / "m.st");
  expect_bad_input(dir, train("npe", "--estimator", "glow"), {"estimator", "glow"}, dir / "m.st");
  expect_bad_input(dir, train("npe", "--summary", "lstm"), {"lstm"}, dir / "m.st");
  expect_bad_input(dir, {"evaluate", "--task", "two_moons", "--method", "simformer", "--simulations", "50",
                         "--estimator", "nsf", "--out", dir / "e"},
                   {"--estimator", "simformer"}, dir / "e");
}

// --device on train, sample and evaluate: bad text, and a device this build or machine cannot
// use, are refused before any simulation or training, in one line naming the flag.
TEST(CliErrors, DeviceFlag) {
  TempDir dir;
  auto train = [&](const std::string& device) {
    return std::vector<std::string>{"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50",
                                    "--device", device, "--out", dir / "m.st"};
  };
  expect_bad_input(dir, train("gpu"), {"amor train:", "--device", "'gpu' is not a device", "cuda:N"}, dir / "m.st");
  expect_bad_input(dir, train("cuda:x"), {"--device", "'cuda:x' is not a device"}, dir / "m.st");
  // cuda:100 exists on no machine: whichever reason applies here is named.
  const char* why = !sbi::cuda_built() ? "built without CUDA"
                    : sbi::cuda_devices() == 0 ? "no usable CUDA device"
                                               : "this machine has";
  expect_bad_input(dir, train("cuda:100"), {"amor train:", "--device", "cuda:100", why}, dir / "m.st");
  if (sbi::cuda_devices() == 0)
    expect_bad_input(dir, train("cuda"), {"--device", "cuda:0", why}, dir / "m.st");
  expect_bad_input(dir, {"evaluate", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50",
                         "--device", "cuda:100", "--out", dir / "e"},
                   {"amor evaluate:", "--device", "cuda:100", why}, dir / "e");
  // The same device named in a --config file is checked before the simulations too.
  write_text(dir.path() / "tpu.json", "{\"device\": \"tpu\"}");
  expect_bad_input(dir, {"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50", "--config",
                         dir / "tpu.json", "--out", dir / "m.st"},
                   {"--config", "'tpu' is not a device"}, dir / "m.st");
  write_text(dir.path() / "far.json", "{\"device\": \"cuda:100\"}");
  expect_bad_input(dir, {"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50", "--config",
                         dir / "far.json", "--out", dir / "m.st"},
                   {"cuda:100", why}, dir / "m.st");

  // --device cpu works end to end (the oracle accepts "device": "cpu"); sampling checks its flag.
  ASSERT_EQ(run_test_cli(train("cpu"), dir).exit_code, 0);
  const ProcessResult ok = run_test_cli({"sample", "--model", dir / "m.st", "--num-observation", "1", "--n", "5",
                                         "--device", "cpu", "--out", dir / "s.csv"}, dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  expect_bad_input(dir, {"sample", "--model", dir / "m.st", "--num-observation", "1", "--device", "cuda:100",
                         "--out", dir / "s2.csv"},
                   {"amor sample:", "--device", "cuda:100", why}, dir / "s2.csv");
  expect_bad_input(dir, {"sample", "--model", dir / "m.st", "--num-observation", "1", "--device", "npu",
                         "--out", dir / "s2.csv"},
                   {"--device", "'npu' is not a device"}, dir / "s2.csv");
}

TEST(CliErrors, UnexpectedExceptionsExitWithOne) {
  TempDir dir;
  write_text(dir.path() / "fail.json", "{\"fail_unexpectedly\": true}");
  const ProcessResult r = run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "50",
                                        "--config", dir / "fail.json", "--out", dir / "m.st"}, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_NE(r.err.find("amor train: unexpected error: the oracle failed on purpose"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.st"));
}

}  // namespace
}  // namespace amor::test

namespace amor::test {
namespace {

// The --condition language (apps/conditions.h): every malformed item is one line naming it. A
// joint_oracle model samples conditionals given values (not intervals), enough to reach the parser.
TEST(CliErrors, MalformedConditions) {
  TempDir dir;
  ASSERT_EQ(run_test_cli({"train", "--task", "test_gauss2d", "--method", "joint_oracle", "--simulations", "300",
                          "--out", dir / "j.safetensors"}, dir).exit_code, 0);
  const std::string out = dir / "s.csv";
  auto sample = [&](const std::string& cond) {
    return std::vector<std::string>{"sample", "--model", dir / "j.safetensors", "--condition", cond, "--out", out};
  };
  expect_bad_input(dir, sample(""), {"give exactly one of"}, out);  // an empty --condition is none
  expect_bad_input(dir, sample(" "), {"--condition: empty"}, out);
  expect_bad_input(dir, sample("mu_1=1,,y_1=2"), {"--condition: an empty item"}, out);
  expect_bad_input(dir, sample("mu_1=1,"), {"--condition: an empty item"}, out);
  expect_bad_input(dir, sample("mu_1 in [0, 1"), {"'[' without ']'"}, out);
  expect_bad_input(dir, sample("mu_1 in 0, 1]"), {"']' without '['"}, out);
  expect_bad_input(dir, sample("mu_1 in [0, 1, 2]"), {"'mu_1 in [0, 1, 2]'", "two numbers"}, out);
  expect_bad_input(dir, sample("mu_1 in [a, 1]"), {"the lower bound ('a') is not a number"}, out);
  expect_bad_input(dir, sample("mu_1 in [0, zz]"), {"the upper bound ('zz') is not a number"}, out);
  expect_bad_input(dir, sample("mu_1 in [2, 1]"), {"'mu_1 in [2, 1]' is an empty interval"}, out);
  expect_bad_input(dir, sample("mu_1 in [-inf, inf]"), {"restricts nothing"}, out);
  expect_bad_input(dir, sample("mu_1 within [0, 1]"), {"'mu_1 within [0, 1]' is not one of"}, out);
  expect_bad_input(dir, sample("mu_1 > abc"), {"'abc' is not a finite number"}, out);
  expect_bad_input(dir, sample("mu_1 < inf"), {"'inf' is not a finite number"}, out);
  expect_bad_input(dir, sample("> 3"), {"'> 3' has no variable name"}, out);
  expect_bad_input(dir, sample("=3"), {"'=3' has no variable name"}, out);
  expect_bad_input(dir, sample("mu_1"), {"'mu_1' is not name=value"}, out);
  expect_bad_input(dir, sample("mu_1=1,mu_1 > 0"), {"'mu_1' is given twice"}, out);
  expect_bad_input(dir, sample("mu_1=1,mu1=2"), {"'mu_1' is given twice"}, out);
  expect_bad_input(dir, sample("nu_1 > 0"), {"no variable 'nu_1'", "mu_1, mu_2, y_1, y_2"}, out);
  expect_bad_input(dir, sample("7=1"), {"variable number 7 is outside 1..4"}, out);
  // Well-formed, but intervals need a simformer model.
  expect_bad_input(dir, sample("mu_1 in [0, 1], y_1=0.3"), {"intervals and bounds need a simformer model"}, out);
  // log-prob needs a simformer model.
  write_text(dir.path() / "p.csv", "mu_1,mu_2\n0,0\n");
  expect_bad_input(dir, {"log-prob", "--model", dir / "j.safetensors", "--points", dir / "p.csv", "--condition",
                         "y_1=0,y_2=0", "--out", out}, {"log-prob needs a simformer model"}, out);
  // A missing cell in an observation file: only a simformer model samples it.
  ASSERT_EQ(run_test_cli({"train", "--task", "test_gauss2d", "--method", "oracle", "--simulations", "300",
                          "--out", dir / "o.safetensors"}, dir).exit_code, 0);
  write_text(dir.path() / "obs.csv", "y_1,y_2\n0.5,\n");
  expect_bad_input(dir, {"sample", "--model", dir / "o.safetensors", "--observation", dir / "obs.csv", "--out", out},
                   {"column 'y_2' is missing", "only a simformer model"}, out);
  write_text(dir.path() / "inf.csv", "y_1,y_2\n0.5,inf\n");
  expect_bad_input(dir, {"sample", "--model", dir / "o.safetensors", "--observation", dir / "inf.csv", "--out", out},
                   {"column 'y_2' is infinite"}, out);
}

}  // namespace
}  // namespace amor::test
