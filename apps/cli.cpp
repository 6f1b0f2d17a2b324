#include "apps/cli.h"

#include <cstdio>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "core/error.h"
#include "sbi/method.h"

#ifndef AMOR_VERSION_STRING
#define AMOR_VERSION_STRING "unknown"
#endif

namespace amor::apps {

namespace {

constexpr int64_t kMaxCount = int64_t{1} << 40;

const char* kSimulateFooter =
    "Output: one header line (the task's θ names, then its x names), then one row per draw.\n"
    "Invalid simulations (NaN or ±inf in x) are KEPT, so row i is always prior draw i; their\n"
    "cells are written as nan/inf and their number is printed on stderr. (`amor train` drops them.)";

const char* kTrainFooter =
    "Progress goes to stderr: a status line redrawn in place on a terminal, plain periodic lines\n"
    "otherwise. Ctrl-C stops training after the current step and writes the best model so far\n"
    "(exit status 0); a second Ctrl-C aborts. --config takes a JSON object of method settings;\n"
    "--estimator and --summary set its \"estimator\" and \"summary\" keys (a flag wins over the file).";

const char* kSampleFooter =
    "Output: one header line (the θ names of the model's task), then one row per sample.\n"
    "--observation FILE: a CSV with one header line and one row holding x_o.\n"
    "--observation FILE may leave cells empty (or nan): a simformer model samples those x entries\n"
    "as latent (missing data).\n"
    "--condition LIST: for models that sample any conditional (simformer), comma-separated items\n"
    "  NAME=V          the variable is given (θ and x names as in `amor simulate`'s header, its\n"
    "                  1-based position, or the name without underscores: x3 for x_3)\n"
    "  NAME= or NAME=nan   missing: sampled like the variables not named\n"
    "  NAME in [A, B], NAME > V, NAME < V (>=, <= alike; A or B may be -inf/inf)   the variable is\n"
    "                  sampled restricted to the interval, by guidance (simformer; settings in the\n"
    "                  model's sampling.guidance; docs/guidance.md)\n"
    "The variables not given by value are sampled and written, e.g.\n"
    "  --condition \"x_3 in [0.1, 0.4], theta_1 > 0, x_1=0.3\". Without --condition, θ | x_o.";

const char* kLogProbFooter =
    "log p(points | condition) of a simformer model through the probability-flow ODE, in nats and\n"
    "the data's units. --points FILE: one column per variable not conditioned on, one row per\n"
    "point. The condition: --condition NAME=V,... (values only), --observation FILE or\n"
    "--num-observation K (θ | x_o), or none (the joint). Writes the points with a log_prob column.\n"
    "--divergence exact (one backward pass per latent variable per evaluation) or hutchinson\n"
    "(--probes Rademacher probes; unbiased, noisier); --steps Runge–Kutta steps (4 evaluations\n"
    "each). docs/guidance.md.";

const char* kEvaluateFooter =
    "Trains once, then for each observation draws 10000 posterior samples and computes the sbibm\n"
    "C2ST against the task's reference samples. Writes DIR/metrics.json (per-observation C2ST,\n"
    "training and sampling times, simulations dropped as invalid, settings), DIR/samples_K.csv and\n"
    "DIR/pair_K.svg (pair plot with the reference overlaid), and prints a table.\n"
    "--observations: e.g. 1-10, 3 or 1,4-6 (default: all of the task's observations).\n"
    "--config FILE: a JSON object of method settings, as for `amor train`; stored in metrics.json.\n"
    "--all-conditionals K: instead, score K random conditionals of the joint (masks as the Simformer\n"
    "draws them, values from a joint simulation) by the C2ST of the model's samples of the latent\n"
    "entries against MCMC reference samples on the task's joint density (tasks with one: tree, hmm,\n"
    "two_moons, gaussian_linear, ...; methods that sample any conditional: simformer). The references\n"
    "are cached under --reference-cache (default: reference_cache in the build tree).\n"
    "--save-model FILE: also write the trained checkpoint, for `amor sample` or another sampler\n"
    "on the same model. --model FILE: evaluate that checkpoint (of --method, on --task) instead of\n"
    "simulating and training.\n"
    "--likelihood: instead of the posterior, score the likelihood: for each observation's true θ,\n"
    "10000 samples of x | θ from the model against 10000 fresh simulations at that θ (methods that\n"
    "sample any conditional: simformer).";

const char* kPlotFooter =
    "Inputs (CSV: one header line of column names, then rows of numbers):\n"
    "  --samples FILE      one column per variable, one row per sample; --reference FILE, with the\n"
    "                      same columns, is overlaid in a second colour. A pair (corner) plot.\n"
    "  --sbc FILE          one column per parameter, one row per SBC round; each cell is the\n"
    "                      normalised rank of the true value among the L posterior draws, rank / L,\n"
    "                      in [0, 1]. Rank histograms with the 99% band of uniform ranks.\n"
    "  --coverage FILE     first column: credibility level in [0, 1]; every further column is one\n"
    "                      curve (named by its header): the fraction of true values inside the\n"
    "                      highest-density region of that level. Drawn against the diagonal.\n"
    "The format follows --out's extension: .svg or .png.";

const char* kDeviceHelp =
    "cpu (default), cuda or cuda:N: where the model trains/samples (needs a CUDA build and device)";

// The innermost subcommand the parser got to, for error messages ("amor train").
std::string command_name(const CLI::App& app) {
  std::string name = "amor";
  const CLI::App* cur = &app;
  while (true) {
    const auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    name += " " + cur->get_name();
  }
  return name;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"amor " AMOR_VERSION_STRING ": amortized simulation-based inference", "amor"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("amor ") + AMOR_VERSION_STRING);
  app.set_help_all_flag("--help-all", "Show the help of every command");

