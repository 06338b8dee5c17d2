// kohl serve: a deploy bundle over HTTP (host/serve). The options are parsed here; the server
// runs in libkohl_serve.so (host/serve/src/entry.cpp), loaded only for this command, so the
// HTTP and TLS libraries cost the other commands nothing at start.
#include <fstream>
#include <string>

#include "commands.hpp"
#include "kohl/core/load_beside.hpp"
#include "kohl/serve/server.hpp"

namespace kohl::cli {

namespace {

// The token is the file's first line, without surrounding white space.
sdk::Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return sdk::Status::invalid("--token-file " + path + ": missing or unreadable");
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r");
  const auto last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos)
    return sdk::Status::invalid("--token-file " + path + ": the first line is empty (expected the bearer token)");
  return line.substr(first, last - first + 1);
}

}  // namespace

void add_serve_command(CLI::App& app, Context& ctx) {
  struct Args {
    serve::Options o;
    std::string token_file;
    double body_limit_mib = 8;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("serve", "Serve a deploy bundle over HTTP: predictions, shade recommendations, metrics");
  c->add_option("bundle", a->o.bundle, "The bundle folder (kohl export PROJECT RUN --format bundle --out DIR)")->required();
  c->add_option("--host", a->o.host, "Address to listen on (127.0.0.1: this machine only)")->capture_default_str();
  c->add_option("--port", a->o.port, "Port (0: any free port; the line 'listening on' says which)")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  c->add_option("--token-file", a->token_file,
                "Require 'Authorization: Bearer TOKEN' on every route but /healthz; TOKEN is the file's first line");
  c->add_option("--threads", a->o.threads, "Requests served at once (model runs at once)")->capture_default_str()
      ->check(CLI::Range(1, 256));
  c->add_option("--queue", a->o.queue, "Requests that may wait for the model; more get 503")->capture_default_str()
      ->check(CLI::Range(0, 100000));
  c->add_option("--body-limit", a->body_limit_mib, "Largest request body in MiB; larger gets 413")->capture_default_str()
      ->check(CLI::Range(0.001, 4096.0));
  c->add_option("--timeout", a->o.timeout_s, "Seconds to read a request, and to wait for the model (then 503)")
      ->capture_default_str()->check(CLI::Range(1, 3600));
  c->add_option("--pixel-cap", a->o.pixel_cap, "Largest image in pixels, read from its header before decoding; larger gets 413")
      ->capture_default_str();
  c->add_option("--test-delay-ms", a->o.test_delay_ms, "Fault injection for tests: each model run sleeps this long")
      ->group("");  // hidden
  c->footer(
      "Routes: GET /healthz, GET /v1/model (the model card), GET /metrics (Prometheus), POST /v1/predict "
      "(classification bundles), POST /v1/recommend (recommendation bundles: face, skin tone, palette, try-on "
      "preview). POST the image's bytes as the body, or as the multipart field 'image':\n"
      "  curl --data-binary @face.jpg -H 'Content-Type: image/jpeg' http://127.0.0.1:8080/v1/predict\n"
      "Errors are JSON {\"error\": {\"status\", \"message\"}}: 400 not an image, 401 token, 413 too big, 422 no "
      "face, 503 busy. SIGTERM or Ctrl-C stop the server after the requests in flight. See docs/serve.md.");
  c->callback([a, &ctx] {
    ctx.action = [a]() -> int {
      if (!a->token_file.empty()) {
        auto t = read_token(a->token_file);
        if (!t) return fail(t.status().message());
        a->o.token = t.value();
      }
      a->o.body_limit = static_cast<std::size_t>(a->body_limit_mib * 1024 * 1024);
      std::string error;
      int (*run)(const serve::Options*, std::string*) = nullptr;
      if (!core::detail::load_entry_points("libkohl_serve.so", "kohl serve", error, std::pair{"kohl_serve_run", &run}))
        return fail(error);
      return run(&a->o, &error) == 0 ? 0 : fail(error);
    };
  });
}

}  // namespace kohl::cli
