// `kohl serve`: a deploy bundle (docs/export.md) served over HTTP with cpp-httplib.
//
//   GET  /healthz        {"status": "ok", "model", "task"}
//   GET  /v1/model       the bundle's model card (model_card.json)
//   GET  /metrics        Prometheus text: requests by route and status, errors, latency
//                        histogram, requests waiting for the model
//   POST /v1/predict     image in (raw body or multipart field "image"): classes and
//                        probabilities out (classification bundles)
//   POST /v1/recommend   image in: the face found, its skin tone, the recommended palette
//                        and a try-on preview (base64 PNG) (recommendation bundles)
//
// Hardening: a bearer token when one is configured (401), a body limit (413), a pixel cap
// read from the image header before decoding (413), a bounded wait for the model (503 with
// Retry-After when `queue` requests already wait, or after `timeout_s`), 400 for a body that
// is not an image, 422 for an image without a face; every error is JSON
// {"error": {"status": N, "message": "..."}} and the server keeps serving.
//
// Threads: run() blocks in the caller; stop() may be called from any other thread (the CLI
// calls it from its signal-waiting thread on SIGTERM or Ctrl-C) and lets requests in flight
// finish.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::serve {

struct Options {
  std::string bundle;                      // the deploy bundle's folder
  std::string host = "127.0.0.1";
  int port = 8080;                         // 0: any free port (port() says which)
  std::string token;                       // empty: no authentication
  int threads = 4;                         // requests handled at once (model runs at once)
  int queue = 32;                          // requests that may wait for the model beyond `threads`
  std::size_t body_limit = 8u << 20;       // bytes
  int timeout_s = 30;                      // socket read/write and waiting for the model
  std::uint64_t pixel_cap = 64'000'000;    // decoded image size limit, from the header
  int test_delay_ms = 0;                   // fault injection for tests: each model run sleeps this long
};

class Server {
 public:
  // Verifies and loads the bundle (manifest hashes, model, preprocessing, labels or palette),
  // the face detector and the makeup renderer a recommendation bundle needs. Errors name the
  // bundle file at fault.
  static sdk::Result<std::unique_ptr<Server>> create(const Options& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket; port() is valid afterwards.
  sdk::Status bind();
  int port() const;
  // Serves until stop(). Returns after the requests in flight are answered.
  void run();
  void stop();

  const sdk::Json& model_card() const;
  std::string model_name() const;  // the manifest's "<project>/<run>"
  std::string task() const;  // "classify" | "recommend"

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kohl::serve
