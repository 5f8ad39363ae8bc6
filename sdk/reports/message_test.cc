#include "sdk/reports/message.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace ews::reports {
namespace {

TEST(MessageTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(MessageTest, MultipartWithHeadersAndShortCrlfLines) {
  Email email;
  email.from = "ews@example.com";
  email.recipients = {"a@example.com", "b@example.com"};
  email.subject = "EWS : rapport journalier 2026-03-29 — énergie";
  email.body = "ligne 1\nligne 2\n";
  email.attachments = {{"meter-1_2026-03-29.csv", std::string(1000, 'x')}};
  email.date = absl::FromUnixSeconds(1774828800);  // 2026-03-30 00:00 UTC
  email.message_id = "<r1@ews.local>";
  const std::string m = BuildMessage(email);
  EXPECT_TRUE(absl::StartsWith(m, "From: ews@example.com\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "To: a@example.com,\r\n b@example.com\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Subject: =?UTF-8?B?"));
  EXPECT_TRUE(
      absl::StrContains(m, "Date: Mon, 30 Mar 2026 00:00:00 +0000\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "Message-ID: <r1@ews.local>\r\n"));
  EXPECT_TRUE(absl::StrContains(m, "multipart/mixed"));
  EXPECT_TRUE(absl::StrContains(m, "filename=\"meter-1_2026-03-29.csv\"\r\n"));
  EXPECT_TRUE(absl::StrContains(m, Base64("ligne 1\r\nligne 2\r\n")));
  EXPECT_TRUE(absl::EndsWith(m, "--\r\n"));
  // Every line ends in CRLF and is at most 78 characters; no bare LF.
  for (absl::string_view line : absl::StrSplit(m, "\r\n")) {
    EXPECT_LE(line.size(), 78u) << line;
    EXPECT_FALSE(absl::StrContains(line, '\n')) << line;
  }
}

}  // namespace
}  // namespace ews::reports
