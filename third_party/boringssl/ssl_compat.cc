// OpenSSL 1.1's generic "ctrl" entry points, which civetweb 1.15 looks up by
// name at run time. BoringSSL replaced them with one function per control;
// these forward the control codes that civetweb sends (and only those) to the
// BoringSSL function of the same meaning. An unknown code fails (returns 0)
// rather than being silently ignored.
#include <openssl/ssl.h>

#include <cstdio>

namespace {

// OpenSSL 1.1 control codes (ssl.h / tls1.h), as civetweb passes them.
constexpr int kCtrlSetSessCacheSize = 42;
constexpr int kCtrlSetSessCacheMode = 44;
constexpr int kCtrlSetTlsextServernameCb = 53;
constexpr int kCtrlSetTlsextServernameArg = 54;
constexpr int kCtrlSetTlsextHostname = 55;
constexpr int kCtrlClearOptions = 77;
constexpr int kCtrlSetEcdhAuto = 94;

long Unsupported(const char* function, int cmd) {
  std::fprintf(stderr, "ews ssl_compat: %s control %d is not supported\n",
               function, cmd);
  return 0;
}

}  // namespace

extern "C" {

long SSL_CTX_ctrl(SSL_CTX* ctx, int cmd, long larg, void* parg) {
  switch (cmd) {
    case kCtrlClearOptions:
      return static_cast<long>(
          SSL_CTX_clear_options(ctx, static_cast<uint32_t>(larg)));
    case kCtrlSetEcdhAuto:
      return 1;  // BoringSSL always selects the ECDH curve automatically.
    case kCtrlSetTlsextServernameArg:
      return SSL_CTX_set_tlsext_servername_arg(ctx, parg);
    case kCtrlSetSessCacheSize:
      return static_cast<long>(
          SSL_CTX_sess_set_cache_size(ctx, static_cast<unsigned long>(larg)));
    case kCtrlSetSessCacheMode:
      return SSL_CTX_set_session_cache_mode(ctx, static_cast<int>(larg));
    default:
      return Unsupported("SSL_CTX_ctrl", cmd);
  }
}

long SSL_CTX_callback_ctrl(SSL_CTX* ctx, int cmd, void (*fp)(void)) {
  if (cmd == kCtrlSetTlsextServernameCb) {
    using Callback = int (*)(SSL*, int*, void*);
    return SSL_CTX_set_tlsext_servername_callback(
        ctx, reinterpret_cast<Callback>(fp));
  }
  return Unsupported("SSL_CTX_callback_ctrl", cmd);
}

long SSL_ctrl(SSL* ssl, int cmd, long larg, void* parg) {
  switch (cmd) {
    case kCtrlSetTlsextHostname:
      return SSL_set_tlsext_host_name(ssl, static_cast<const char*>(parg));
    case kCtrlClearOptions:
      return static_cast<long>(
          SSL_clear_options(ssl, static_cast<uint32_t>(larg)));
    default:
      return Unsupported("SSL_ctrl", cmd);
  }
}

}  // extern "C"
