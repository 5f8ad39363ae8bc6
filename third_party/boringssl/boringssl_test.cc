// Proves BoringSSL (not OpenSSL) is what links, and that the compat shims
// answer the calls civetweb makes through them.
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/is_boringssl.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include <cstring>

#include "gtest/gtest.h"

namespace {

TEST(BoringSslTest, Sha256OfAbc) {
  const unsigned char input[] = "abc";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(input, 3, digest);
  EXPECT_EQ(digest[0], 0xba);
  EXPECT_EQ(digest[31], 0xad);
}

TEST(BoringSslTest, DlopenByGenericNameFindsTheShims) {
  // What civetweb does at run time: these must resolve to the already-loaded
  // shims.
  void* ssl = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
  void* crypto = dlopen("libcrypto.so", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(ssl, nullptr) << dlerror();
  ASSERT_NE(crypto, nullptr) << dlerror();
  EXPECT_NE(dlsym(ssl, "SSL_CTX_ctrl"), nullptr);
  EXPECT_NE(dlsym(ssl, "SSL_CTX_new"), nullptr);
  EXPECT_NE(dlsym(crypto, "CONF_modules_unload"), nullptr);
  EXPECT_NE(dlsym(crypto, "ERR_get_error"), nullptr);
  dlclose(ssl);
  dlclose(crypto);
}

TEST(BoringSslTest, CtrlShimMapsCivetwebControls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_NE(ctx, nullptr);
  using Ctrl = long (*)(SSL_CTX*, int, long, void*);
  auto ctrl = reinterpret_cast<Ctrl>(dlsym(RTLD_DEFAULT, "SSL_CTX_ctrl"));
  ASSERT_NE(ctrl, nullptr);
  EXPECT_EQ(ctrl(ctx, 94, 1, nullptr), 1);  // ECDH auto
  ctrl(ctx, 44, SSL_SESS_CACHE_OFF, nullptr);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
  ctrl(ctx, 42, 128, nullptr);
  EXPECT_EQ(SSL_CTX_sess_get_cache_size(ctx), 128ul);
  EXPECT_EQ(ctrl(ctx, 12345, 0, nullptr), 0);  // unknown control: refused
  SSL_CTX_free(ctx);
}

}  // namespace