  std::function<int()> action;

  // Global: where the sbibm observations and reference posteriors are read from. Accepted before
  // or after the command (`amor evaluate --data-dir D ...`): subcommands fall through to here.
  std::string data_dir;
  app.add_option("--data-dir", data_dir,
                 "sbibm data directory (default: $AMOR_SBIBM_DIR, else ../shared/sbibm beside the source tree)")
      ->type_name("DIR");
  app.fallthrough();

  // ---- tasks
  CLI::App* tasks = app.add_subcommand("tasks", "List the tasks: θ and x dimensions, reference data");
  tasks->callback([&] { action = [&] { return run_tasks(data_dir); }; });

  // ---- simulate
  SimulateArgs sim;
  std::string sim_n, sim_seed = "0";
  CLI::App* simulate = app.add_subcommand("simulate", "Draw θ from a task's prior and simulate x");
  simulate->add_option("--task", sim.task, "Task name (see `amor tasks`)")->required();
  simulate->add_option("--n", sim_n, "Number of simulations")->required()->type_name("N");
  simulate->add_option("--seed", sim_seed, "Random seed")->capture_default_str()->type_name("S");
  simulate->add_option("--out", sim.out, "Output CSV")->required()->type_name("FILE");
  simulate->footer(kSimulateFooter);
  simulate->callback([&] {
    action = [&] {
      sim.n = parse_int_flag("--n", sim_n, 1, kMaxCount);
      sim.seed = parse_seed_flag("--seed", sim_seed);
      sim.data_dir = data_dir;
      return run_simulate(sim);
    };
  });

  // ---- train
  TrainArgs tr;
  std::string tr_n, tr_seed = "0";
  CLI::App* train = app.add_subcommand("train", "Simulate and train an amortized posterior");
  train->add_option("--task", tr.task, "Task name (see `amor tasks`)")->required();
  train->add_option("--method", tr.method, "npe, nle or simformer")->required();
  train->add_option("--simulations", tr_n, "Simulation budget")->required()->type_name("N");
  train->add_option("--seed", tr_seed, "Random seed")->capture_default_str()->type_name("S");
  train->add_option("--out", tr.out, "Output checkpoint (.safetensors)")->required()->type_name("FILE");
  train->add_option("--config", tr.config, "Method settings, a JSON object")->type_name("FILE");
  train->add_option("--estimator", tr.estimator, "npe, nle: maf, nsf or coupling (over --config)")->type_name("NAME");
  train->add_option("--summary", tr.summary, "npe: deepset, set_transformer or timeseries (over --config)")
      ->type_name("NAME");
  train->add_option("--device", tr.device, kDeviceHelp)->type_name("DEV");
  train->footer(kTrainFooter);
  train->callback([&] {
    action = [&] {
      tr.simulations = parse_int_flag("--simulations", tr_n, 1, kMaxCount);
      tr.seed = parse_seed_flag("--seed", tr_seed);
      tr.data_dir = data_dir;
      return run_train(tr);
    };
  });

