// The reporter against real servers on loopback: Debian's aiosmtpd (STARTTLS
// and SMTPS, AUTH required) and pyftpdlib (explicit FTPS, TLS required on
// the data connection too), each stopped and restarted to simulate an
// outage. What arrives is compared byte for byte
// with the store's exporter output.
#include "sdk/reports/reporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/export/file_view.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/storage/store.h"

namespace ews::reports {
namespace {

using ::ews::testing::IsOk;

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/ews/", path);
}

std::string TempDir(const std::string& name) {
  std::string dir =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name, "XXXXXX");
  return mkdtemp(dir.data());
}

// One of the test servers (a python3 script), on a port read back from it.
class Server {
 public:
  Server(std::string script, std::string mode, std::string cert,
         std::string key, std::string dir)
      : script_(std::move(script)),
        mode_(std::move(mode)),
        cert_(std::move(cert)),
        key_(std::move(key)),
        dir_(std::move(dir)) {}
  ~Server() { Stop(); }

  // Starts on `port_` (0 the first time: a free port).
  void Start() {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string port = absl::StrCat(port_);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl("/usr/bin/python3", "python3", Runfile(script_).c_str(),
            mode_.c_str(), port.c_str(), cert_.c_str(), key_.c_str(),
            dir_.c_str(), "reporter", "s3cret-pass", nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    int port_read = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line, &port_read)) << "'" << line << "'";
    port_ = port_read;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  std::string script_, mode_, cert_, key_, dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

absl::TimeZone Paris() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz));
  return tz;
}

absl::Time Local(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), Paris());
}

std::string Read(const std::string& path) {
  auto contents = ReadFileToString(path);
  return contents.ok() ? *contents : "";
}

// The decoded bytes of the first MIME part named `file_name` ("": the text
// body), as a mail client sees it: python3's email package parses the
// message received.
std::string AttachmentOf(const std::string& eml, const std::string& file_name,
                         const std::string& out) {
  const std::string command = absl::StrCat(
      "/usr/bin/python3 -c \"import email,sys; m=email.message_from_binary_"
      "file(open(sys.argv[1],'rb')); p=[p for p in m.walk() if "
      "(p.get_filename() or '')==sys.argv[2] and not p.is_multipart()][0]; "
      "open(sys.argv[3],'wb').write("
      "p.get_payload(decode=True))\" ",
      eml, " '", file_name, "' ", out);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return Read(out);
}

