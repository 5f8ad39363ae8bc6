#include "sdk/modbus/fake_client.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace ews::modbus {

FakeClient::FakeClient(Clock* clock)
    : clock_(clock != nullptr ? clock : &SystemClock::Get()) {}

RegisterBank& FakeClient::AddUnit(uint8_t unit, bool open) {
  absl::MutexLock lock(&mutex_);
  auto& bank = units_[unit];
  if (bank == nullptr) bank = std::make_unique<RegisterBank>(open);
  return *bank;
}

RegisterBank* FakeClient::unit(uint8_t unit) {
  absl::MutexLock lock(&mutex_);
  auto it = units_.find(unit);
  return it == units_.end() ? nullptr : it->second.get();
}

void FakeClient::InjectTimeouts(uint8_t unit, int count) {
  absl::MutexLock lock(&mutex_);
  for (int i = 0; i < count; ++i) {
    injected_[unit].push_back(absl::DeadlineExceededError(
        absl::StrFormat("fake: unit %d did not answer (injected)", unit)));
  }
}

void FakeClient::InjectError(uint8_t unit, absl::Status status) {
  absl::MutexLock lock(&mutex_);
  injected_[unit].push_back(std::move(status));
}

void FakeClient::InjectException(uint8_t unit, uint8_t code) {
  absl::MutexLock lock(&mutex_);
  exceptions_[unit].push_back(code);
}

void FakeClient::SetOffline(uint8_t unit, bool offline) {
  absl::MutexLock lock(&mutex_);
  offline_[unit] = offline;
}

void FakeClient::SetLatency(absl::Duration latency) {
  absl::MutexLock lock(&mutex_);
  latency_ = latency;
}

std::vector<FakeClient::Call> FakeClient::calls() const {
  absl::MutexLock lock(&mutex_);
  return calls_;
}

size_t FakeClient::call_count() const {
  absl::MutexLock lock(&mutex_);
  return calls_.size();
}

void FakeClient::ClearCalls() {
  absl::MutexLock lock(&mutex_);
  calls_.clear();
}

absl::StatusOr<Pdu> FakeClient::DoTransact(uint8_t unit, const Pdu& request,
                                           const CallOptions& options) {
  absl::Duration latency;
  {
    absl::MutexLock lock(&mutex_);
    latency = latency_;
  }
  if (latency > absl::ZeroDuration()) clock_->SleepFor(latency);

  absl::MutexLock lock(&mutex_);
  Call call{clock_->MonotonicNow(), unit, request, options.priority,
            absl::OkStatus()};
  absl::StatusOr<Pdu> result;
  if (unit == kBroadcastUnit) {
    for (auto& [id, bank] : units_) {
      if (!offline_[id]) bank->Handle(request);
    }
    result = Pdu();
  } else if (auto& injected = injected_[unit]; !injected.empty()) {
    result = injected.front();
    injected.pop_front();
  } else if (auto& exceptions = exceptions_[unit]; !exceptions.empty()) {
    result = ExceptionResponse(request[0], exceptions.front());
    exceptions.pop_front();
  } else if (auto it = units_.find(unit);
             it == units_.end() || offline_[unit]) {
    result = absl::DeadlineExceededError(
        absl::StrFormat("fake: unit %d did not answer", unit));
  } else {
    result = it->second->Handle(request);
  }
  if (!result.ok()) {
    call.result = result.status();
  } else if (result->size() == 2 && ((*result)[0] & 0x80)) {
    call.result = ExceptionStatus((*result)[1], unit, request[0]);
  }
  calls_.push_back(std::move(call));
  return result;
}

}  // namespace ews::modbus
