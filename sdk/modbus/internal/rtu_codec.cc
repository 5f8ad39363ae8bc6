#include "sdk/modbus/internal/rtu_codec.h"

#include <errno.h>
#include <modbus/modbus.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "sdk/modbus/pdu.h"

namespace ews::modbus::internal {

struct RtuCodec::Context {
  modbus_t* ctx = nullptr;
  int ours = -1;  // libmodbus writes here
  int peer = -1;  // we read the ADU here
  ~Context() {
    if (ctx != nullptr) modbus_free(ctx);  // does not close the socket
    if (ours >= 0) close(ours);
    if (peer >= 0) close(peer);
  }
};

absl::StatusOr<std::unique_ptr<RtuCodec>> RtuCodec::Create() {
  auto context = std::make_unique<Context>();
  // The device name is never opened: the context is never connected.
  context->ctx = modbus_new_rtu("/dev/null", 19200, 'E', 8, 1);
  if (context->ctx == nullptr) {
    return absl::InternalError(
        absl::StrCat("modbus_new_rtu: ", modbus_strerror(errno)));
  }
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::InternalError(absl::StrCat("socketpair: ", strerror(errno)));
  }
  context->ours = fds[0];
  context->peer = fds[1];
  modbus_set_socket(context->ctx, context->ours);
  return std::unique_ptr<RtuCodec>(new RtuCodec(std::move(context)));
}

RtuCodec::RtuCodec(std::unique_ptr<Context> context)
    : context_(std::move(context)) {}
RtuCodec::~RtuCodec() = default;

absl::StatusOr<std::vector<uint8_t>> RtuCodec::Encode(
    uint8_t address, absl::Span<const uint8_t> pdu) {
  if (pdu.empty() || pdu.size() > kMaxPduSize) {
    return absl::InvalidArgumentError("PDU size out of range");
  }
  uint8_t raw[1 + kMaxPduSize];
  raw[0] = address;
  memcpy(raw + 1, pdu.data(), pdu.size());
  const int raw_length = static_cast<int>(pdu.size() + 1);
  if (raw_length < 2) return absl::InvalidArgumentError("PDU too short");
  if (modbus_send_raw_request(context_->ctx, raw, raw_length) < 0) {
    return absl::InternalError(
        absl::StrCat("modbus_send_raw_request: ", modbus_strerror(errno)));
  }
  std::vector<uint8_t> adu(MODBUS_RTU_MAX_ADU_LENGTH + 8);
  ssize_t n;
  do {
    n = recv(context_->peer, adu.data(), adu.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n != raw_length + 2) {
    return absl::InternalError(absl::StrCat(
        "libmodbus encoded ", n, " bytes for a ", raw_length, "-byte body"));
  }
  adu.resize(n);
  return adu;
}

absl::Status RtuCodec::Check(absl::Span<const uint8_t> frame) {
  if (frame.size() < 4) {
    return absl::DataLossError(absl::StrCat("short RTU frame (", frame.size(),
                                            " bytes): ", HexBytes(frame)));
  }
  if (frame.size() > MODBUS_RTU_MAX_ADU_LENGTH) {
    return absl::DataLossError(
        absl::StrCat("RTU frame too long (", frame.size(), " bytes)"));
  }
  absl::StatusOr<std::vector<uint8_t>> expected =
      Encode(frame[0], frame.subspan(1, frame.size() - 3));
  if (!expected.ok()) return expected.status();
  const size_t n = frame.size();
  if ((*expected)[n - 2] != frame[n - 2] ||
      (*expected)[n - 1] != frame[n - 1]) {
    return absl::DataLossError(
        absl::StrCat("CRC error in RTU frame: ", HexBytes(frame)));
  }
  return absl::OkStatus();
}

}  // namespace ews::modbus::internal