class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("reports");
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    // A self-signed server certificate for 127.0.0.1, made by the openssl
    // command (a separate process: nothing of OpenSSL enters this one).
    ASSERT_EQ(
        std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes "
                                 "-subj /CN=localhost -addext "
                                 "subjectAltName=IP:127.0.0.1,DNS:localhost "
                                 "-days 2 -keyout ",
                                 key_, " -out ", cert_, " 2>/dev/null")
                        .c_str()),
        0);
    clock_ = std::make_unique<SimulatedClock>(Local(2026, 3, 30, 5, 0));
    storage::StoreOptions options;
    options.path = dir_ + "/history.db";
    auto store = storage::Store::Open(options, clock_.get(), Paris());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    // meter-1: 2026-03-29 (the spring DST day in Paris), one sample a
    // minute, 0.5 kWh an hour.
    ASSERT_TRUE(
        store_
            ->RegisterSeries({"meter-1", "ea_import",
                              storage::SeriesKind::kCounter, "kWh", 0.001})
            .ok());
    const absl::Time from = Local(2026, 3, 29, 0, 0);
    for (int m = 0; m <= 23 * 60; ++m) {
      ASSERT_THAT(store_->Append("meter-1", "ea_import",
                                 from + absl::Minutes(m), 1000 + m * 0.5 / 60),
                  IsOk());
    }
    ASSERT_THAT(store_->Flush(), IsOk());
    ASSERT_THAT(store_->Consolidate(), IsOk());
    auto audit = security::AuditLog::Open(dir_ + "/audit", *clock_);
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
  }

  std::unique_ptr<Reporter> MakeReporter(std::vector<ReportSpec> specs) {
    ReporterOptions options;
    options.queue_dir = dir_ + "/queue";
    options.sender_path = Runfile("sdk/reports/report_sender");
    options.time_zone = Paris();
    options.ca_file = cert_;
    options.send_timeout = absl::Seconds(20);
    auto reporter = Reporter::Create(options, std::move(specs), store_.get(),
                                     clock_.get(), audit_.get());
    EXPECT_TRUE(reporter.ok()) << reporter.status();
    return reporter.ok() ? *std::move(reporter) : nullptr;
  }

  // What the file view / web download give for meter-1 over [from, to) at
  // `tier`: the same request.
  std::string Export(absl::Time from, absl::Time to, storage::Tier tier) {
    storage::CsvRequest request;
    request.device_id = "meter-1";
    request.from = from;
    request.to = to;
    request.tier = tier;
    std::string csv;
    EXPECT_THAT(store_->ExportCsv(request,
                                  [&csv](absl::string_view chunk) {
                                    csv.append(chunk.data(), chunk.size());
                                    return absl::OkStatus();
                                  }),
                IsOk());
    return csv;
  }

  // What FTP, WebDAV and the web download serve for that day.
  std::string FileViewDay() {
    files::FileView view(store_.get(), *clock_, Paris());
    files::FileAccess all;
    all.device = [](absl::string_view) { return true; };
    std::string csv;
    EXPECT_THAT(
        view.Read("/meter-1/meter-1_2026-03-29.csv", all, 0, files::kToEnd,
                  [&csv](absl::string_view chunk) {
                    csv.append(chunk.data(), chunk.size());
                    return absl::OkStatus();
                  }),
        IsOk());
    return csv;
  }

  std::vector<std::string> AuditActions() {
    std::vector<std::string> out;
    auto entries = audit_->Read(1000);
    EXPECT_TRUE(entries.ok());
    for (const auto& e : *entries) {
      out.push_back(absl::StrCat(e.action, " ", e.outcome.substr(0, 6)));
    }
    return out;
  }

  std::string dir_, cert_, key_;
  std::unique_ptr<SimulatedClock> clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<security::AuditLog> audit_;
};

