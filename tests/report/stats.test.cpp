// The paired statistics of `kohl compare` (host/report/src/stats.cpp) against independent
// implementations: scipy's binomtest and chi2, scikit-learn's metrics and scikit-image's
// CIEDE2000 (tests/oracles/compare_oracle.py, Debian's /usr/bin/python3), from the same
// per-sample predictions and the same resamples. The predictions here are fixture data drawn
// from a seeded generator, not a model's.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "kohl/report/stats.hpp"
#include "kohl/sdk/color.hpp"
#include "test_support.hpp"

using Json = nlohmann::json;
using namespace kohl;
namespace fs = std::filesystem;

namespace {

Json run_oracle(const Json& in) {
  const fs::path dir = test::build_dir() / "test-output" / "compare-oracle";
  fs::create_directories(dir);
  const fs::path in_path = dir / "in.json", out_path = dir / "out.json";
  std::ofstream(in_path) << in.dump();
  const fs::path script = test::source_dir() / "tests" / "oracles" / "compare_oracle.py";
  const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + in_path.string() + "' '" + out_path.string() + "'";
  const int status = std::system(cmd.c_str());
  if (status != 0)
    FAIL("compare oracle failed (status " << status << "): " << cmd
                                          << "\nIt needs Debian's /usr/bin/python3 with python3-scipy, python3-sklearn "
                                             "and python3-skimage.");
  return Json::parse(std::ifstream(out_path));
}

// Two "models" on n samples: A right with probability pa, B with pb (correlated through u).
struct Fixture {
  std::vector<int> truth, a, b;
};
Fixture classify_fixture(std::size_t n, int k, double pa, double pb, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  std::uniform_int_distribution<int> cls(0, k - 1);
  Fixture f;
  for (std::size_t i = 0; i < n; ++i) {
    const int t = cls(rng);
    const double u = u01(rng);
    auto wrong = [&] {
      int w = cls(rng);
      if (w == t) w = (t + 1) % k;
      return w;
    };
    f.truth.push_back(t);
    f.a.push_back(u < pa ? t : wrong());
    f.b.push_back(u < pb ? t : wrong());
  }
  return f;
}

Json indices_json(const std::vector<std::vector<std::uint32_t>>& rows) {
  Json j = Json::array();
  for (const auto& r : rows) j.push_back(r);
  return j;
}

}  // namespace

TEST_CASE("McNemar: counts, exact and chi-square p-values", "[report_stats]") {
  // Hand-checked small case: b = 1 (A only), c = 5 (B only): exact, p = 2 * (1 + 6) / 64.
  std::vector<bool> a = {true, true, false, false, false, false, false, true, true};
  std::vector<bool> b = {true, false, true, true, true, true, true, true, false};
  auto m = report::mcnemar(a, b);
  CHECK(m.only_a == 2);
  CHECK(m.only_b == 5);
  CHECK(m.both_right == 2);
  CHECK(m.method == report::kMcNemarExact);
  // P[X <= 2], X ~ Bin(7, 1/2) = (1 + 7 + 21) / 128; two-sided doubles it.
  CHECK(m.p == Approx(2.0 * 29.0 / 128.0).epsilon(1e-12));
  // No discordant pair.
  auto same = report::mcnemar({true, false}, {true, false});
  CHECK(same.method == report::kMcNemarNone);
  CHECK(same.p == 1.0);
  CHECK_THROWS(report::mcnemar({true}, {true, false}));

  // Against scipy on several sizes, both methods, including the threshold edge.
  Json in = {{"mcnemar", Json::array()}};
  std::vector<std::pair<std::string, report::McNemarResult>> mine;
  int case_no = 0;
  for (std::size_t n : {10u, 40u, 60u, 200u, 1000u})
    for (double pb : {0.55, 0.7, 0.9}) {
      const auto f = classify_fixture(n, 4, 0.6, pb, 100 + case_no);
      std::vector<bool> ca, cb;
      for (std::size_t i = 0; i < n; ++i) {
        ca.push_back(f.a[i] == f.truth[i]);
        cb.push_back(f.b[i] == f.truth[i]);
      }
      const std::string name = "m" + std::to_string(case_no++);
      in["mcnemar"].push_back({{"name", name}, {"a", ca}, {"b", cb}, {"exact_below", 25}});
      mine.push_back({name, report::mcnemar(ca, cb, 25)});
    }
  const Json out = run_oracle(in);
  int exact = 0, chi = 0;
  for (const auto& [name, m] : mine) {
    const Json& o = out["mcnemar"][name];
    INFO(name << ": oracle " << o.dump());
    CHECK(m.only_a == o["b"].get<int>());
    CHECK(m.only_b == o["c"].get<int>());
    CHECK(m.method == o["method"].get<std::string>());
    CHECK(std::abs(m.p - o["p"].get<double>()) < 1e-9);
    if (m.statistic) CHECK(std::abs(*m.statistic - o["statistic"].get<double>()) < 1e-9);
    exact += m.method == report::kMcNemarExact;
    chi += m.method == report::kMcNemarChi2;
  }
  CHECK(exact > 0);  // both branches were exercised
  CHECK(chi > 0);
}

