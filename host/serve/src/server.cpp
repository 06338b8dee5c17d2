#include "kohl/serve/server.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <httplib.h>
#include <opencv2/core.hpp>

#include "kohl/core/bundle.hpp"
#include "kohl/core/codecs.hpp"
#include "kohl/core/image_probe.hpp"
#include "kohl/core/infer_api.hpp"
#include "kohl/core/log.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/core/version.hpp"
#include "kohl/faces/detector.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "kohl/sdk/color.hpp"
#include "kohl/sdk/preprocess.hpp"

namespace kohl::serve {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Result;
using sdk::Status;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------------------
// Metrics (Prometheus text exposition format 0.0.4).

constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

class Metrics {
 public:
  void record(const std::string& route, int status, std::optional<double> seconds_if_timed) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++requests_[{route, status}];
    if (!seconds_if_timed) return;
    const double seconds = *seconds_if_timed;
    auto& h = latency_[route];
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      if (seconds <= kBuckets[i]) ++h.counts[i];
    ++h.count;
    h.sum += seconds;
  }
  std::string text(int waiting, int running) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::ostringstream o;
    o << "# HELP kohl_requests_total HTTP requests answered, by route and status.\n"
         "# TYPE kohl_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      o << "kohl_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
    o << "# HELP kohl_request_errors_total HTTP requests answered with a status of 400 or more, by route.\n"
         "# TYPE kohl_request_errors_total counter\n";
    std::map<std::string, std::uint64_t> errors;
    for (const auto& [key, n] : requests_)
      if (key.second >= 400) errors[key.first] += n;
    for (const auto& [route, n] : errors) o << "kohl_request_errors_total{route=\"" << route << "\"} " << n << "\n";
    o << "# HELP kohl_request_duration_seconds Time from routing the request to its answer.\n"
         "# TYPE kohl_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i)
        o << "kohl_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << kBuckets[i] << "\"} "
          << h.counts[i] << "\n";
      o << "kohl_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.count << "\n";
      o << "kohl_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << "\n";
      o << "kohl_request_duration_seconds_count{route=\"" << route << "\"} " << h.count << "\n";
    }
    o << "# HELP kohl_model_waiting Requests waiting for the model now.\n# TYPE kohl_model_waiting gauge\n"
      << "kohl_model_waiting " << waiting << "\n"
      << "# HELP kohl_model_running Model runs in progress now.\n# TYPE kohl_model_running gauge\n"
      << "kohl_model_running " << running << "\n";
    return o.str();
  }

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// ---------------------------------------------------------------------------------------
// The bounded wait for the model: at most `running` model runs at once, at most `waiting`
// requests waiting for one.

class Gate {
 public:
  enum class Entry { kIn, kFull, kTimedOut };
  Gate(int running, int waiting) : max_running_(std::max(1, running)), max_waiting_(std::max(0, waiting)) {}

  Entry enter(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (running_ < max_running_) {
      ++running_;
      return Entry::kIn;
    }
    if (waiting_ >= max_waiting_) return Entry::kFull;
    ++waiting_;
    const bool got = cv_.wait_for(lock, timeout, [&] { return running_ < max_running_; });
    --waiting_;
    if (!got) return Entry::kTimedOut;
    ++running_;
    return Entry::kIn;
  }
  void leave() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
    }
    cv_.notify_one();
  }
  std::pair<int, int> load() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {waiting_, running_};
  }

 private:
  const int max_running_, max_waiting_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int running_ = 0, waiting_ = 0;
};

constexpr const char* kFormMessage =
    "the body is sent as application/x-www-form-urlencoded (curl's default for --data-binary): send the image "
    "with its own type, e.g. curl -H 'Content-Type: image/jpeg' --data-binary @face.jpg, or as the multipart "
    "field 'image' (curl -F image=@face.jpg)";

bool is_form_urlencoded(const httplib::Request& req) {
  return req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
}

// An HTTP error: the status and a message for the client.
struct HttpError {
  int status;
  std::string message;
};