std::string Maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(ReporterTest, ScheduledReportArrivesAfterAnOutageOfEachServer) {
  const std::string mail_dir = TempDir("mail");
  const std::string ftp_root = TempDir("ftp");
  Server smtp("sdk/reports/testdata/smtp_server.py", "starttls", cert_, key_,
              mail_dir);
  Server ftp("sdk/reports/testdata/ftp_server.py", "ftps", cert_, key_,
             ftp_root);
  smtp.Start();
  ftp.Start();

  ReportSpec spec;
  spec.name = "daily-site";
  spec.period = ReportPeriod::kDaily;
  spec.send_at_minute = 6 * 60;
  spec.devices = {"meter-1"};
  spec.language = Language::kFrench;
  spec.email = EmailTarget{"127.0.0.1",
                           smtp.port(),
                           Tls::kStartTls,
                           "reporter",
                           "s3cret-pass",
                           "ews@example.com",
                           {"ops@example.com", "boss@example.com"}};
  spec.uploads = {UploadTarget{
      absl::StrCat("ftp://127.0.0.1:", ftp.port(), "/exports/daily"),
      Tls::kStartTls, "reporter", "s3cret-pass"}};
  std::unique_ptr<Reporter> reporter = MakeReporter({spec});
  ASSERT_NE(reporter, nullptr);
  ASSERT_THAT(reporter->Tick(), IsOk());  // 05:00: nothing due
  EXPECT_TRUE(reporter->Pending()->empty());

  // The outage: both servers down when the report falls due at 06:00.
  smtp.Stop();
  ftp.Stop();
  clock_->Advance(absl::Minutes(61));
  ASSERT_THAT(reporter->Tick(), IsOk());
  auto pending = reporter->Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);  // the e-mail and one CSV upload
  std::string message;
  for (const Job& job : *pending) {
    EXPECT_EQ(job.attempts, 1);
    EXPECT_FALSE(job.last_error.empty());
    if (job.transport == Transport::kSmtp) message = job.payload;
  }
  ASSERT_FALSE(message.empty());
  auto results = reporter->LastResults();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_FALSE(results[1].ok);

  // A restart: a new Reporter on the same queue; the servers come back.
  reporter = MakeReporter({spec});
  smtp.Start();
  ftp.Start();
  clock_->Advance(absl::Seconds(30));  // back-off (1 min) not over yet
  ASSERT_THAT(reporter->Tick(), IsOk());
  EXPECT_EQ(reporter->Pending()->size(), 2u);
  EXPECT_FALSE(ReadFileToString(mail_dir + "/1.eml").ok());
  clock_->Advance(absl::Seconds(30));
  ASSERT_THAT(reporter->Tick(), IsOk());
  EXPECT_TRUE(reporter->Pending()->empty());

  // The e-mail: exactly the bytes queued, to both recipients, with the
  // exporter's CSV as attachment.
  const std::string csv =
      Export(Local(2026, 3, 29, 0, 0), Local(2026, 3, 30, 0, 0),
             storage::Tier::kMinute);
  ASSERT_GT(csv.size(), 1000u);
  EXPECT_EQ(FileViewDay(), csv);
  const std::string eml = Read(mail_dir + "/1.eml");
  EXPECT_EQ(absl::StrReplaceAll(eml, {{"\r\n", "\n"}}),
            absl::StrReplaceAll(message, {{"\r\n", "\n"}}));
  EXPECT_EQ(Read(mail_dir + "/1.eml.rcpt"),
            "ews@example.com\nops@example.com\nboss@example.com");
  EXPECT_EQ(AttachmentOf(mail_dir + "/1.eml", "meter-1_2026-03-29.csv",
                         dir_ + "/attachment.csv"),
            csv);
  // The French summary: the day (23 hours, DST) has 1379 minute steps of
  // 0.5/60 kWh inside it (the step into 00:00 belongs to the next day).
  const std::string body =
      AttachmentOf(mail_dir + "/1.eml", "", dir_ + "/body.txt");
  EXPECT_TRUE(absl::StrContains(body, "Rapport de consommation du 2026-03-29"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "meter-1\r\n  ea_import : 11,492 kWh"))
      << body;
  // The FTPS deposit, byte for byte.
  EXPECT_EQ(Read(ftp_root + "/exports/daily/meter-1_2026-03-29.csv"), csv);

  const std::vector<std::string> actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.failed failed"),
            2);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.sent ok"), 2);
  results = reporter->LastResults();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_TRUE(results[1].ok);

  // Not sent twice: the next day's report is the next one.
  clock_->Advance(absl::Hours(2));
  ASSERT_THAT(reporter->Tick(), IsOk());
  EXPECT_TRUE(reporter->Pending()->empty());
  EXPECT_FALSE(ReadFileToString(mail_dir + "/2.eml").ok());

  // This process delivered through the helper: OpenSSL never entered it.
  const std::string maps = Maps();
  EXPECT_EQ(maps.find("libssl.so.3"), std::string::npos);
  EXPECT_EQ(maps.find("libcrypto.so.3"), std::string::npos);
  EXPECT_EQ(maps.find("libcurl"), std::string::npos);
}

TEST_F(ReporterTest, SmtpsTestReportNowAndAuthenticationRefused) {
  const std::string mail_dir = TempDir("mail");
  Server smtp("sdk/reports/testdata/smtp_server.py", "smtps", cert_, key_,
              mail_dir);
  smtp.Start();
  ReportSpec good;
  good.name = "monthly-en";
  good.period = ReportPeriod::kMonthly;
  good.language = Language::kEnglish;
  good.email = EmailTarget{"127.0.0.1",        smtp.port(),   Tls::kImplicit,
                           "reporter",         "s3cret-pass", "ews@example.com",
                           {"ops@example.com"}};
  ReportSpec bad = good;
  bad.name = "wrong-password";
  bad.email->password = "guess";
  std::unique_ptr<Reporter> reporter = MakeReporter({good, bad});
  ASSERT_NE(reporter, nullptr);

  EXPECT_THAT(reporter->SendTestNow("nope", "installer"),
              ::ews::testing::StatusIs(absl::StatusCode::kNotFound));
  const absl::Status refused = reporter->SendTestNow("wrong-password", "admin");
  EXPECT_TRUE(absl::IsPermissionDenied(refused)) << refused;
  EXPECT_FALSE(ReadFileToString(mail_dir + "/1.eml").ok());

  ASSERT_THAT(reporter->SendTestNow("monthly-en", "installer"), IsOk());
  const std::string eml = Read(mail_dir + "/1.eml");
  EXPECT_TRUE(absl::StrContains(eml, "Subject: EWS: monthly report 2026-02"));
  EXPECT_TRUE(absl::StrContains(eml, "filename=\"meter-1_2026-02.csv\""));
  const std::vector<std::string> actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.test ok"), 2);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.sent ok"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.failed failed"),
            1);
}

