// Uploads under SIGKILL, on the real binaries (SystemStack): documents is
// killed again and again while 2 MiB versions are uploaded. Afterwards every
// version it lists downloads whole, its hash verified — a crash never left a
// visible version without its file, nor a half file under a hash.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "services/common/crypto.h"
#include "tests/support/fixtures.h"
#include "tests/support/system_stack.h"

namespace certpath::testing {
namespace {

namespace dv1 = certpath::documents::v1;
using DStub = dv1::DocumentService::Stub;
using EStub = v1::EngagementService::Stub;

TEST(DocumentsCrash, SigkillDuringUploadsLeavesNoVersionWithoutItsFile) {
  SystemStack stack(1);
  stack.StartAll();
  auto channel = [&] {
    grpc::ChannelArguments ca;
    ca.SetMaxReceiveMessageSize(32 << 20);
    return grpc::CreateCustomChannel(stack.documents_target, grpc::InsecureChannelCredentials(),
                                     ca);
  };
  auto eng = v1::EngagementService::NewStub(
      grpc::CreateChannel(stack.engagement_targets[0], grpc::InsecureChannelCredentials()));
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社クラッシュ");
  v1::Client client;
  ASSERT_TRUE(CallAs(*eng, &EStub::CreateClient, kAdmin, creq, &client).ok());
  v1::Engagement e;
  ASSERT_TRUE(
      CallAs(*eng, &EStub::CreateEngagement, kAdmin, EngagementRequest(client.name()), &e).ok());
  auto docs = dv1::DocumentService::NewStub(channel());
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("大きな文書");
  dv1::Document doc;
  ASSERT_TRUE(CallAs(*docs, &DStub::CreateDocument, kAdmin, cd, &doc).ok());

  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread chaos([&] {
    while (!done.load()) {
      absl::SleepFor(absl::Milliseconds(250));
      stack.documents->Signal(SIGKILL);
      stack.documents->Start();
      ++kills;
    }
  });
  int accepted = 0, failed = 0;
  absl::Time end = absl::Now() + absl::Seconds(3);
  for (int i = 0; i < 1000 && absl::Now() < end; ++i) {
    std::string data = absl::StrCat("%PDF-1.7\n% upload ", i, "\n");
    data.resize(2 << 20, static_cast<char>('A' + i % 26));
    dv1::CreateDocumentVersionRequest req;
    req.set_parent(doc.name());
    req.mutable_file()->set_content_type("application/pdf");
    req.mutable_file()->set_data(data);
    req.set_file_name(absl::StrCat("v", i, ".pdf"));
    dv1::DocumentVersion out;
    auto stub = dv1::DocumentService::NewStub(channel());
    absl::Status s = CallAs(*stub, &DStub::CreateDocumentVersion, kAdmin, req, &out);
    if (s.ok()) {
      ++accepted;
      EXPECT_EQ(out.file().sha256(), HexEncode(Sha256(data)));
    } else {
      ++failed;  // killed mid-call (or down): the caller retries in real life
      absl::SleepFor(absl::Milliseconds(30));
    }
  }
  done = true;
  chaos.join();
  stack.documents->Signal(SIGKILL);
  stack.documents->Start();
  stack.WaitServing(stack.documents_target);
  EXPECT_GE(kills, 3);
  EXPECT_GT(accepted, 0);

  // Every version listed downloads whole, its hash verified by the service.
  auto stub = dv1::DocumentService::NewStub(channel());
  dv1::ListDocumentVersionsRequest lv;
  lv.set_parent(doc.name());
  lv.set_page_size(500);
  dv1::ListDocumentVersionsResponse versions;
  ASSERT_TRUE(CallAs(*stub, &DStub::ListDocumentVersions, kAdmin, lv, &versions).ok());
  EXPECT_GE(versions.versions_size(), accepted);
  for (const auto& v : versions.versions()) {
    dv1::DownloadDocumentVersionRequest dl;
    dl.set_name(v.name());
    google::api::HttpBody body;
    absl::Status s = CallAs(*stub, &DStub::DownloadDocumentVersion, kAdmin, dl, &body);
    ASSERT_TRUE(s.ok()) << v.name() << ": " << s;
    EXPECT_EQ(body.data().size(), static_cast<size_t>(v.file().size_bytes()));
    EXPECT_EQ(HexEncode(Sha256(body.data())), v.file().sha256());
  }
  // The document's counters match its versions (one step each).
  dv1::GetDocumentRequest gd;
  gd.set_name(doc.name());
  ASSERT_TRUE(CallAs(*stub, &DStub::GetDocument, kAdmin, gd, &doc).ok());
  EXPECT_EQ(doc.version_count(), versions.versions_size());
  std::printf("kills %d, uploads accepted %d, failed %d, versions %d\n", kills.load(), accepted,
              failed, versions.versions_size());
}

}  // namespace
}  // namespace certpath::testing
