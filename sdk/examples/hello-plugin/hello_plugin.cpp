// hello-plugin: one augmenter, org.example.hello.grayscale, that blends the image towards
// its grey version. It is the example of sdk/docs/first-plugin.md: copy it, rename the id,
// and change apply().
#include <random>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <kohl/sdk/sdk.hpp>

namespace {

using namespace kohl::sdk;

// Persisted: projects store this id (and the parameter keys below) with every setting
// that uses the plugin. Never rename them; change what a key means only through a new
// params_version and a migrate function.
constexpr const char* kId = "org.example.hello.grayscale";

class Grayscale final : public IAugmenter {
 public:
  // Called by create_plugin<Grayscale> (see register_plugins). The host has validated
  // `params` against the schema and filled in defaults, so every key is there.
  Grayscale(const ParamValues& params, IHostServices& host)
      : amount_(param_float(params, "amount", 1.0)), p_(param_float(params, "p", 1.0)) {
    // The host tags the line with the plugin id; debug lines show with `kohl -v`.
    host.log(LogLevel::kDebug, "created with amount " + std::to_string(amount_) + ", p " + std::to_string(p_));
  }

  // Data-loader threads call apply() on the same object at the same time: it is const
  // and touches no shared mutable state. All randomness comes from `rng`, so the same
  // seed gives the same result on every machine. Errors are returned, never thrown.
  Status apply(Sample& sample, std::mt19937_64& rng) const override {
    if (sample.image.empty() || sample.image.type() != CV_8UC3)
      return Status::invalid("sample " + sample.id + ": expected a CV_8UC3 BGR image");
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (coin(rng) >= p_) return Status::ok();  // this sample stays as it is

    cv::Mat grey, grey_bgr, blended;
    cv::cvtColor(sample.image, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(grey, grey_bgr, cv::COLOR_GRAY2BGR);
    // (1 - amount) * image + amount * grey, saturated to 8 bits: still CV_8UC3.
    cv::addWeighted(sample.image, 1.0 - amount_, grey_bgr, amount_, 0.0, blended);
    // Assign a new Mat instead of writing into the old one: copies of a Sample share
    // their pixel buffer (cv::Mat is reference-counted).
    sample.image = blended;

    // Photometric: no pixel moves, so landmarks, mask and boxes are left untouched.
    // A geometric augmenter would move them here (see plugins/augment-basic).
    return Status::ok();
  }

 private:
  double amount_;  // 0 = unchanged, 1 = fully grey
  double p_;       // chance that a sample is changed
};

// Called once by the host, right after it loads the library (KOHL_PLUGIN below).
Status register_plugins(IRegistrar& registrar) {
  PluginDescriptor d;  // struct_size is set by its initialiser: leave it alone
  d.kind = PluginKind::kAugmenter;
  d.id = kId;
  d.name = "Grayscale";
  d.version = "1.0.0";
  d.summary = "Blends the image towards its grey version (amount 1 = fully grey); annotations are untouched.";
  // Name the licences of the code, of any weights and of the data they were trained on.
  d.license_notes = "Example code from the Kohl SDK; no model weights, no training data.";
  d.params_version = 1;  // bump (and add d.migrate) when the meaning of the keys changes
  // Parameters are data: the host validates values against this schema, fills defaults,
  // and builds the GUI's property grid, `--set key=value` and `kohl plugins describe`.
  d.schema.add_float("amount", "Amount", 1.0, 0.0, 1.0)
      .step(0.05)
      .group("Colour")
      .help("How far towards grey: 0 = unchanged, 1 = fully grey");
  d.schema.add_float("p", "Probability", 1.0, 0.0, 1.0)
      .step(0.05)
      .group("Colour")
      .help("Chance that a sample is changed");
  // Objects are made and destroyed inside this library.
  d.create = &create_plugin<Grayscale>;
  d.destroy = &destroy_plugin;
  // add() copies the descriptor. After this function returns, the host checks the id,
  // the functions and the schema, and rejects a bad descriptor with one log line.
  return registrar.add(d);
}

}  // namespace

// Exports the ABI handshake and the register entry point; once per library, at global
// scope. Exceptions thrown by register_plugins become an error Status.
KOHL_PLUGIN(register_plugins)