// Debian's nginx with its WebDAV module (PUT only, Basic authentication)
// over HTTPS: the network-drive target. nginx cannot listen on port 0, so the
// port is picked free just before it binds (another process may take it).
class Nginx {
 public:
  Nginx(const std::string& dir, const std::string& cert, const std::string& key)
      : dir_(dir) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
    getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    close(s);
    mkdir((dir + "/tmp").c_str(), 0700);
    mkdir((dir + "/root").c_str(), 0700);
    EXPECT_EQ(std::system(absl::StrCat("printf 'reporter:%s\\n' \"$(openssl "
                                       "passwd -apr1 s3cret-pass)\" > ",
                                       dir, "/htpasswd")
                              .c_str()),
              0);
    const std::string conf = absl::StrCat(
        getuid() == 0 ? "user root;\n" : "", "worker_processes 1;\n",
        "daemon off;\npid ", dir, "/nginx.pid;\nerror_log ", dir,
        "/error.log warn;\nevents { worker_connections 64; }\nhttp {\n",
        "  access_log off;\n  client_body_temp_path ", dir, "/tmp/body;\n",
        "  proxy_temp_path ", dir, "/tmp/proxy;\n  fastcgi_temp_path ", dir,
        "/tmp/fastcgi;\n  uwsgi_temp_path ", dir,
        "/tmp/uwsgi;\n  scgi_temp_path ", dir, "/tmp/scgi;\n",
        "  server {\n    listen 127.0.0.1:", port_, " ssl;\n",
        "    ssl_certificate ", cert, ";\n    ssl_certificate_key ", key,
        ";\n    root ", dir, "/root;\n    location /dav/ {\n",
        "      dav_methods PUT;\n      create_full_put_path on;\n",
        "      auth_basic \"ews\";\n      auth_basic_user_file ", dir,
        "/htpasswd;\n    }\n  }\n}\n");
    EXPECT_THAT(WriteFileAtomically(dir + "/nginx.conf", conf), IsOk());
  }
  ~Nginx() { Stop(); }
  void Start() {
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      execl("/usr/sbin/nginx", "nginx", "-p", dir_.c_str(), "-c",
            (dir_ + "/nginx.conf").c_str(), "-e", (dir_ + "/error.log").c_str(),
            nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // up to 10 s
      int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(port_);
      const bool up = connect(s, reinterpret_cast<sockaddr*>(&address),
                              sizeof address) == 0;
      close(s);
      if (up) return;
      usleep(100000);
    }
    FAIL() << "nginx did not start: " << Read(dir_ + "/error.log");
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string root() const { return dir_ + "/root"; }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(ReporterTest, WeeklyReportToWebdavAfterAnOutage) {
  Nginx nginx(TempDir("nginx"), cert_, key_);
  ReportSpec spec;
  spec.name = "weekly-dav";
  spec.period = ReportPeriod::kWeekly;
  spec.send_at_minute = 6 * 60;
  spec.uploads = {UploadTarget{
      absl::StrCat("https://127.0.0.1:", nginx.port(), "/dav/ews/"), Tls::kNone,
      "reporter", "s3cret-pass"}};
  ReportSpec wrong = spec;
  wrong.name = "weekly-dav-wrong";
  wrong.uploads[0].password = "guess";
  std::unique_ptr<Reporter> reporter = MakeReporter({spec, wrong});
  ASSERT_NE(reporter, nullptr);
  ASSERT_THAT(reporter->Tick(), IsOk());  // Monday 05:00: nothing due
  // The share is down at 06:00.
  clock_->Advance(absl::Minutes(61));
  ASSERT_THAT(reporter->Tick(), IsOk());
  ASSERT_EQ(reporter->Pending()->size(), 2u);
  nginx.Start();
  clock_->Advance(absl::Minutes(1));
  ASSERT_THAT(reporter->Tick(), IsOk());
  // Delivered; the wrong password stays queued (HTTP 401 → retried later).
  auto pending = reporter->Pending();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].report, "weekly-dav-wrong");
  EXPECT_TRUE(absl::StrContains((*pending)[0].last_error, "401"))
      << (*pending)[0].last_error;

  const std::string csv = Export(
      Local(2026, 3, 23, 0, 0), Local(2026, 3, 30, 0, 0), storage::Tier::kHour);
  ASSERT_GT(csv.size(), 500u);
  EXPECT_EQ(Read(nginx.root() + "/dav/ews/meter-1_2026-03-23_2026-03-29.csv"),
            csv);
}