  // ---- sample
  SampleArgs sa;
  std::string sa_n = "10000", sa_seed = "0", sa_k;
  CLI::App* sample = app.add_subcommand("sample", "Sample a trained posterior at an observation");
  sample->add_option("--model", sa.model, "Checkpoint written by `amor train`")->required()->type_name("FILE");
  auto* obs_opt = sample->add_option("--observation", sa.observation, "x_o as a one-row CSV")->type_name("FILE");
  auto* k_opt = sample->add_option("--num-observation", sa_k, "sbibm observation K of the model's task")->type_name("K");
  auto* cond_opt = sample->add_option("--condition", sa.condition,
                                      "Any conditional: values, intervals, bounds, e.g. \"x_1=0.3,x_2 in [0, 1]\" (simformer)")
                       ->type_name("LIST");
  obs_opt->excludes(k_opt);
  cond_opt->excludes(obs_opt)->excludes(k_opt);
  sample->add_option("--n", sa_n, "Number of samples")->capture_default_str()->type_name("N");
  sample->add_option("--seed", sa_seed, "Random seed")->capture_default_str()->type_name("S");
  sample->add_option("--out", sa.out, "Output CSV")->required()->type_name("FILE");
  sample->add_option("--device", sa.device, kDeviceHelp)->type_name("DEV");
  sample->footer(kSampleFooter);
  sample->callback([&] {
    action = [&] {
      sa.n = parse_int_flag("--n", sa_n, 1, kMaxCount);
      sa.seed = parse_seed_flag("--seed", sa_seed);
      if (!sa_k.empty()) sa.num_observation = static_cast<int>(parse_int_flag("--num-observation", sa_k, 1, 1000000));
      sa.data_dir = data_dir;
      return run_sample(sa);
    };
  });

  // ---- log-prob
  LogProbArgs lp;
  std::string lp_steps = "50", lp_probes = "1", lp_seed = "0", lp_k;
  CLI::App* logprob = app.add_subcommand("log-prob", "Log-density of a simformer conditional at given points");
  logprob->add_option("--model", lp.model, "Checkpoint written by `amor train`")->required()->type_name("FILE");
  logprob->add_option("--points", lp.points, "Points CSV (the variables not conditioned on)")->required()->type_name("FILE");
  auto* lp_cond = logprob->add_option("--condition", lp.condition, "Given values, e.g. x_1=0.3,x_2=-1.2")
                      ->type_name("NAME=V,...");
  auto* lp_obs = logprob->add_option("--observation", lp.observation, "x_o as a one-row CSV")->type_name("FILE");
  auto* lp_kopt = logprob->add_option("--num-observation", lp_k, "sbibm observation K of the model's task")->type_name("K");
  lp_cond->excludes(lp_obs)->excludes(lp_kopt);
  lp_obs->excludes(lp_kopt);
  logprob->add_option("--divergence", lp.divergence, "exact or hutchinson")->capture_default_str();
  logprob->add_option("--steps", lp_steps, "Runge–Kutta steps")->capture_default_str()->type_name("N");
  logprob->add_option("--probes", lp_probes, "Hutchinson probes")->capture_default_str()->type_name("N");
  logprob->add_option("--seed", lp_seed, "Random seed (Hutchinson's probes)")->capture_default_str()->type_name("S");
  logprob->add_option("--out", lp.out, "Output CSV")->required()->type_name("FILE");
  logprob->footer(kLogProbFooter);
  logprob->callback([&] {
    action = [&] {
      lp.steps = parse_int_flag("--steps", lp_steps, 1, 100000);
      lp.probes = parse_int_flag("--probes", lp_probes, 1, 100000);
      lp.seed = parse_seed_flag("--seed", lp_seed);
      if (!lp_k.empty()) lp.num_observation = static_cast<int>(parse_int_flag("--num-observation", lp_k, 1, 1000000));
      lp.data_dir = data_dir;
      return run_log_prob(lp);
    };
  });

