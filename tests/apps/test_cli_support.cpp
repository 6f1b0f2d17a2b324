// In-process pieces of the command line: strict flag parsing, observation lists, output checks,
// and the progress display in both its terminal and its plain (non-terminal) form.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "apps/cli_support.h"
#include "apps/progress.h"
#include "core/error.h"
#include "tests/apps/cli_test_util.h"

namespace amor::apps {
namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(CliSupport, WholeNumberFlags) {
  EXPECT_EQ(parse_int_flag("--n", "10000", 1, 100000), 10000);
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "abc", 1, 10); }), "--n: 'abc' is not a whole number");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "1.5", 1, 10); }), "--n: '1.5' is not a whole number");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "1e4", 1, 1000000); }), "--n: '1e4' is not a whole number");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "", 1, 10); }), "--n: '' is not a whole number");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "0", 1, 10); }), "--n: 0 must be at least 1");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "-5", 1, 10); }), "--n: -5 must be at least 1");
  EXPECT_EQ(error_of([] { parse_int_flag("--n", "11", 1, 10); }), "--n: 11 must be at most 10");
  EXPECT_NE(error_of([] { parse_int_flag("--n", "99999999999999999999", 1, 10); }).find("out of range"),
            std::string::npos);
  EXPECT_EQ(parse_seed_flag("--seed", "18446744073709551615"), 18446744073709551615ull);
  EXPECT_NE(error_of([] { parse_seed_flag("--seed", "-1"); }).find("--seed: '-1'"), std::string::npos);
  EXPECT_NE(error_of([] { parse_seed_flag("--seed", "18446744073709551616"); }).find("out of range"),
            std::string::npos);
}

TEST(CliSupport, ObservationLists) {
  EXPECT_EQ(parse_observation_list("--observations", "1-10", 10), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(parse_observation_list("--observations", "7,2-3,3", 10), (std::vector<int>{2, 3, 7}));
  EXPECT_EQ(error_of([] { parse_observation_list("--observations", "0-3", 10); }),
            "--observations: 0 must be at least 1");
  EXPECT_EQ(error_of([] { parse_observation_list("--observations", "4-11", 10); }),
            "--observations: 11 must be at most 10");
  EXPECT_EQ(error_of([] { parse_observation_list("--observations", "5-2", 10); }),
            "--observations: the range '5-2' runs backwards");
  EXPECT_NE(error_of([] { parse_observation_list("--observations", "1,,2", 10); }).find("empty item"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_observation_list("--observations", "1", 0); }).find("no reference"),
            std::string::npos);
}

TEST(CliSupport, OutputChecks) {
  test::TempDir dir;
  EXPECT_NO_THROW(check_output_file("--out", dir / "a.csv"));
  EXPECT_NE(error_of([&] { check_output_file("--out", dir / "nope/a.csv"); }).find("does not exist"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_output_file("--out", dir.path().string()); }).find("is a directory"),
            std::string::npos);
  EXPECT_NO_THROW(ensure_output_dir("--out", dir / "x/y"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "x/y"));
  test::write_text(dir.path() / "file", "x");
  EXPECT_THROW(ensure_output_dir("--out", dir / "file"), IOError);
  EXPECT_THROW(ensure_output_dir("--out", dir / "file/sub"), IOError);
  test::write_text(dir.path() / "c.json", "{\"a\": 1,}");
  EXPECT_NE(error_of([&] { read_json_object("--config", dir / "c.json"); }).find("is not valid JSON"),
            std::string::npos);
  test::write_text(dir.path() / "d.json", "[1, 2]");
  EXPECT_NE(error_of([&] { read_json_object("--config", dir / "d.json"); }).find("must hold a JSON object"),
            std::string::npos);
  test::write_text(dir.path() / "e.json", "{\"epochs\": 4}");
  EXPECT_EQ(read_json_object("--config", dir / "e.json")["epochs"], 4);
}

TEST(CliSupport, OneLineAndDurations) {
  EXPECT_EQ(one_line("a\nb\tc\n"), "a b c");
  EXPECT_EQ(format_seconds(1.234), "1.23 s");
  EXPECT_EQ(format_seconds(125), "2 min 05 s");
  EXPECT_EQ(format_seconds(3720), "1 h 02 min");
}

std::string captured(ProgressReporter::Options opt, const std::vector<sbi::TrainProgress>& reports) {
  std::FILE* f = std::tmpfile();
  ProgressReporter r(f, opt);
  for (const auto& p : reports) r.update(p);
  r.finish();
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  std::fclose(f);
  return s;
}

