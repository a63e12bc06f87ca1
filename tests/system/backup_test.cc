// Backup and restore on the real binaries (SystemStack) with the project's
// scripts: scripts/backup.sh while the services run, everything stopped and
// the data wiped, scripts/restore.sh, everything started again. What was
// there at the backup is back — records, files (hash verified), the audit
// trail intact — and what came after it is not; a damaged or incomplete
// backup is refused.

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "services/common/crypto.h"
#include "tests/support/fixtures.h"
#include "tests/support/system_stack.h"

namespace certpath::testing {
namespace {

namespace dv1 = certpath::documents::v1;
using DStub = dv1::DocumentService::Stub;
using EStub = v1::EngagementService::Stub;

std::string Script(const std::string& name) {
  return absl::StrCat("bash ", CERTPATH_SOURCE_DIR, "/scripts/", name);
}

TEST(BackupRestore, WhatWasBackedUpComesBackAndNothingElse) {
  SystemStack stack(1);
  stack.StartAll();
  auto eng = v1::EngagementService::NewStub(
      grpc::CreateChannel(stack.engagement_targets[0], grpc::InsecureChannelCredentials()));
  auto docs = dv1::DocumentService::NewStub(
      grpc::CreateChannel(stack.documents_target, grpc::InsecureChannelCredentials()));
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社バックアップ");
  v1::Client client;
  ASSERT_TRUE(CallAs(*eng, &EStub::CreateClient, kAdmin, creq, &client).ok());
  v1::Engagement e;
  ASSERT_TRUE(
      CallAs(*eng, &EStub::CreateEngagement, kAdmin, EngagementRequest(client.name()), &e).ok());
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("情報セキュリティ方針");
  dv1::Document doc;
  ASSERT_TRUE(CallAs(*docs, &DStub::CreateDocument, kAdmin, cd, &doc).ok());
  auto upload = [&](const std::string& data, dv1::DocumentVersion* out) {
    dv1::CreateDocumentVersionRequest req;
    req.set_parent(doc.name());
    req.mutable_file()->set_content_type("text/plain");
    req.mutable_file()->set_data(data);
    req.set_file_name("方針.txt");
    return CallAs(*docs, &DStub::CreateDocumentVersion, kAdmin, req, out);
  };
  const std::string kept = "情報セキュリティ方針 第1版\n" + std::string(300000, 'a');
  dv1::DocumentVersion v1, v2;
  ASSERT_TRUE(upload(kept, &v1).ok());

  const std::string out_dir = stack.redis.dir() + "/backups";
  const std::string files = stack.redis.dir() + "/files";
  int rc = -1;
  std::string printed =
      RunCommand(absl::StrCat(Script("backup.sh"), " --redis-socket=", stack.redis.socket(),
                              " --files=", files, " --out=", out_dir),
                 &rc);
  ASSERT_EQ(rc, 0) << printed;
  std::string backup(absl::StripTrailingAsciiWhitespace(printed));
  ASSERT_TRUE(std::filesystem::exists(backup + "/MANIFEST")) << printed;
  // After the backup: a second version, and the engagement renamed.
  ASSERT_TRUE(upload("第2版\n", &v2).ok());
  v1::UpdateEngagementRequest ue;
  *ue.mutable_engagement() = e;
  ue.mutable_engagement()->set_department("後から変えた部門");
  ue.mutable_update_mask()->add_paths("department");
  v1::Engagement changed;
  ASSERT_TRUE(CallAs(*eng, &EStub::UpdateEngagement, kAdmin, ue, &changed).ok());

  // Everything stopped, the data gone: a restore refuses nothing less than
  // an empty place, and a damaged backup.
  stack.gateway->Signal(SIGTERM);
  for (auto& p : stack.engagements) p->Signal(SIGTERM);
  for (auto* p :
       {stack.documents.get(), stack.scheduling.get(), stack.billing.get(), stack.sink.get()}) {
    p->Signal(SIGTERM);
  }
  stack.redis.Stop();
  auto restore = [&](const std::string& from, int* code) {
    return RunCommand(absl::StrCat(Script("restore.sh"), " --from=", from,
                                   " --redis-dir=", stack.redis.dir(), " --files=", files, " 2>&1"),
                      code);
  };
  std::string refused = restore(backup, &rc);
  EXPECT_EQ(rc, 1) << refused;
  EXPECT_NE(refused.find("move it away first"), std::string::npos) << refused;
  std::filesystem::remove_all(stack.redis.dir() + "/appendonlydir");
  std::filesystem::remove_all(files);
  const std::string damaged = out_dir + "/damaged";
  std::filesystem::copy(backup, damaged, std::filesystem::copy_options::recursive);
  std::string blob =
      absl::StrCat(damaged, "/files/t1/", v1.file().sha256().substr(0, 2), "/", v1.file().sha256());
  ASSERT_TRUE(std::filesystem::exists(blob));
  RunCommand("printf x >> " + blob);
  refused = restore(damaged, &rc);
  EXPECT_EQ(rc, 1) << refused;
  EXPECT_NE(refused.find("FAILED"), std::string::npos) << refused;
  std::filesystem::remove(blob);  // a file missing from the backup
  refused = restore(damaged, &rc);
  EXPECT_EQ(rc, 1) << refused;
  EXPECT_NE(refused.find("could not be read"), std::string::npos) << refused;
  // Nothing of a refused restore is left behind.
  EXPECT_FALSE(std::filesystem::exists(stack.redis.dir() + "/dump.rdb"));
  EXPECT_FALSE(std::filesystem::exists(files + "/t1"));
  std::string restored = restore(backup, &rc);
  ASSERT_EQ(rc, 0) << restored;

  stack.redis.Start();
  stack.StartAll();
  eng = v1::EngagementService::NewStub(
      grpc::CreateChannel(stack.engagement_targets[0], grpc::InsecureChannelCredentials()));
  docs = dv1::DocumentService::NewStub(
      grpc::CreateChannel(stack.documents_target, grpc::InsecureChannelCredentials()));
  dv1::DownloadDocumentVersionRequest dl;
  dl.set_name(v1.name());
  google::api::HttpBody body;
  absl::Status s = CallAs(*docs, &DStub::DownloadDocumentVersion, kAdmin, dl, &body);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(body.data(), kept);
  dl.set_name(v2.name());
  EXPECT_EQ(CallAs(*docs, &DStub::DownloadDocumentVersion, kAdmin, dl, &body).code(),
            absl::StatusCode::kNotFound);
  v1::GetEngagementRequest ge;
  ge.set_name(e.name());
  v1::Engagement back;
  ASSERT_TRUE(CallAs(*eng, &EStub::GetEngagement, kAdmin, ge, &back).ok());
  EXPECT_EQ(back.department(), e.department());
  EXPECT_EQ(back.etag(), e.etag());
  // The hash chains came back whole.
  for (const auto& [service, target] : std::vector<std::pair<std::string, std::string>>{
           {"documents", stack.documents_target}, {"engagements", stack.engagement_targets[0]}}) {
    std::string verified;
    int code = stack.Admin(
        absl::StrCat("audit verify --target=", target, " --service=", service, " --tenant=t1"),
        &verified);
    EXPECT_EQ(code, 0) << service << ": " << verified;
  }
  // And the service writes on after it.
  dv1::DocumentVersion v3;
  ASSERT_TRUE(upload("第3版\n", &v3).ok());
  EXPECT_EQ(v3.name(), v2.name());  // the same number again: the backup did not have it
}

}  // namespace
}  // namespace certpath::testing
