// Files through the gateway binary in front of the real services
// (SystemStack): uploads and downloads up to the upload limit, over HTTP and
// the gRPC pass-through, and the budget of files in flight that bounds the
// memory they take.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "google/api/httpbody.pb.h"
#include "tests/support/gateway_fixture.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

class GatewayFilesTest : public GatewaySystemTest {
 protected:
  // A document of a new engagement, with a 16 MiB PDF (bytes `fill`) uploaded
  // as its first version by an office admin.
  void UploadFile(const std::string& title, char fill) {
    std::string engagement = MakeEngagementVia(As(kAdmin), {"p1"});
    Reply doc = Http(port(), "POST", "/v1/" + engagement + "/documents", As(kAdmin),
                     absl::StrCat(R"({"title":")", title, R"("})"));
    ASSERT_EQ(doc.status, 200) << doc.body;
    document = "/v1/" + JsonField(doc.body, "name");
    versions = document + "/versions?fileName=file.pdf";
    file = "%PDF-1.7\n";
    file.resize(16 << 20, fill);
    h = As(kAdmin);
    h["Content-Type"] = "application/pdf";
    Reply up = Http(port(), "POST", versions, h, file);
    ASSERT_EQ(up.status, 200) << up.body.substr(0, 300);
    EXPECT_EQ(JsonField(up.body, "sizeBytes"), std::to_string(16 << 20));
    version = JsonField(up.body, "name");
  }

  // The version downloaded through the gateway's gRPC pass-through: OK only
  // with the whole file.
  grpc::Status DownloadOverGrpc() {
    if (!stub_) {
      grpc::ChannelArguments a;
      a.SetMaxReceiveMessageSize(32 << 20);
      stub_ = certpath::documents::v1::DocumentService::NewStub(
          grpc::CreateCustomChannel(stack.gateway_target, grpc::InsecureChannelCredentials(), a));
    }
    certpath::documents::v1::DownloadDocumentVersionRequest req;
    req.set_name(version);
    google::api::HttpBody out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", h["Authorization"]);
    grpc::Status s = stub_->DownloadDocumentVersion(&ctx, req, &out);
    if (s.ok() && out.data() != file) return grpc::Status(grpc::StatusCode::DATA_LOSS, "differs");
    return s;
  }

  std::string document, versions, version, file;
  Headers h;  // an office admin's, uploading PDF

 private:
  std::unique_ptr<certpath::documents::v1::DocumentService::Stub> stub_;
};

