// libkohl_serve.so's entry point: `kohl serve` from a parsed command line to the server's
// stop. The server (cpp-httplib, and through it OpenSSL and brotli; libsodium) lives in this
// library so that kohl loads it only for `kohl serve` (cmd_serve.cpp), not at every start.
// SIGTERM and Ctrl-C stop it gracefully: both signals are blocked in every thread and one
// thread waits for them with sigwait, then asks the server to stop; requests in flight are
// answered first. Takes C++ types: built with Kohl, never apart.
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "kohl/serve/server.hpp"

#define KOHL_SERVE_API extern "C" __attribute__((visibility("default")))

// Runs the server until SIGTERM or Ctrl-C. Returns 0, or 1 with *error saying why it could
// not start.
KOHL_SERVE_API int kohl_serve_run(const kohl::serve::Options* options, std::string* error) {
  using namespace kohl;
  const serve::Options& o = *options;
  auto fail = [&](const std::string& why) {
    *error = why;
    return 1;
  };
  // Block the stop signals before any thread starts, so only the waiter receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = serve::Server::create(o);
  if (!server) return fail(server.status().message());
  if (auto st = server.value()->bind(); !st) return fail(st.message());
  auto& s = *server.value();
  std::cerr << "kohl serve: " << s.task() << " model " << s.model_name()
            << " from " << o.bundle << (o.token.empty() ? "" : ", bearer token required") << "\n";
  std::cout << "listening on http://" << o.host << ":" << s.port() << std::endl;

  std::atomic<bool> finished{false};
  std::thread waiter([&s, &finished, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (finished) return;  // woken by the exit path below
    std::cerr << "kohl serve: " << (sig == SIGTERM ? "SIGTERM" : "interrupt") << ", stopping\n";
    s.stop();
  });
  s.run();
  // run() also returns when listening fails: wake the waiter so it can be joined.
  finished = true;
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::cerr << "kohl serve: stopped\n";
  return 0;
}