TEST_CASE("paired bootstrap: classification metrics against scikit-learn on the same resamples", "[report_stats]") {
  const int k = 4;
  const std::int64_t rounds = 300;
  const std::uint64_t seed = 7;
  Json in = {{"bootstrap", Json::array()}};
  struct Case {
    std::string name;
    Fixture f;
  };
  std::vector<Case> cases = {{"close", classify_fixture(60, k, 0.6, 0.65, 1)},
                             {"far", classify_fixture(80, k, 0.4, 0.85, 2)},
                             {"tiny", classify_fixture(12, k, 0.5, 0.5, 3)}};
  for (const auto& c : cases)
    in["bootstrap"].push_back({{"name", c.name}, {"task", "classify"}, {"k", k}, {"truth", c.f.truth},
                               {"pred_a", c.f.a}, {"pred_b", c.f.b},
                               {"indices", indices_json(report::bootstrap_indices(c.f.truth.size(), rounds, seed))}});
  const Json out = run_oracle(in);
  int compared = 0;
  for (const auto& c : cases) {
    const auto& f = c.f;
    const std::size_t n = f.truth.size();
    std::map<std::string, report::PairedBootstrapResult> mine;
    mine["accuracy"] = report::paired_bootstrap(n, [&](const auto& idx) {
      return std::make_pair(report::accuracy_of(f.truth, f.a, idx), report::accuracy_of(f.truth, f.b, idx));
    }, rounds, seed);
    mine["balanced_accuracy"] = report::paired_bootstrap(n, [&](const auto& idx) {
      return std::make_pair(report::balanced_accuracy_of(f.truth, f.a, k, idx),
                            report::balanced_accuracy_of(f.truth, f.b, k, idx));
    }, rounds, seed);
    mine["f1_macro"] = report::paired_bootstrap(n, [&](const auto& idx) {
      return std::make_pair(report::f1_macro_of(f.truth, f.a, k, idx), report::f1_macro_of(f.truth, f.b, k, idx));
    }, rounds, seed);
    for (const auto& [metric, r] : mine) {
      const Json& o = out["bootstrap"][c.name][metric];
      INFO(c.name << " " << metric << ": oracle " << o.dump());
      CHECK(std::abs(r.a - o["a"].get<double>()) < 1e-12);
      CHECK(std::abs(r.b - o["b"].get<double>()) < 1e-12);
      CHECK(std::abs(r.delta - o["delta"].get<double>()) < 1e-12);
      REQUIRE(r.ci95);
      CHECK(std::abs(r.ci95->first - o["ci95"][0].get<double>()) < 1e-9);
      CHECK(std::abs(r.ci95->second - o["ci95"][1].get<double>()) < 1e-9);
      CHECK(std::abs(r.p - o["p"].get<double>()) < 1e-9);
      CHECK(r.used == rounds);
      ++compared;
    }
  }
  CHECK(compared == 9);
  // A clear difference is significant, identical predictions are not.
  const auto far = out["bootstrap"]["far"]["accuracy"];
  CHECK(far["ci95"][0].get<double>() > 0);
  const auto& f = cases[0].f;
  auto same = report::paired_bootstrap(f.truth.size(), [&](const auto& idx) {
    return std::make_pair(report::accuracy_of(f.truth, f.a, idx), report::accuracy_of(f.truth, f.a, idx));
  }, 200, 1);
  CHECK(same.delta == 0);
  CHECK(same.p == 1.0);
}

