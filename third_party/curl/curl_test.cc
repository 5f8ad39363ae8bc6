// libcurl from Debian's libcurl4-gnutls-dev: the TLS backend is GnuTLS, and
// it speaks the protocols the reports need.
#include <curl/curl.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace {

std::string Maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CurlTest, TlsBackendIsGnuTlsAndProtocolsArePresent) {
  ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info, nullptr);
  ASSERT_NE(info->ssl_version, nullptr);
  EXPECT_NE(std::string(info->ssl_version).find("GnuTLS"), std::string::npos)
      << info->ssl_version;
  std::string protocols;
  for (const char* const* p = info->protocols; *p != nullptr; ++p) {
    protocols += std::string(*p) + " ";
  }
  for (const char* wanted : {"smtp ", "smtps ", "ftp ", "ftps ", "https "}) {
    EXPECT_NE(protocols.find(wanted), std::string::npos) << wanted;
  }
  curl_global_cleanup();
}

// The reason libcurl stays out of ews-server: OpenSSL's libssl is not loaded,
// but its libcrypto is (through libssh2), and it exports the same symbol
// names as BoringSSL's libcrypto. If Debian ever drops that dependency this
// test fails and the helper process can be reconsidered.
TEST(CurlTest, LoadsOpenSslLibcryptoButNotLibssl) {
  const std::string maps = Maps();
  EXPECT_EQ(maps.find("/libssl.so.3"), std::string::npos);
  EXPECT_NE(maps.find("/libcrypto.so.3"), std::string::npos);
}

}  // namespace