Result<Json> read_json_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return Status::invalid(p.string() + ": missing or unreadable");
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::invalid(p.string() + ": not valid JSON");
  return j;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct Server::Impl {
  Options options;
  fs::path bundle;
  std::string task;                  // classify | recommend
  Json card = Json::object();        // model_card.json
  std::string model_name;            // manifest.json's "name": "<project>/<run>"
  sdk::Preprocessing pre;
  std::vector<std::string> classes;  // classify
  std::string label_set;
  std::vector<std::string> regions;  // recommend: palette regions, 3 outputs (CIELAB / scale) each
  double lab_scale = 100.0;
  std::unique_ptr<core::InferenceModel> model;

  // recommend: faces and the renderer.
  std::unique_ptr<faces::FaceDetector> detector_proto;
  std::mutex detectors_mutex;
  std::vector<std::unique_ptr<faces::FaceDetector>> idle_detectors;
  std::unique_ptr<core::PluginHost> plugins;
  std::optional<faces::MakeupRenderer> renderer;

  httplib::Server http;
  Metrics metrics;
  Gate gate;
  int port = 0;

  explicit Impl(const Options& o) : options(o), bundle(o.bundle), gate(o.threads, o.queue) {}

  Status load();
  void routes();

  // Decodes the request's image: raw body, or the multipart field "image"; else sets error.
  std::optional<cv::Mat> image_of(const httplib::Request& req, HttpError& error) const;
  // Runs the model on one image under the gate; n x outputs values.
  Result<std::vector<float>> infer(const cv::Mat& bgr, HttpError& error);

  std::unique_ptr<faces::FaceDetector> take_detector();
  void give_detector(std::unique_ptr<faces::FaceDetector> d);
};

Status Server::Impl::load() {
  if (!fs::is_directory(bundle)) return Status::invalid(bundle.string() + ": not a folder (expected a deploy bundle: kohl export --format bundle)");
  // Every file the manifest lists must be there, unchanged, and nothing else.
  auto manifest = core::verify_bundle(bundle.string());
  if (!manifest) return manifest.status();
  model_name = manifest.value().value("name", std::string());

  auto card_json = read_json_file(bundle / "model_card.json");
  if (!card_json) return card_json.status();
  card = card_json.value();
  task = card.value("task", std::string());

  auto pre_json = read_json_file(bundle / "preprocessing.json");
  if (!pre_json) return pre_json.status();
  auto p = sdk::Preprocessing::from_json(pre_json.value(), (bundle / "preprocessing.json").string());
  if (!p) return p.status();
  pre = p.value();

  if (task == "classify") {
    auto labels = read_json_file(bundle / "labels.json");
    if (!labels) return labels.status();
    if (!labels.value().contains("classes") || !labels.value()["classes"].is_array() || labels.value()["classes"].empty())
      return Status::invalid((bundle / "labels.json").string() + ": field 'classes' must be a non-empty list of class names");
    classes = labels.value()["classes"].get<std::vector<std::string>>();
    label_set = labels.value().value("label_set", std::string());
  } else if (task == "recommend") {
    auto palette = read_json_file(bundle / "palette.json");
    if (!palette) return palette.status();
    if (!palette.value().contains("regions") || !palette.value()["regions"].is_array() || palette.value()["regions"].empty())
      return Status::invalid((bundle / "palette.json").string() + ": field 'regions' must be a non-empty list of region names");
    regions = palette.value()["regions"].get<std::vector<std::string>>();
    lab_scale = palette.value().value("scale", 100.0);
  } else {
    return Status::invalid((bundle / "model_card.json").string() + ": field 'task' is '" + task +
                           "'; kohl serve serves classify and recommend bundles");
  }

  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto m = core::InferenceModel::open((bundle / "model.pt").string(), std::max(1, hw / std::max(1, options.threads)));
  if (!m) return m.status();
  model = std::move(m.value());

  if (task == "recommend") {
    auto d = faces::FaceDetector::create();
    if (!d) return d.status();
    detector_proto = std::move(d.value());
    plugins = std::make_unique<core::PluginHost>();
    plugins->load_dirs(core::PluginHost::default_search_dirs());
    auto r = faces::MakeupRenderer::create(*plugins);
    if (!r) return r.status();
    renderer.emplace(std::move(r.value()));
  }
  return Status::ok();
}