TEST_CASE("paired bootstrap: CIEDE2000 metrics against scikit-image on the same resamples", "[report_stats]") {
  // Fixture colours: references around skin tones, predictions off by a few units.
  std::mt19937 rng(11);
  std::normal_distribution<double> noise_a(0, 3), noise_b(0, 1.5);
  std::uniform_real_distribution<double> L(35, 80), ab(5, 25);
  const int regions = 2;
  const std::size_t n = 40;
  std::vector<std::vector<double>> targets, va, vb;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> t, a, b;
    for (int r = 0; r < regions; ++r) {
      const double l = L(rng), x = ab(rng), y = ab(rng);
      t.insert(t.end(), {l, x, y});
      a.insert(a.end(), {l + noise_a(rng), x + noise_a(rng), y + noise_a(rng)});
      b.insert(b.end(), {l + noise_b(rng), x + noise_b(rng), y + noise_b(rng)});
    }
    targets.push_back(t);
    va.push_back(a);
    vb.push_back(b);
  }
  auto de_of = [&](const std::vector<std::vector<double>>& v) {
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> d;
      for (int r = 0; r < regions; ++r) {
        const auto o = static_cast<std::size_t>(3 * r);
        d.push_back(sdk::color::ciede2000({targets[i][o], targets[i][o + 1], targets[i][o + 2]},
                                          {v[i][o], v[i][o + 1], v[i][o + 2]}));
      }
      out.push_back(d);
    }
    return out;
  };
  const auto da = de_of(va), db = de_of(vb);
  const std::int64_t rounds = 400;
  Json in = {{"bootstrap", Json::array({{{"name", "rec"}, {"task", "recommend"}, {"regions", regions}, {"targets", targets},
                                         {"values_a", va}, {"values_b", vb},
                                         {"indices", indices_json(report::bootstrap_indices(n, rounds, 3))}}})}};
  const Json out = run_oracle(in);
  std::map<std::string, report::PairedBootstrapResult> mine;
  mine["mean_de"] = report::paired_bootstrap(n, [&](const auto& idx) {
    return std::make_pair(report::mean_of(da, idx), report::mean_of(db, idx));
  }, rounds, 3);
  mine["share_under_2_3"] = report::paired_bootstrap(n, [&](const auto& idx) {
    return std::make_pair(report::share_under(da, 2.3, idx), report::share_under(db, 2.3, idx));
  }, rounds, 3);
  mine["share_under_5"] = report::paired_bootstrap(n, [&](const auto& idx) {
    return std::make_pair(report::share_under(da, 5, idx), report::share_under(db, 5, idx));
  }, rounds, 3);
  for (const auto& [metric, r] : mine) {
    const Json& o = out["bootstrap"]["rec"][metric];
    INFO(metric << ": oracle " << o.dump());
    CHECK(std::abs(r.a - o["a"].get<double>()) < 1e-9);
    CHECK(std::abs(r.b - o["b"].get<double>()) < 1e-9);
    REQUIRE(r.ci95);
    CHECK(std::abs(r.ci95->first - o["ci95"][0].get<double>()) < 1e-9);
    CHECK(std::abs(r.ci95->second - o["ci95"][1].get<double>()) < 1e-9);
    CHECK(std::abs(r.p - o["p"].get<double>()) < 1e-9);
  }
  CHECK(mine["mean_de"].delta < 0);  // B's noise is half of A's
}

TEST_CASE("bootstrap resamples are seeded and uniform", "[report_stats]") {
  const auto a = report::bootstrap_indices(50, 20, 9), b = report::bootstrap_indices(50, 20, 9),
             c = report::bootstrap_indices(50, 20, 10);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<int> counts(50, 0);
  for (const auto& row : report::bootstrap_indices(50, 2000, 1))
    for (auto i : row) {
      REQUIRE(i < 50);
      ++counts[i];
    }
  for (int x : counts) CHECK(std::abs(x - 2000) < 300);  // 100,000 draws over 50 values
  CHECK(report::percentile({1, 2, 3, 4}, 50) == Approx(2.5));
  CHECK(report::percentile({1, 2, 3, 4}, 2.5) == Approx(1.075));
}
