// WebSocket (https_server.h): a queue per client and a sender thread, so a
// sender never waits on a slow client.
#include <civetweb.h>

#include <string>
#include <utility>

#include "sdk/base/log.h"
#include "sdk/http/https_server.h"
#include "sdk/http/internal/websocket_connection.h"

namespace ews::http {

WebSocket::WebSocket(std::unique_ptr<Connection> connection, Request request,
                     size_t max_queued)
    : connection_(std::move(connection)),
      request_(std::move(request)),
      max_queued_(max_queued) {}

WebSocket::~WebSocket() { Closed(); }

void WebSocket::Start() {
  sender_ = std::thread([this] { SenderLoop(); });
}

absl::Status WebSocket::Send(std::string text) {
  absl::MutexLock lock(&mutex_);
  if (closed_ || closing_) return absl::UnavailableError("WebSocket closed");
  if (queue_.size() >= max_queued_) {
    // Too slow: drop it rather than buffer without bound.
    queue_.clear();
    closing_ = true;
    close_code_ = 1008;
    close_reason_ = "too slow: messages were not read";
    EWS_LOG(WARNING) << "WebSocket client " << request_.remote_address
                     << " dropped: " << max_queued_ << " messages waiting";
    return absl::ResourceExhaustedError("client too slow: dropped");
  }
  queue_.push_back(std::move(text));
  return absl::OkStatus();
}

void WebSocket::Close(int code, const std::string& reason) {
  absl::MutexLock lock(&mutex_);
  if (closed_ || closing_) return;
  queue_.clear();
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason.substr(0, 120);
}

bool WebSocket::open() const {
  absl::MutexLock lock(&mutex_);
  return !closed_ && !closing_;
}

uint64_t WebSocket::sent() const {
  absl::MutexLock lock(&mutex_);
  return sent_;
}

void WebSocket::SenderLoop() {
  while (true) {
    std::string message;
    bool close = false;
    std::string close_payload;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](WebSocket* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return self->closed_ || self->closing_ || !self->queue_.empty();
          },
          this));
      if (closed_) return;
      if (closing_) {
        close = true;
        close_payload.push_back(static_cast<char>(close_code_ >> 8));
        close_payload.push_back(static_cast<char>(close_code_ & 0xff));
        close_payload += close_reason_;
      } else {
        message = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (close) {
      mg_websocket_write(connection_->handle,
                         MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE,
                         close_payload.data(), close_payload.size());
      return;  // civetweb ends the connection when the client answers
    }
    if (mg_websocket_write(connection_->handle, MG_WEBSOCKET_OPCODE_TEXT,
                           message.data(), message.size()) <= 0) {
      absl::MutexLock lock(&mutex_);
      closing_ = true;  // broken: stop sending; civetweb notices on its side
      queue_.clear();
      return;
    }
    absl::MutexLock lock(&mutex_);
    ++sent_;
  }
}

void WebSocket::Closed() {
  {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
    queue_.clear();
  }
  if (sender_.joinable()) sender_.join();
}

}  // namespace ews::http
