// The one libcrypto function civetweb 1.15 looks up that BoringSSL does not
// have.
#include <openssl/base.h>

extern "C" {

// BoringSSL has no configuration modules, so there is nothing to unload.
void CONF_modules_unload(int /*all*/) {}

}  // extern "C"
