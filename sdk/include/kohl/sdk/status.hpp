// Status and Result: how SDK calls report failure. Nothing throws across the plugin
// boundary; a plugin returns an error Status with a message a person can act on.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace kohl::sdk {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // bad parameter value or input
  kFailed = 2,           // the operation could not be done
  kCancelled = 3,        // the caller asked to stop (IProgress::cancelled)
  kUnsupported = 4,      // not implemented by this plugin (e.g. a layer an exporter lacks)
  kIoError = 5,          // a file could not be read or written
};

class Status {
 public:
  Status() = default;
  static Status ok() { return {}; }
  static Status error(std::string message, StatusCode code = StatusCode::kFailed) {
    return Status(code, std::move(message));
  }
  static Status invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status cancelled(std::string message = "cancelled") {
    return Status(StatusCode::kCancelled, std::move(message));
  }
  static Status unsupported(std::string message) {
    return Status(StatusCode::kUnsupported, std::move(message));
  }
  static Status io_error(std::string message) {
    return Status(StatusCode::kIoError, std::move(message));
  }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that says why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}             // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {      // NOLINT: implicit on purpose
    if (status_.is_ok()) status_ = Status::error("Result built from an ok Status without a value");
  }

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace kohl::sdk
