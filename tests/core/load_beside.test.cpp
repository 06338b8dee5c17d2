// core::detail::load_entry_points, the loader of Kohl's own libraries loaded on first use
// (codecs, training, inference, the face detector, the server): found beside the program,
// every entry point looked up, and a missing library or entry point named in the error.
#include <string>

#include <catch2/catch.hpp>

#include "kohl/core/load_beside.hpp"

namespace {
using DecodeFn = bool (*)(const void*, int, void*, std::string*);
using EncodeFn = bool (*)(const void*, const void*, void*, const void*, std::string*);
}  // namespace

TEST_CASE("load_entry_points finds a library beside the program and all its entry points", "[load_beside]") {
  DecodeFn decode = nullptr;
  EncodeFn encode = nullptr;
  std::string error;
  REQUIRE(kohl::core::detail::load_entry_points("libkohl_codecs.so", "image codecs", error,
                                                std::pair{"kohl_codecs_decode", &decode},
                                                std::pair{"kohl_codecs_encode", &encode}));
  CHECK(error.empty());
  CHECK(decode != nullptr);
  CHECK(encode != nullptr);
}

TEST_CASE("load_entry_points names a missing entry point and a missing library", "[load_beside]") {
  DecodeFn decode = nullptr, absent = nullptr;
  std::string error;
  CHECK_FALSE(kohl::core::detail::load_entry_points("libkohl_codecs.so", "image codecs", error,
                                                    std::pair{"kohl_codecs_no_such_entry", &absent},
                                                    std::pair{"kohl_codecs_decode", &decode}));
  CHECK(error == "image codecs unavailable: libkohl_codecs.so lacks the entry point kohl_codecs_no_such_entry");
  CHECK(absent == nullptr);
  CHECK(decode != nullptr);  // the others are still looked up

  error.clear();
  CHECK_FALSE(kohl::core::detail::load_entry_points("libkohl_no_such_library.so", "the frobnicator", error,
                                                    std::pair{"x", &decode}));
  CHECK(error.rfind("the frobnicator unavailable: cannot load libkohl_no_such_library.so (tried ", 0) == 0);
}