std::unique_ptr<faces::FaceDetector> Server::Impl::take_detector() {
  {
    std::lock_guard<std::mutex> lock(detectors_mutex);
    if (!idle_detectors.empty()) {
      auto d = std::move(idle_detectors.back());
      idle_detectors.pop_back();
      return d;
    }
  }
  auto d = detector_proto->clone();
  return d ? std::move(d.value()) : nullptr;
}

void Server::Impl::give_detector(std::unique_ptr<faces::FaceDetector> d) {
  std::lock_guard<std::mutex> lock(detectors_mutex);
  idle_detectors.push_back(std::move(d));
}

std::optional<cv::Mat> Server::Impl::image_of(const httplib::Request& req, HttpError& error) const {
  if (is_form_urlencoded(req)) {
    error = {415, kFormMessage};
    return std::nullopt;
  }
  const std::string* body = &req.body;
  std::string part;
  if (req.is_multipart_form_data()) {
    if (!req.has_file("image")) {
      error = {400, "multipart body without a field named 'image'"};
      return std::nullopt;
    }
    part = req.get_file_value("image").content;
    body = &part;
  }
  if (body->empty()) {
    error = {400, "empty body: send the image's bytes (JPEG, PNG, BMP or WebP)"};
    return std::nullopt;
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(body->data());
  auto header = core::probe_image(data, body->size());
  if (!header) {
    error = {400, "the body is not a readable image: " + header.status().message()};
    return std::nullopt;
  }
  if (Status st = core::check_pixel_cap(header.value(), options.pixel_cap); !st) {
    error = {413, st.message() + " (--pixel-cap)"};
    return std::nullopt;
  }
  auto img = core::codecs::decode(std::vector<std::uint8_t>(data, data + body->size()));
  if (!img) {
    error = {400, "the image could not be decoded: " + img.status().message()};
    return std::nullopt;
  }
  return img.value();
}

Result<std::vector<float>> Server::Impl::infer(const cv::Mat& bgr, HttpError& error) {
  std::vector<float> input(static_cast<std::size_t>(3) * pre.size * pre.size);
  sdk::to_planes(bgr, pre, input.data());
  switch (gate.enter(std::chrono::seconds(options.timeout_s))) {
    case Gate::Entry::kIn: break;
    case Gate::Entry::kFull:
      error = {503, "server busy: " + std::to_string(options.queue) + " requests already wait for the model (--queue)"};
      return Status::error(error.message);
    case Gate::Entry::kTimedOut:
      error = {503, "timed out after " + std::to_string(options.timeout_s) + " s waiting for the model (--timeout)"};
      return Status::error(error.message);
  }
  struct Leave {
    Gate& g;
    ~Leave() { g.leave(); }
  } leave{gate};
  if (options.test_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options.test_delay_ms));
  std::vector<float> out;
  std::int64_t outputs = 0;
  if (Status st = model->run(input.data(), 1, 3, pre.size, pre.size, out, outputs); !st) {
    error = {500, st.message()};
    return st;
  }
  const std::size_t expected = task == "classify" ? classes.size() : regions.size() * 3;
  if (static_cast<std::size_t>(outputs) != expected) {
    error = {500, "the model gives " + std::to_string(outputs) + " outputs, the bundle describes " + std::to_string(expected)};
    return Status::error(error.message);
  }
  return out;
}