  // ---- evaluate
  EvaluateArgs ev;
  std::string ev_n, ev_seed = "0", ev_all_cond, ev_cond_samples = "10000";
  CLI::App* evaluate = app.add_subcommand("evaluate", "Train once and score against the sbibm reference (C2ST)");
  evaluate->add_option("--task", ev.task, "Task name (see `amor tasks`)")->required();
  evaluate->add_option("--method", ev.method, "npe, nle or simformer")->required();
  auto* ev_n_opt = evaluate->add_option("--simulations", ev_n, "Simulation budget (or --model)")->type_name("N");
  evaluate->add_option("--observations", ev.observations, "Which observations, e.g. 1-10")->type_name("LIST");
  evaluate->add_option("--seed", ev_seed, "Random seed")->capture_default_str()->type_name("S");
  evaluate->add_option("--out", ev.out, "Output directory")->required()->type_name("DIR");
  evaluate->add_option("--config", ev.config, "Method settings, a JSON object (as amor train)")->type_name("FILE");
  evaluate->add_option("--estimator", ev.estimator, "npe, nle: maf, nsf or coupling (over --config)")->type_name("NAME");
  evaluate->add_option("--summary", ev.summary, "npe: deepset, set_transformer or timeseries (over --config)")
      ->type_name("NAME");
  evaluate->add_option("--device", ev.device, kDeviceHelp)->type_name("DEV");
  auto* all_cond_opt = evaluate->add_option("--all-conditionals", ev_all_cond,
                                            "Score K random conditionals instead of the posterior")
                          ->type_name("K");
  evaluate->add_option("--conditional-samples", ev_cond_samples, "Samples per conditional (--all-conditionals)")
      ->capture_default_str()
      ->type_name("N");
  evaluate->add_option("--reference-cache", ev.reference_cache,
                       "Cache of the conditionals' reference samples (--all-conditionals)")
      ->type_name("DIR");
  evaluate->add_option("--save-model", ev.save_model,
                       "Also write the trained checkpoint (as amor train --out)")
      ->type_name("FILE");
  auto* model_opt = evaluate->add_option("--model", ev.model,
                                         "Evaluate this checkpoint instead of training one")
                        ->type_name("FILE");
  auto* likelihood_opt = evaluate->add_flag("--likelihood", ev.likelihood,
                                            "Score x | θ at the true θ against fresh simulations");
  model_opt->excludes(ev_n_opt)->excludes("--config")->excludes("--save-model")->excludes("--estimator")->excludes("--summary");
  likelihood_opt->excludes(all_cond_opt);
  all_cond_opt->excludes("--observations");
  evaluate->footer(kEvaluateFooter);
  evaluate->callback([&] {
    action = [&] {
      AMOR_CHECK(!ev.model.empty() || !ev_n.empty(), ValueError,
                 "--simulations N (train a model) or --model FILE (evaluate a trained one) is required");
      if (ev.model.empty()) ev.simulations = parse_int_flag("--simulations", ev_n, 1, kMaxCount);
      ev.seed = parse_seed_flag("--seed", ev_seed);
      if (!ev_all_cond.empty()) ev.all_conditionals = parse_int_flag("--all-conditionals", ev_all_cond, 1, 100000);
      ev.conditional_samples = parse_int_flag("--conditional-samples", ev_cond_samples, 10, kMaxCount);
      ev.data_dir = data_dir;
      return run_evaluate(ev);
    };
  });

  // ---- sbc
  SbcArgs sb;
  std::string sb_n = "200", sb_draws = "100", sb_seed = "0";
  CLI::App* sbc = app.add_subcommand("sbc", "Simulation-based calibration of a trained posterior on its task");
  sbc->add_option("--model", sb.model, "Checkpoint written by `amor train`")->required()->type_name("FILE");
  sbc->add_option("--n", sb_n, "SBC rounds: prior draws and their simulations")->capture_default_str()->type_name("N");
  sbc->add_option("--draws", sb_draws, "Posterior draws per round")->capture_default_str()->type_name("L");
  sbc->add_option("--seed", sb_seed, "Random seed")->capture_default_str()->type_name("S");
  sbc->add_option("--out", sb.out, "Output directory")->required()->type_name("DIR");
  sbc->footer(
      "Draws N parameters from the task's prior, simulates each once, samples the model's posterior L\n"
      "times at each simulation and ranks the true value among the draws, per parameter. A calibrated\n"
      "posterior gives uniform ranks: each parameter is tested at alpha 0.05 / d (KS, chi-square and\n"
      "the simultaneous ECDF band). Writes DIR/ranks.csv (rank / L), DIR/sbc.svg and DIR/sbc.json.");
  sbc->callback([&] {
    action = [&] {
      sb.n = parse_int_flag("--n", sb_n, 1, kMaxCount);
      sb.draws = parse_int_flag("--draws", sb_draws, 1, kMaxCount);
      sb.seed = parse_seed_flag("--seed", sb_seed);
      sb.data_dir = data_dir;
      return run_sbc(sb);
    };
  });