std::vector<sbi::TrainProgress> epochs(int n, double seconds_each, int64_t total) {
  std::vector<sbi::TrainProgress> v;
  for (int e = 1; e <= n; ++e) {
    sbi::TrainProgress p;
    p.done = e, p.total = total, p.train_loss = 2.0 / e, p.val_loss = 2.5 / e;
    p.best_val_loss = 2.5 / e, p.elapsed_s = e * seconds_each;
    v.push_back(p);
  }
  return v;
}

TEST(CliProgress, PlainLinesArePeriodic) {
  // 40 epochs of 0.5 s with a line every 5 s: epochs 1 (0.5 s), 11 (5.5 s), 21, 31, and the last.
  const std::string out = captured({.terminal = false, .interval_s = 5.0}, epochs(40, 0.5, 40));
  const auto lines = test::split_lines(out);
  ASSERT_EQ(lines.size(), 5u) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find('\033'), std::string::npos);
  EXPECT_EQ(lines[0].rfind("epoch 1/40  loss 2.0000  val 2.5000  best 2.5000  2.0 epoch/s", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("epoch 11/40"), std::string::npos) << lines[1];
  EXPECT_NE(lines[3].find("epoch 31/40"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("epoch 40/40"), std::string::npos);
  EXPECT_NE(lines[4].find("elapsed 0:20  ETA 0:00"), std::string::npos) << lines[4];
  EXPECT_NE(lines[1].find("ETA 0:15"), std::string::npos) << lines[1];
}

TEST(CliProgress, UnknownTotalAndHeldBackLastLine) {
  // Early stopping decides the total: no ETA; the last report is printed by finish().
  auto reports = epochs(7, 1.0, -1);
  reports[3].val_loss = NAN;
  const std::string out = captured({.terminal = false, .interval_s = 3.0}, reports);
  const auto lines = test::split_lines(out);
  ASSERT_EQ(lines.size(), 3u) << out;  // epochs 1, 4 and 7 (3 s apart)
  EXPECT_NE(lines[1].find("epoch 4  loss 0.5000  val -"), std::string::npos) << lines[1];
  EXPECT_EQ(out.find("ETA"), std::string::npos);
  EXPECT_NE(lines[2].find("epoch 7 "), std::string::npos);
  const std::string slow = captured({.terminal = false}, epochs(1, 4.0, -1));
  EXPECT_NE(slow.find("4.0 s/epoch"), std::string::npos) << slow;
}

TEST(CliProgress, RateFollowsChangesOfPace) {
  // 10 epochs of 1 s, then 200 of 0.1 s. The moving average (10 s time constant) has moved
  // 1 - e^-2 of the way from 1 to 10 epoch/s by the end: 8.8 epoch/s, where the overall average
  // would say 210 / 30 s = 7.0; the ETA of the remaining 90 epochs follows the recent rate.
  auto reports = epochs(10, 1.0, 300);
  for (int e = 11; e <= 210; ++e) {
    sbi::TrainProgress p = reports.back();
    p.done = e, p.elapsed_s = 10.0 + 0.1 * (e - 10);
    reports.push_back(p);
  }
  const auto lines = test::split_lines(captured({.terminal = false, .interval_s = 1000.0}, reports));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("epoch 210/300"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("8.8 epoch/s"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("ETA 0:10"), std::string::npos) << lines[1];
}

TEST(CliProgress, TerminalRedrawsInPlace) {
  const std::string out = captured({.terminal = true, .redraw_s = 0.1, .bar_width = 10}, epochs(4, 1.0, 4));
  EXPECT_EQ(test::count_lines(out), 1u);  // one line, ended by finish()
  EXPECT_EQ(out.back(), '\n');
  size_t redraws = 0;
  for (size_t p = out.find('\r'); p != std::string::npos; p = out.find('\r', p + 1)) ++redraws;
  EXPECT_EQ(redraws, 4u);
  EXPECT_NE(out.find("epoch 2/4 [#####.....]"), std::string::npos) << out;
  EXPECT_NE(out.find("epoch 4/4 [##########]"), std::string::npos);
  EXPECT_NE(out.find("\033[K"), std::string::npos);
  // On a 30-column terminal each redraw is cut to 29 characters, so it never wraps.
  const std::string narrow = captured({.terminal = true, .bar_width = 10, .columns = 30}, epochs(3, 1.0, 3));
  for (size_t p = narrow.find('\r'); p != std::string::npos; p = narrow.find('\r', p + 1)) {
    const size_t end = narrow.find('\033', p);
    EXPECT_EQ(end - p - 1, 29u) << narrow;
  }
}

}  // namespace
}  // namespace amor::apps
