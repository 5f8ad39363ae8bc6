#include "sdk/reports/queue.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::reports {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

std::string TempDir() {
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/qXXXXXX");
  return mkdtemp(dir.data());
}

Job MailJob() {
  Job job;
  job.report = "daily";
  job.url = "smtp://127.0.0.1:2525";
  job.tls = Tls::kStartTls;
  job.username = "u";
  job.password = "p: with colon";
  job.mail_from = "ews@example.com";
  job.recipients = {"a@example.com", "b@example.com"};
  job.payload = std::string("binary\0\n\nbytes\r\n", 16);
  return job;
}

TEST(QueueTest, JobRoundTripsThroughItsFile) {
  auto text = SerializeJob(MailJob());
  ASSERT_TRUE(text.ok());
  auto job = ParseJob(*text);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->password, "p: with colon");
  EXPECT_EQ(job->recipients, MailJob().recipients);
  EXPECT_EQ(job->tls, Tls::kStartTls);
  EXPECT_EQ(job->payload, MailJob().payload);
}

TEST(QueueTest, BadJobsAreRefused) {
  Job job = MailJob();
  job.mail_from = "x\r\nRCPT TO:<evil@example.com>";
  EXPECT_THAT(SerializeJob(job), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJob("hello"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJob("ews-report-job: 1\ntls: maybe\nurl: x\n\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJob("ews-report-job: 1\nurl: smtp://x\n\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // no rcpt
}

TEST(QueueTest, SurvivesReopenBacksOffAndGivesUp) {
  const std::string dir = TempDir();
  SimulatedClock clock;
  QueueOptions options;
  options.first_retry = absl::Minutes(1);
  options.max_retry = absl::Minutes(8);
  options.max_attempts = 6;
  std::string id;
  {
    auto queue = DeliveryQueue::Open(dir, &clock, options);
    ASSERT_TRUE(queue.ok());
    auto enqueued = queue->Enqueue(MailJob());
    ASSERT_TRUE(enqueued.ok());
    id = *enqueued;
  }
  // A garbage file beside it is set aside, not fatal.
  ASSERT_THAT(WriteFileAtomically(dir + "/zz.job", "garbage"), IsOk());
  auto queue = DeliveryQueue::Open(dir, &clock, options);
  ASSERT_TRUE(queue.ok());
  auto due = queue->Due();
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, id);
  EXPECT_TRUE(ReadFileToString(dir + "/zz.job.bad").ok());

  // 1, 2, 4, 8, 8 minutes, then dropped at the 6th failure.
  const absl::Duration waits[] = {absl::Minutes(1), absl::Minutes(2),
                                  absl::Minutes(4), absl::Minutes(8),
                                  absl::Minutes(8)};
  for (absl::Duration wait : waits) {
    auto dropped = queue->Failed(id, "connection refused");
    ASSERT_TRUE(dropped.ok());
    EXPECT_FALSE(*dropped);
    clock.Advance(wait - absl::Seconds(1));
    EXPECT_TRUE(queue->Due()->empty());
    clock.Advance(absl::Seconds(1));
    ASSERT_EQ(queue->Due()->size(), 1u);
    EXPECT_EQ((*queue->Due())[0].last_error, "connection refused");
  }
  auto dropped = queue->Failed(id, "connection refused");
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(*dropped);
  EXPECT_TRUE(queue->All()->empty());
}

TEST(QueueTest, IsBounded) {
  SimulatedClock clock;
  QueueOptions options;
  options.max_jobs = 3;
  auto queue = DeliveryQueue::Open(TempDir(), &clock, options);
  ASSERT_TRUE(queue.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue->Enqueue(MailJob()).ok());
  EXPECT_THAT(queue->Enqueue(MailJob()).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace ews::reports