// Files through the gateway: a 16 MiB upload as the request body reaches the
// documents service and comes back the same; one byte more is 413 before the
// body is read; a file whose bytes are not its type is 400 naming the field.
TEST_F(GatewayFilesTest, DocumentFilesUpToTheUploadLimit) {
  ASSERT_NO_FATAL_FAILURE(UploadFile("大きな図面集", 'p'));
  Reply down = Http(port(), "GET", "/v1/" + version + ":download", As(kAdmin));
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(down.body.size(), file.size());
  EXPECT_TRUE(down.body == file);
  EXPECT_EQ(down.headers["Content-Type"], "application/pdf");
  EXPECT_EQ(down.headers["X-Content-Type-Options"], "nosniff");
  Reply too_big = Http(port(), "POST", versions, h, file + "p");
  EXPECT_EQ(too_big.status, 413) << too_big.body.substr(0, 200);
  Reply wrong = Http(port(), "POST", versions, h, "not a pdf at all");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_TRUE(absl::StrContains(wrong.body, "file")) << wrong.body;
  // A service's field errors name the fields as HTTP callers write them.
  Reply note =
      Http(port(), "POST", versions + "&changeNote=" + std::string(600, 'n'), h, "%PDF-1.7\n");
  EXPECT_EQ(note.status, 400);
  EXPECT_TRUE(absl::StrContains(note.body, R"("field":"changeNote")")) << note.body;
  EXPECT_TRUE(absl::StrContains(note.body, "invalid request: changeNote:")) << note.body;
  EXPECT_FALSE(absl::StrContains(note.body, "change_note")) << note.body;

  // Uploads at once are bounded (--file-budget-bytes, 64 MiB by default):
  // four 16 MiB uploads whose bodies are still coming hold it all, a fifth
  // is 503 with Retry-After before its body is read, while other calls go on;
  // one of the four gone, uploads are taken again.
  std::string head = absl::StrCat(
      "POST ", versions, " HTTP/1.1\r\nHost: x\r\nAuthorization: ", h["Authorization"],
      "\r\nContent-Type: application/pdf\r\nContent-Length: ", 16 << 20, "\r\n\r\n%PDF-1.7\n");
  // Without credentials an upload is refused from its header and holds nothing.
  std::string anonymous = head;
  anonymous.replace(anonymous.find("Authorization: "), h["Authorization"].size() + 17, "");
  std::string refused = RawHttp(port(), anonymous);
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 401")) << refused.substr(0, 200);
  std::vector<int> stalled;
  for (int i = 0; i < 4; ++i) {
    int fd = ConnectLoopback(port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(head.size()));
    stalled.push_back(fd);
  }
  std::string small = "%PDF-1.7\n" + std::string(1000, 's');
  Reply busy;
  for (int i = 0; i < 50 && busy.status != 503; ++i) {  // the four are admitted as they arrive
    busy = Http(port(), "POST", versions, h, small);
    if (busy.status != 503) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.headers["Retry-After"], "1");
  EXPECT_TRUE(absl::StrContains(busy.body, "UPLOADS_BUSY")) << busy.body;
  EXPECT_EQ(Http(port(), "GET", document, As(kAdmin)).status, 200);
  ::close(stalled.back());
  stalled.pop_back();
  Reply again;
  for (int i = 0; i < 100 && again.status != 200; ++i) {
    again = Http(port(), "POST", versions, h, small);
    if (again.status != 200) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(again.status, 200) << again.body;
  // A client that waits for "100 Continue" (curl does, for bodies over 1 MiB) gets it once
  // the upload is admitted, then sends its body; before, it waited a second for nothing.
  {
    int fd = ConnectLoopback(port());
    ASSERT_GE(fd, 0);
    timeval two{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
    std::string ask = absl::StrCat(
        "POST ", versions, " HTTP/1.1\r\nHost: x\r\nAuthorization: ", h["Authorization"],
        "\r\nContent-Type: application/pdf\r\nExpect: 100-continue\r\nContent-Length: ",
        small.size(), "\r\n\r\n");
    ASSERT_EQ(::send(fd, ask.data(), ask.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ask.size()));
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    std::string interim(buf, n > 0 ? static_cast<size_t>(n) : 0);
    EXPECT_TRUE(absl::StartsWith(interim, "HTTP/1.1 100 Continue")) << interim;
    ASSERT_EQ(::send(fd, small.data(), small.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(small.size()));
    std::string answer;
    while (answer.find("sizeBytes") == std::string::npos &&
           (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      answer.append(buf, static_cast<size_t>(n));
    }
    EXPECT_TRUE(absl::StrContains(interim + answer, "HTTP/1.1 200")) << interim << answer;
    ::close(fd);
  }
  // The gRPC pass-through brings a 16 MiB file back whole (answers were cut at 4 MiB).
  grpc::Status s = DownloadOverGrpc();
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (int fd : stalled) ::close(fd);
}

// Downloads share the budget with uploads (--file-budget-bytes, 64 MiB by
// default): a file download holds the largest file's size while its call is
// under way, then its own size until it is written out. Clients that stop
// reading hold it: two 16 MiB and two 8 MiB downloads hold 48 MiB, a fifth
// download the rest; then another download, over HTTP or the gRPC
// pass-through, and an upload are refused with Retry-After while other calls
// go on. Once one goes, files pass again; once all go, nothing is held.
TEST_F(GatewayFilesTest, DownloadsShareTheBudgetOfFilesInFlight) {
  ASSERT_NO_FATAL_FAILURE(UploadFile("大きな手順書", 'd'));
  std::string half = "%PDF-1.7\n";
  half.resize(8 << 20, 'h');
  Reply second = Http(port(), "POST", versions, h, half);
  ASSERT_EQ(second.status, 200) << second.body.substr(0, 300);
  auto in_flight = [&] {
    std::string metrics = HttpGet(stack.gateway_metrics_port, "/metrics");
    size_t at = metrics.find("\ncertpath_gateway_file_bytes_in_flight ");
    return at == std::string::npos ? -1.0 : std::atof(metrics.c_str() + metrics.find(' ', at + 1));
  };
  auto wait_in_flight = [&](double want) {
    double now = in_flight();
    for (int i = 0; i < 250 && now != want; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
      now = in_flight();
    }
    return now;
  };
  EXPECT_EQ(wait_in_flight(0), 0);
  // A download whose client reads its status line, then nothing: the
  // gateway's write of the file stalls once the socket buffers are full.
  auto stall = [&](const std::string& name) {
    int small = 16 << 10;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    timeval ten{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ten, sizeof ten);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string get = absl::StrCat("GET /v1/", name, ":download HTTP/1.1\r\nHost: x\r\n",
                                   "Authorization: ", h["Authorization"], "\r\n\r\n");
    EXPECT_EQ(::send(fd, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
    char line[12] = {};
    EXPECT_EQ(::recv(fd, line, sizeof line, MSG_WAITALL), static_cast<ssize_t>(sizeof line));
    EXPECT_EQ(std::string(line, sizeof line), "HTTP/1.1 200");
    return fd;
  };
  std::string big = version, small = JsonField(second.body, "name");
  std::vector<int> stalled = {stall(big), stall(big), stall(small), stall(small)};
  // Each download holds its own size once it is here: 2 x 16 + 2 x 8 MiB.
  EXPECT_EQ(wait_in_flight(48 << 20), 48 << 20);
  stalled.push_back(stall(big));
  EXPECT_EQ(wait_in_flight(64 << 20), 64 << 20);
  std::string download = "/v1/" + big + ":download";
  Reply busy = Http(port(), "GET", download, As(kAdmin));
  EXPECT_EQ(busy.status, 503) << busy.body.substr(0, 200);
  EXPECT_EQ(busy.headers["Retry-After"], "1");
  EXPECT_TRUE(absl::StrContains(busy.body, "DOWNLOADS_BUSY")) << busy.body.substr(0, 200);
  Reply upload = Http(port(), "POST", versions, h, "%PDF-1.7\n" + std::string(1000, 's'));
  EXPECT_EQ(upload.status, 503) << upload.body;
  EXPECT_TRUE(absl::StrContains(upload.body, "UPLOADS_BUSY")) << upload.body;
  EXPECT_EQ(Http(port(), "GET", document, As(kAdmin)).status, 200);
  grpc::Status refused = DownloadOverGrpc();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  ::close(stalled.back());
  stalled.pop_back();
  EXPECT_EQ(wait_in_flight(48 << 20), 48 << 20);
  Reply again = Http(port(), "GET", download, As(kAdmin));
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body == file);
  grpc::Status through = DownloadOverGrpc();
  EXPECT_TRUE(through.ok()) << through.error_message();
  for (int fd : stalled) ::close(fd);
  EXPECT_EQ(wait_in_flight(0), 0);  // nothing held once every file is gone
}

}  // namespace
}  // namespace certpath::testing