void Server::Impl::routes() {
  auto send_json = [](httplib::Response& res, int status, const Json& j) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
  };
  auto send_error = [send_json](httplib::Response& res, int status, const std::string& message) {
    send_json(res, status, {{"error", {{"status", status}, {"message", message}}}});
  };

  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
  // the client's delayed ACK add ~40 ms to every answer (measured: 57 ms p50 at concurrency 1
  // for a 10 ms model).
  http.set_tcp_nodelay(true);
  http.set_payload_max_length(options.body_limit);
  http.set_read_timeout(options.timeout_s, 0);
  http.set_write_timeout(options.timeout_s, 0);
  // Enough connection threads that requests beyond the model's capacity reach the gate and
  // get a quick 503 instead of waiting unseen in httplib's queue.
  const int connection_threads = options.threads + options.queue + 4;
  http.new_task_queue = [connection_threads] { return new httplib::ThreadPool(static_cast<std::size_t>(connection_threads)); };

  // Authentication first; the start time of each request for the latency histogram.
  static thread_local Clock::time_point started;
  http.set_pre_routing_handler([this, send_error](const httplib::Request& req, httplib::Response& res) {
    started = Clock::now();
    if (options.token.empty() || req.path == "/healthz") return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string expected = "Bearer " + options.token;
    // Constant-time comparison of equal-length strings.
    if (auth.size() != expected.size() || sodium_memcmp(auth.data(), expected.data(), auth.size()) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, auth.empty() ? "missing 'Authorization: Bearer <token>' header" : "wrong bearer token");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    // A request httplib refuses before routing (413 over the body limit) has no start time:
    // it is counted, not timed.
    const std::optional<double> seconds =
        started == Clock::time_point{} ? std::nullopt
                                       : std::optional<double>(std::chrono::duration<double>(Clock::now() - started).count());
    started = {};
    static const std::set<std::string> known = {"/healthz", "/v1/model", "/metrics", "/v1/predict", "/v1/recommend"};
    metrics.record(known.count(req.path) ? req.path : "other", res.status, seconds);
  });
  // httplib's own errors (413 over the body limit, 404, 405) as JSON too.
  http.set_error_handler([this, send_error](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // httplib refuses form-urlencoded bodies over 8 KiB itself (413), curl's default type
    // for --data-binary: say what to send instead.
    if (is_form_urlencoded(req)) return send_error(res, 415, kFormMessage);
    std::string message = res.status == 404 ? "no route " + req.method + " " + req.path +
                                                  " (routes: GET /healthz, /v1/model, /metrics; POST /v1/predict, /v1/recommend)"
                          : res.status == 413 ? "body over the limit of " + std::to_string(options.body_limit) + " bytes (--body-limit)"
                          : res.status == 405 ? "method " + req.method + " not allowed on " + req.path
                                              : "request failed with HTTP status " + std::to_string(res.status);
    send_error(res, res.status, message);
  });
  http.set_exception_handler([send_error](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });

  http.Get("/healthz", [this, send_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"model", model_name}, {"task", task}});
  });
  http.Get("/v1/model", [this, send_json](const httplib::Request&, httplib::Response& res) { send_json(res, 200, card); });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const auto [waiting, running] = gate.load();
    res.set_content(metrics.text(waiting, running), "text/plain; version=0.0.4");
  });

  auto decode_or_error = [this, send_error](const httplib::Request& req, httplib::Response& res) -> std::optional<cv::Mat> {
    HttpError error{400, ""};
    auto img = image_of(req, error);
    if (!img) send_error(res, error.status, error.message);
    return img;
  };

  http.Post("/v1/predict", [this, send_json, send_error, decode_or_error](const httplib::Request& req, httplib::Response& res) {
    if (task != "classify")
      return send_error(res, 404, "this bundle is a " + task + " model: POST the image to /v1/" + task);
    auto img = decode_or_error(req, res);
    if (!img) return;
    const auto t0 = Clock::now();
    HttpError error{500, ""};
    auto out = infer(*img, error);
    if (!out) {
      if (error.status == 503) res.set_header("Retry-After", "1");
      return send_error(res, error.status, error.message);
    }
    // Softmax of the logits.
    const auto& z = out.value();
    const float zmax = *std::max_element(z.begin(), z.end());
    std::vector<double> p(z.size());
    double sum = 0;
    for (std::size_t i = 0; i < z.size(); ++i) sum += p[i] = std::exp(static_cast<double>(z[i] - zmax));
    Json probs = Json::array();
    std::vector<std::size_t> order(z.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    for (std::size_t i : order) probs.push_back({{"class", classes[i]}, {"p", p[i] / sum}});
    send_json(res, 200,
              {{"label", classes[order.front()]},
               {"p", p[order.front()] / sum},
               {"classes", probs},
               {"label_set", label_set},
               {"model", model_name},
               {"latency_ms", std::chrono::duration<double, std::milli>(Clock::now() - t0).count()}});
  });

  http.Post("/v1/recommend", [this, send_json, send_error, decode_or_error](const httplib::Request& req, httplib::Response& res) {
    if (task != "recommend")
      return send_error(res, 404, "this bundle is a " + task + " model: POST the image to /v1/predict");
    auto img = decode_or_error(req, res);
    if (!img) return;
    const auto t0 = Clock::now();
    auto detector = take_detector();
    if (!detector) return send_error(res, 500, "no face detector available");
    auto found = faces::analyze_faces(*img, *detector);
    give_detector(std::move(detector));
    if (!found) return send_error(res, 400, "face analysis failed: " + found.status().message());
    if (found.value().empty() || found.value().front().face.landmarks.size() != 68)
      return send_error(res, 422, "no face found in the image (the recommender needs one frontal face)");
    const auto& face = found.value().front();
    HttpError error{500, ""};
    auto out = infer(*img, error);
    if (!out) {
      if (error.status == 503) res.set_header("Retry-After", "1");
      return send_error(res, error.status, error.message);
    }
    Json palette = Json::object(), request = Json::object();  // the answer; what the renderer draws
    for (std::size_t r = 0; r < regions.size(); ++r) {
      const sdk::color::Lab raw{out.value()[3 * r] * lab_scale, out.value()[3 * r + 1] * lab_scale,
                                out.value()[3 * r + 2] * lab_scale};
      // A regression head can leave CIELAB's range (an undertrained model does): the answer
      // and the preview use the nearest valid colour and say so.
      const sdk::color::Lab lab{std::clamp(raw.L, 0.0, 100.0), std::clamp(raw.a, -128.0, 128.0),
                                std::clamp(raw.b, -128.0, 128.0)};
      palette[regions[r]] = {{"lab", {lab.L, lab.a, lab.b}}, {"hex", sdk::color::to_hex(lab)}};
      if (lab.L != raw.L || lab.a != raw.a || lab.b != raw.b) {
        palette[regions[r]]["clamped"] = true;
        palette[regions[r]]["model_lab"] = {raw.L, raw.a, raw.b};
      }
      request[regions[r]] = {{"lab", {lab.L, lab.a, lab.b}}};
    }
    auto preview = renderer->render(*img, face.face.landmarks, request);
    if (!preview) return send_error(res, 500, "try-on preview failed: " + preview.status().message());
    std::vector<std::uint8_t> png;
    if (Status st = core::codecs::encode(".png", preview.value(), png); !st)
      return send_error(res, 500, "preview encoding failed: " + st.message());
    send_json(res, 200,
              {{"face", faces::analysis_json(face)},
               {"palette", palette},
               {"preview_png", base64(png)},
               {"model", model_name},
               {"latency_ms", std::chrono::duration<double, std::milli>(Clock::now() - t0).count()}});
  });
}

// ---------------------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(const Options& options) {
  if (sodium_init() < 0) return Status::error("libsodium failed to initialise");
  if (options.threads < 1) return Status::invalid("--threads must be at least 1");
  if (options.queue < 0) return Status::invalid("--queue must be 0 or more");
  if (options.timeout_s < 1) return Status::invalid("--timeout must be at least 1 second");
  auto impl = std::make_unique<Impl>(options);
  if (Status st = impl->load(); !st) return st;
  impl->routes();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::bind() {
  if (impl_->options.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(impl_->options.host);
  } else if (impl_->http.bind_to_port(impl_->options.host, impl_->options.port)) {
    impl_->port = impl_->options.port;
  } else {
    impl_->port = -1;
  }
  if (impl_->port <= 0)
    return Status::error("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                         " (address in use, or not an address of this machine)");
  return Status::ok();
}

int Server::port() const { return impl_->port; }
void Server::run() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }
const Json& Server::model_card() const { return impl_->card; }
std::string Server::model_name() const { return impl_->model_name; }
std::string Server::task() const { return impl_->task; }

}  // namespace kohl::serve