  // ---- ppc
  PpcArgs pp;
  std::string pp_n = "200", pp_seed = "0", pp_k;
  CLI::App* ppc = app.add_subcommand("ppc", "Posterior predictive check of a trained posterior at an observation");
  ppc->add_option("--model", pp.model, "Checkpoint written by `amor train`")->required()->type_name("FILE");
  auto* pp_obs = ppc->add_option("--observation", pp.observation,
                                 "x_o as a one-row CSV (x columns, or a row of `amor simulate`)")->type_name("FILE");
  auto* pp_kopt = ppc->add_option("--num-observation", pp_k, "sbibm observation K of the model's task")->type_name("K");
  pp_obs->excludes(pp_kopt);
  ppc->add_option("--n", pp_n, "Posterior draws, each simulated once")->capture_default_str()->type_name("N");
  ppc->add_option("--seed", pp_seed, "Random seed")->capture_default_str()->type_name("S");
  ppc->add_option("--out", pp.out, "Output directory")->required()->type_name("DIR");
  ppc->footer(
      "Samples the posterior at the observation, simulates once from each draw and plots the\n"
      "predictive median with its 50% and 90% bands against the observation, one panel per time\n"
      "series of the task's x (sird: I, R, D over time). Writes DIR/posterior.csv,\n"
      "DIR/predictive.csv, DIR/ppc.svg and DIR/ppc.json.");
  ppc->callback([&] {
    action = [&] {
      pp.n = parse_int_flag("--n", pp_n, 1, kMaxCount);
      pp.seed = parse_seed_flag("--seed", pp_seed);
      if (!pp_k.empty()) pp.num_observation = static_cast<int>(parse_int_flag("--num-observation", pp_k, 1, 1000000));
      pp.data_dir = data_dir;
      return run_ppc(pp);
    };
  });

  // ---- plot
  PlotArgs pl;
  CLI::App* plotc = app.add_subcommand("plot", "Pair plot, SBC rank histograms or coverage curve");
  plotc->add_option("--samples", pl.samples, "Samples CSV (pair plot)")->type_name("FILE");
  plotc->add_option("--reference", pl.reference, "Reference samples CSV, overlaid")->type_name("FILE");
  plotc->add_option("--sbc", pl.sbc, "Normalised SBC ranks CSV")->type_name("FILE");
  plotc->add_option("--coverage", pl.coverage, "Coverage CSV")->type_name("FILE");
  plotc->add_option("--out", pl.out, "Output image, .svg or .png")->required()->type_name("FILE");
  plotc->footer(kPlotFooter);
  plotc->callback([&] { action = [&] { return run_plot(pl); }; });

  // ---- demo, version
  std::string demo_steps = "3000", demo_seed = "0";
  CLI::App* demo = app.add_subcommand("demo", "Fit a small MLP regression and print the loss falling");
  demo->add_option("--steps", demo_steps, "Training steps")->capture_default_str()->type_name("N");
  demo->add_option("--seed", demo_seed, "Random seed")->capture_default_str()->type_name("S");
  demo->callback([&] {
    action = [&] {
      return run_demo(parse_int_flag("--steps", demo_steps, 1, kMaxCount),
                      parse_seed_flag("--seed", demo_seed));
    };
  });
  CLI::App* version = app.add_subcommand("version", "Print the version and build configuration");
  version->callback([&] { action = [] { return run_version(); }; });

  // CLI11 would only say that a subcommand is required; name the word it did not know.
  if (argc >= 2 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const CLI::App* sub : std::as_const(app).get_subcommands(std::function<bool(const CLI::App*)>())) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "amor: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string cmd = command_name(app);
    std::fprintf(stderr, "%s: %s (see %s --help)\n", cmd.c_str(), one_line(e.what()).c_str(),
                 cmd.c_str());
    return 2;
  }

  const std::string cmd = command_name(app);
  try {
    return action ? action() : 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", cmd.c_str(), one_line(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected error: %s\n", cmd.c_str(), one_line(e.what()).c_str());
    return 1;
  }
}

int run_version() {
  std::printf("amor %s\n", AMOR_VERSION_STRING);
#ifdef AMOR_HAS_CUDA
  std::printf("cuda: compiled in\n");
#else
  std::printf("cuda: not compiled in\n");
#endif
  std::string methods;
  for (const std::string& m : sbi::method_names()) {
    bool available = true;
    try {
      (void)sbi::find_method(m);
    } catch (const Error&) {
      available = false;
    }
    methods += (methods.empty() ? "" : ", ") + m + (available ? "" : " (not yet available)");
  }
  std::printf("methods: %s\n", methods.c_str());
  return 0;
}

}  // namespace amor::apps