TEST_F(ReporterTest, BadSpecsAreRefused) {
  ReportSpec spec;
  spec.name = "Bad Name";
  spec.uploads = {UploadTarget{"ftp://127.0.0.1:21/x"}};
  ReporterOptions options;
  options.queue_dir = dir_ + "/q";
  options.sender_path = "/bin/false";
  auto bad_name =
      Reporter::Create(options, {spec}, store_.get(), clock_.get(), nullptr);
  EXPECT_TRUE(absl::IsInvalidArgument(bad_name.status()));
  spec.name = "ok";
  spec.uploads = {UploadTarget{"ftp://user:pw@127.0.0.1/x"}};
  EXPECT_TRUE(absl::IsInvalidArgument(
      Reporter::Create(options, {spec}, store_.get(), clock_.get(), nullptr)
          .status()));
  spec.uploads = {};
  spec.email =
      EmailTarget{"127.0.0.1",       25, Tls::kNone, "", "", "ews@example.com",
                  {"not an address"}};
  EXPECT_TRUE(absl::IsInvalidArgument(
      Reporter::Create(options, {spec}, store_.get(), clock_.get(), nullptr)
          .status()));
  spec.email->recipients = {"ok@example.com"};
  spec.send_at_minute = 1440;
  EXPECT_TRUE(absl::IsInvalidArgument(
      Reporter::Create(options, {spec}, store_.get(), clock_.get(), nullptr)
          .status()));
}

// A configuration applied live: a bad set is refused and the running one
// kept; a new report can then be sent at once, and a failure to reach its
// server is audited and kept in the last results.
TEST_F(ReporterTest, SpecsReplacedLive) {
  std::unique_ptr<Reporter> reporter = MakeReporter({});
  ASSERT_NE(reporter, nullptr);
  EXPECT_TRUE(absl::IsNotFound(reporter->SendTestNow("weekly", "admin")));
  ReportSpec spec;
  spec.name = "Bad Name";
  spec.period = ReportPeriod::kWeekly;
  spec.uploads = {UploadTarget{"ftp://127.0.0.1:1/x"}};
  EXPECT_TRUE(absl::IsInvalidArgument(reporter->SetSpecs({spec})));
  spec.name = "weekly";
  ASSERT_THAT(reporter->SetSpecs({spec}), IsOk());
  // Nothing listens on port 1: the delivery fails, is audited and queued.
  const absl::Status sent = reporter->SendTestNow("weekly", "administrator");
  EXPECT_TRUE(absl::IsUnavailable(sent)) << sent;
  const std::vector<DeliveryResult> results = reporter->LastResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].report, "weekly");
  EXPECT_FALSE(results[0].ok);
  EXPECT_FALSE(results[0].detail.empty());
  const std::vector<std::string> actions = AuditActions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.test ok"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "report.failed failed"),
            1);
  EXPECT_EQ(reporter->Pending()->size(), 1u);
}

}  // namespace
}  // namespace ews::reports
