// The documents rules without I/O: the template catalogue (one source with
// engagements' checklist), what a file may be, version numbers, review states
// and who decides. The file store is tested in blob_store_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/common/validate.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/domain/files.h"
#include "services/documents/domain/policy.h"
#include "services/documents/domain/rules.h"
#include "services/documents/domain/specification.h"
#include "services/documents/domain/standard.h"
#include "services/documents/domain/statements.h"
#include "services/documents/domain/zip.h"
#include "services/engagements/domain/catalog.h"
#include "tests/support/zip_files.h"

namespace certpath::documents::domain {
namespace {

const std::string kPdf = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n";
const std::string kDocx = testing::DocxFile("情報セキュリティマニュアル");

TEST(TemplateCatalog, TheTwelveOfAppendix1WithTasksFromEngagements) {
  ASSERT_EQ(Templates().size(), 12u);
  std::set<std::string> codes, titles;
  for (const auto& t : Templates()) {
    codes.insert(t.code);
    titles.insert(t.title_ja);
    EXPECT_TRUE(IsValidId(t.code)) << t.code;
    EXPECT_NE(engagements::domain::FindTask(t.task_id), nullptr) << t.code << ": " << t.task_id;
    EXPECT_FALSE(t.serves.empty()) << t.code;
    EXPECT_NE(t.kind, v1::TEMPLATE_KIND_UNSPECIFIED);
  }
  EXPECT_EQ(codes.size(), 12u);
  // The seed's list, verbatim.
  for (const char* title :
       {"ISMSマニュアル(本文編)", "ISMSマニュアル(管理策編)", "リスクアセスメント規程",
        "適用宣言書", "リスク分析表", "内部監査員リスト", "内部監査計画・報告書",
        "是正処置要求・報告書", "情報セキュリティ年間目標", "情報セキュリティ年間計画",
        "セキュリティ自己チェックリスト", "内部監査チェック項目票"}) {
    EXPECT_TRUE(titles.count(title)) << title;
  }
  EXPECT_NE(engagements::domain::FindTask(kProvideTask), nullptr);
  EXPECT_EQ(FindTemplate("nope"), nullptr);
  EXPECT_EQ(TemplateResource("t1", *FindTemplate("statement-of-applicability")).name(),
            "tenants/t1/templates/statement-of-applicability");
}

TEST(TemplateCatalog, ATaskSharedByTemplatesIsDoneWhenEveryOneIsInForce) {
  // The ISMS manual is two documents; either alone is not the manual written.
  EXPECT_EQ(CodesSharingTask("isms-manual-main"), std::vector<std::string>{"isms-manual-controls"});
  EXPECT_TRUE(CodesSharingTask("nope").empty());
  auto doc = [](const std::string& code, bool in_force, bool archived = false) {
    v1::Document d;
    d.set_template_code(code);
    d.set_state(archived ? v1::DOCUMENT_STATE_ARCHIVED : v1::DOCUMENT_STATE_ACTIVE);
    if (in_force) d.set_effective_version("tenants/t1/engagements/e1/documents/d/versions/2");
    return d;
  };
  const auto& kMain = "isms-manual-main";
  EXPECT_EQ(TaskCompletedBy(kMain, {doc("isms-manual-controls", false)}), "");
  EXPECT_EQ(TaskCompletedBy(kMain, {doc("isms-manual-controls", true)}), "cons-c-manual");
  // Documents serving other tasks, a client's own (no template) and an
  // archived one do not hold it back.
  EXPECT_EQ(TaskCompletedBy(kMain, {doc("isms-manual-controls", true), doc("annual-plan", false),
                                    doc("", false), doc("isms-manual-controls", false, true)}),
            "cons-c-manual");
  // One never provided does not either (the office handed over the rest).
  EXPECT_EQ(TaskCompletedBy(kMain, {}), "cons-c-manual");
  EXPECT_EQ(TaskCompletedBy("statement-of-applicability", {doc("risk-assessment-rules", false)}),
            "");
  EXPECT_EQ(TaskCompletedBy("", {}), "");
  // Archiving (管理策編) when (本文編) is in force leaves the manual done; with
  // nothing else in force, archiving completes nothing.
  EXPECT_EQ(TaskCompletedByArchiving("isms-manual-controls", {doc("isms-manual-main", true)}),
            "cons-c-manual");
  EXPECT_EQ(TaskCompletedByArchiving("isms-manual-controls", {doc("isms-manual-main", false)}), "");
  EXPECT_EQ(TaskCompletedByArchiving("isms-manual-controls", {}), "");
  EXPECT_EQ(TaskCompletedByArchiving("annual-objectives", {doc("isms-manual-main", true)}), "");
}

TEST(Files, TheAllowListIsCheckedAgainstTheContent) {
  auto pdf = CheckFile("手順書.pdf", "application/pdf", kPdf);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(pdf->media_type, "application/pdf");
  EXPECT_EQ(pdf->file_name, "手順書.pdf");
  // Declared octet-stream or nothing: the extension and content decide.
  auto docx = CheckFile("ISMSマニュアル.docx", "", kDocx);
  ASSERT_TRUE(docx.ok()) << docx.status();
  EXPECT_EQ(docx->media_type,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_TRUE(CheckFile("台帳.csv", "text/csv; charset=utf-8", "番号,名称\n1,サーバ\n").ok());
  EXPECT_TRUE(CheckFile("図.png", "image/png", std::string("\x89PNG\r\n\x1a\n....", 12)).ok());
  // What browsers and systems declare for the same types: a .csv from a
  // Windows browser, image/jpg, text/x-markdown; the stored type is canonical.
  auto csv = CheckFile("台帳.csv", "application/vnd.ms-excel", "番号,名称\n1,サーバ\n");
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->media_type, "text/csv");
  EXPECT_TRUE(CheckFile("写真.jpg", "image/jpg", std::string("\xff\xd8\xff\xe0....", 8)).ok());
  EXPECT_TRUE(CheckFile("手順.md", "text/x-markdown", "# 手順\n").ok());
  EXPECT_FALSE(CheckFile("台帳.csv", "application/pdf", "番号\n").ok());  // another type
  // Refused, each naming its field.
  auto field = [](const absl::StatusOr<CheckedFile>& r) {
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_NE(field(CheckFile("x.exe", "", "MZ....")).find("file_name"), std::string::npos);
  EXPECT_NE(field(CheckFile("x.pdf", "", kDocx)).find("not a .pdf"), std::string::npos);
  EXPECT_NE(field(CheckFile("x.pdf", "image/png", kPdf)).find("file.content_type"),
            std::string::npos);
  EXPECT_NE(field(CheckFile("x.txt", "", std::string("a\0b", 3))).find("UTF-8"), std::string::npos);
  EXPECT_NE(field(CheckFile("sjis.txt", "", "\x93\xfa\x96\x7b")).find("Shift_JIS"),
            std::string::npos);  // 日本 in Shift_JIS
  EXPECT_NE(field(CheckFile("x.pdf", "", "")).find("empty"), std::string::npos);
  EXPECT_NE(field(CheckFile("x.pdf", "", std::string(kMaxFileBytes + 1, '%'))).find("larger"),
            std::string::npos);
  EXPECT_NE(field(CheckFile("", "", kPdf)).find("file_name"), std::string::npos);
}

TEST(Files, OfficeAndOpenDocumentFilesByTheirPackage) {
  auto field = [](const absl::StatusOr<CheckedFile>& r) {
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(field(CheckFile("台帳.xlsx", "", testing::XlsxFile("台帳"))), "ok");
  EXPECT_EQ(field(CheckFile("規程.odt", "", testing::OdtFile("規程"))), "ok");
  // A workbook named .docx, any other ZIP, a ZIP cut short: refused.
  EXPECT_NE(field(CheckFile("x.docx", "", testing::XlsxFile("台帳"))).find("word/"),
            std::string::npos);
  EXPECT_NE(field(CheckFile("x.docx", "", testing::StoredZip({{"a.exe", "MZ"}}))).find("word/"),
            std::string::npos);
  EXPECT_NE(
      field(CheckFile("x.docx", "",
                      testing::StoredZip({{"[Content_Types].xml", "<Types/>"}, {"word/", ""}})))
          .find("word/"),
      std::string::npos);  // the directory alone is no document
  EXPECT_NE(field(CheckFile("x.docx", "", kDocx.substr(0, kDocx.size() - 10))).find("not a .docx"),
            std::string::npos);
  EXPECT_NE(field(CheckFile("x.docx", "", std::string("PK\x03\x04", 4) + "word/document.xml"))
                .find("not a .docx"),
            std::string::npos);
  // OpenDocument: "mimetype" first, stored, naming the type of the extension.
  EXPECT_NE(field(CheckFile("x.ods", "", testing::OdtFile("表"))).find("mimetype"),
            std::string::npos);
  EXPECT_NE(field(CheckFile("x.odt", "",
                            testing::StoredZip(
                                {{"content.xml", "<t/>"},
                                 {"mimetype", "application/vnd.oasis.opendocument.text"}})))
                .find("mimetype"),
            std::string::npos);
}

TEST(Zip, TheCentralDirectoryIsReadWithinTheFile) {
  std::string zip = testing::StoredZip({{"mimetype", "abc"}, {"word/文書.xml", "<w/>"}});
  auto listed = ListZip(zip);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->names, (std::vector<std::string>{"mimetype", "word/文書.xml"}));
  EXPECT_EQ(listed->first_name, "mimetype");
  EXPECT_TRUE(listed->first_stored);
  EXPECT_EQ(listed->first_content, "abc");
  // A comment after the end record is allowed; bytes that break it are not.
  std::string commented = zip;
  commented[commented.size() - 2] = 4;
  EXPECT_TRUE(ListZip(commented + "note").ok());
  EXPECT_FALSE(ListZip(commented).ok());  // the comment it announces is missing
  EXPECT_FALSE(ListZip(zip.substr(0, zip.size() - 1)).ok());
  EXPECT_FALSE(ListZip("PK").ok());
  // A central directory said to lie beyond the end record.
  std::string far = zip;
  far[far.size() - 3] = static_cast<char>(0xF0);
  EXPECT_FALSE(ListZip(far).ok());
  // The same archive with ZIP64 end records (as some writers make).
  size_t end = zip.size() - 22;
  std::string cd_size = zip.substr(end + 12, 4), cd_offset = zip.substr(end + 16, 4);
  auto le = [](uint64_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
  };
  auto u32 = [](const std::string& b) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  };
  std::string z64 = zip.substr(0, end);
  size_t record = z64.size();
  z64 += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 8) + le(2, 8) + le(2, 8) +
         le(u32(cd_size), 8) + le(u32(cd_offset), 8);
  z64 += le(0x07064b50, 4) + le(0, 4) + le(record, 8) + le(1, 4);
  z64 += le(0x06054b50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFFFFFF, 4) +
         le(0xFFFFFFFF, 4) + le(0, 2);
  auto listed64 = ListZip(z64);
  ASSERT_TRUE(listed64.ok()) << listed64.status();
  EXPECT_EQ(listed64->names, listed->names);
  // A ZIP64 locator pointing near the end of the address space.
  std::string wild = z64;
  size_t loc = wild.size() - 22 - 20;
  wild.replace(loc + 8, 8, le(~uint64_t{0} - 8, 8));
  EXPECT_FALSE(ListZip(wild).ok());
  // More entries announced than the directory holds; a name running past it.
  std::string more = zip;
  more[end + 8] = more[end + 10] = 3;
  EXPECT_FALSE(ListZip(more).ok());
  std::string long_name = zip;
  size_t central = u32(cd_offset);
  long_name[central + 28] = long_name[central + 29] = static_cast<char>(0xFF);
  EXPECT_FALSE(ListZip(long_name).ok());
  // Exactly 65535 entries, without ZIP64 records, is just that many.
  testing::ZipEntries many(65535, {"a", ""});
  auto listed_many = ListZip(testing::StoredZip(many));
  ASSERT_TRUE(listed_many.ok()) << listed_many.status();
  EXPECT_EQ(listed_many->names.size(), 65535u);
}

TEST(Zip, TheFirstEntryIsTheDirectorysFirstAtTheStartOfTheFile) {
  std::string odt = testing::OdtFile("x");
  ASSERT_EQ(ListZip(odt)->first_name, "mimetype");
  // A "mimetype" local header at offset 0 that the directory names otherwise.
  size_t central = odt.find("mimetype", 30 + 8);
  ASSERT_NE(central, std::string::npos);
  odt[central + 7] = 'f';
  auto listed = ListZip(odt);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->names[0], "mimetypf");
  EXPECT_EQ(listed->first_name, "");
  EXPECT_FALSE(CheckFile("x.odt", "", odt).ok());
}

TEST(Files, NamesAreSanitized) {
  EXPECT_EQ(SanitizeFileName("C:\\Users\\a\\規程.docx"), "規程.docx");
  EXPECT_EQ(SanitizeFileName("../../etc/passwd"), "passwd");
  EXPECT_EQ(SanitizeFileName("..hidden.pdf"), "hidden.pdf");
  EXPECT_EQ(SanitizeFileName("a\"b<c>\n.pdf"), "a_b_c__.pdf");
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "文";
  std::string cut = SanitizeFileName(std::string(200, 'a') + ".xlsx");
  EXPECT_EQ(CodePoints(cut), 120u);
  cut = SanitizeFileName(long_name + ".xlsx");
  EXPECT_EQ(cut.size(), 78 * 3 + 5u);  // 240 bytes at most, whole characters
  EXPECT_TRUE(IsValidUtf8(cut));
  EXPECT_EQ(cut.substr(cut.size() - 5), ".xlsx");
  // No more than 240 bytes either (file systems take 255).
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "𠮷";  // four bytes each
  cut = SanitizeFileName(wide + ".pdf");
  EXPECT_LE(cut.size(), 240u);
  EXPECT_TRUE(IsValidUtf8(cut));
  EXPECT_EQ(cut.substr(cut.size() - 4), ".pdf");
  // Invisible and direction-changing characters go (the name would show
  // another extension than it has); C1 controls too; trailing dots and spaces.
  EXPECT_EQ(SanitizeFileName("請求書\u202Efdp.docx"), "請求書fdp.docx");
  EXPECT_EQ(SanitizeFileName("a\u200Bb\uFEFF\u2066c\u2069\u00AD.pdf"), "abc.pdf");
  EXPECT_EQ(SanitizeFileName("invoice\u0085x.pdf"), "invoicex.pdf");
  EXPECT_EQ(SanitizeFileName("a\u061Cb\U000E0041.pdf"), "ab.pdf");  // Arabic letter mark, a tag
  EXPECT_EQ(SanitizeFileName("規程.pdf. . "), "規程.pdf");
  EXPECT_EQ(SanitizeFileName("\u202E"), "");
  EXPECT_EQ(SanitizeFileName("bad\xff.pdf"), "");
}

TEST(Versions, NumbersAndStates) {
  EXPECT_EQ(*NextVersionNumber("", false), "1.0");
  EXPECT_EQ(*NextVersionNumber("1.0", false), "1.1");
  EXPECT_EQ(*NextVersionNumber("1.9", false), "1.10");
  EXPECT_EQ(*NextVersionNumber("1.3", true), "2.0");
  EXPECT_FALSE(NextVersionNumber("x", false).ok());

  v1::DocumentVersion v;
  v.set_state(v1::VERSION_STATE_DRAFT);
  ASSERT_TRUE(Submit(v, /*included=*/true).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_IN_REVIEW);
  EXPECT_EQ(Submit(v, true).code(), absl::StatusCode::kFailedPrecondition);
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  ASSERT_TRUE(Decide(v, v1::REVIEW_DECISION_REQUEST_CHANGES, "kenji", {}, now).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_CHANGES_REQUESTED);
  ASSERT_TRUE(Submit(v, /*included=*/false).ok());  // after support: a paid review
  EXPECT_EQ(v.state(), v1::VERSION_STATE_AWAITING_ACCEPTANCE);
  EXPECT_EQ(Decide(v, v1::REVIEW_DECISION_APPROVE, "kenji", {}, now).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(AcceptPaid(v, 60'000, 30'000, 50'000).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(AcceptPaid(v, 40'000, 30'000, 50'000).ok());
  EXPECT_TRUE(v.billable_review());
  ASSERT_TRUE(
      Decide(v, v1::REVIEW_DECISION_APPROVE, "kenji", absl::CivilDay(2026, 12, 1), now).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_APPROVED);
  ASSERT_EQ(v.reviews_size(), 2);
  EXPECT_FALSE(v.reviews(0).billable());
  EXPECT_TRUE(v.reviews(1).billable());
  EXPECT_EQ(v.reviews(1).price_jpy(), 40'000);
  EXPECT_EQ(*ToCivilDay(v.effective_date()), absl::CivilDay(2026, 12, 1));
  // The office's template as provided is customized first, then submitted.
  v1::DocumentVersion provided;
  provided.set_state(v1::VERSION_STATE_PROVIDED);
  absl::Status s = Submit(provided, true);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("customized"), absl::string_view::npos) << s;
  // An archived document takes no more versions, reviews or decisions.
  v1::Document doc;
  EXPECT_TRUE(CheckActive(doc).ok());
  doc.set_state(v1::DOCUMENT_STATE_ARCHIVED);
  EXPECT_EQ(CheckActive(doc).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Reviews, IncludedDuringSupportAndDecidedByTheEngagementsPeople) {
  ev1::Engagement e;
  e.set_state(ev1::ENGAGEMENT_STATE_ACTIVE);
  *e.mutable_support_start() = ToDate(absl::CivilDay(2026, 4, 1));
  *e.mutable_support_end() = ToDate(absl::CivilDay(2027, 10, 1));
  e.set_lead_consultant("kenji@office");
  e.add_partner_organizations("p1");
  EXPECT_TRUE(ReviewIncluded(e, absl::CivilDay(2027, 10, 1)));
  EXPECT_FALSE(ReviewIncluded(e, absl::CivilDay(2027, 10, 2)));
  e.set_state(ev1::ENGAGEMENT_STATE_CERTIFIED);
  EXPECT_FALSE(ReviewIncluded(e, absl::CivilDay(2026, 12, 1)));
  Principal p;
  p.set_role(Principal::ROLE_CONSULTANT);
  p.set_subject("kenji@office");
  EXPECT_TRUE(MayDecide(p, e));
  p.set_subject("aya@office");  // a consultant not on it
  EXPECT_FALSE(MayDecide(p, e));
  p.set_role(Principal::ROLE_PARTNER);
  p.set_organization("p1");
  EXPECT_TRUE(MayDecide(p, e));
  p.set_role(Principal::ROLE_CLIENT);
  EXPECT_FALSE(MayDecide(p, e));  // clients never approve
  p.set_role(Principal::ROLE_OFFICE_ADMIN);
  EXPECT_TRUE(MayDecide(p, e));
}

TEST(Reviews, APaidRequestIsDeclinedAndAnArchivedDocumentsReviewsWithdrawn) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::DocumentVersion v;
  v.set_state(v1::VERSION_STATE_AWAITING_ACCEPTANCE);
  absl::CivilDay day(2027, 1, 15);
  EXPECT_EQ(Decide(v, v1::REVIEW_DECISION_APPROVE, "kenji@office", day, now).code(),
            absl::StatusCode::kFailedPrecondition);  // accepted (billed) first
  ASSERT_TRUE(Decide(v, v1::REVIEW_DECISION_DECLINE, "kenji@office", day, now).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_DRAFT);
  v.set_state(v1::VERSION_STATE_IN_REVIEW);
  EXPECT_EQ(Decide(v, v1::REVIEW_DECISION_DECLINE, "kenji@office", day, now).code(),
            absl::StatusCode::kFailedPrecondition);  // only a paid request is declined
  // Archiving: a free review or a paid request waiting go back to drafts; a
  // paid review accepted (billed) is decided first.
  ASSERT_TRUE(Withdraw(v).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_DRAFT);
  v.set_state(v1::VERSION_STATE_AWAITING_ACCEPTANCE);
  ASSERT_TRUE(Withdraw(v).ok());
  EXPECT_EQ(v.state(), v1::VERSION_STATE_DRAFT);
  ASSERT_TRUE(Submit(v, false).ok());
  ASSERT_TRUE(AcceptPaid(v, 40'000, 30'000, 50'000).ok());
  EXPECT_EQ(Withdraw(v).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(v.state(), v1::VERSION_STATE_IN_REVIEW);
  // No version older than the one in force goes on (no rollback).
  v1::Document doc;
  doc.set_name("tenants/t1/engagements/e1/documents/d1");
  doc.set_effective_version(doc.name() + "/versions/3");
  doc.set_effective_version_number("1.2");
  auto older = CheckNotOlderThanEffective(doc, 2, "1.1", "upload a newer one");
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(older.message()).find("1.1 is older than the effective version 1.2"),
            std::string::npos)
      << older;
  EXPECT_TRUE(CheckNotOlderThanEffective(doc, 3, "1.2", "").ok());
  EXPECT_TRUE(CheckNotOlderThanEffective(v1::Document(), 1, "1.0", "").ok());  // none in force
}

TEST(DocumentsPolicy, CoversEveryRpc) {
  EXPECT_TRUE(DocumentsPolicy().CheckCovers("certpath.documents.v1.DocumentService").ok());
}

}  // namespace
}  // namespace certpath::documents::domain

namespace certpath::documents::domain {
namespace {

TEST(Standard, NinetyThreeControlsInFourThemesAndTheClauses) {
  std::map<std::string, int> themes;
  for (const auto& c : Controls()) ++themes[ThemeOf(c.id)];
  EXPECT_EQ(Controls().size(), 93u);
  EXPECT_EQ(themes, (std::map<std::string, int>{{"5", 37}, {"6", 8}, {"7", 14}, {"8", 34}}));
  EXPECT_EQ(Clauses().size(), 23u);
  EXPECT_EQ(Clauses().front().id, std::string("4.1"));
  EXPECT_EQ(Clauses().back().id, std::string("10.2"));
  EXPECT_STREQ(FindRequirement("A.8.34")->title_en,
               "Protection of information systems during audit testing");
  EXPECT_EQ(FindRequirement("A.5.38"), nullptr);
}

TEST(Statement, RowsAreCheckedAndRendered) {
  const std::string eng = "tenants/t1/engagements/e1";
  v1::StatementOfApplicability s = DefaultStatement(eng + "/statementOfApplicability");
  ASSERT_EQ(s.controls_size(), 93);
  EXPECT_EQ(s.controls(0).title_ja(), "情報セキュリティのための方針群");
  FieldViolations ok;
  CheckStatement(ok, s, eng);
  EXPECT_TRUE(ok.ToStatus().ok()) << ok.ToStatus();
  // Excluded without a justification, an unknown control, a foreign document.
  v1::StatementOfApplicability bad = s;
  bad.mutable_controls(3)->set_applicable(false);
  bad.mutable_controls(4)->set_control_id("A.9.1");
  bad.mutable_controls(5)->add_documents("tenants/t1/engagements/other/documents/d1");
  // A justification of spaces is none; a reason twice; an excluded control
  // with reasons for inclusion.
  bad.mutable_controls(7)->set_applicable(false);
  bad.mutable_controls(7)->set_exclusion_justification(" \u3000 ");
  bad.mutable_controls(8)->add_reasons(v1::INCLUSION_REASON_BUSINESS);
  bad.mutable_controls(8)->add_reasons(v1::INCLUSION_REASON_BUSINESS);
  bad.mutable_controls(9)->set_applicable(false);
  bad.mutable_controls(9)->set_exclusion_justification("該当する業務なし");
  bad.mutable_controls(9)->add_reasons(v1::INCLUSION_REASON_LEGAL_REGULATORY);
  FieldViolations v;
  CheckStatement(v, bad, eng);
  std::string m(v.ToStatus().message());
  for (const char* field :
       {"statement.controls[3].exclusion_justification", "statement.controls[4].control_id",
        "statement.controls[5].documents", "statement.controls[7].exclusion_justification",
        "statement.controls[8].reasons", "statement.controls[9].reasons"}) {
    EXPECT_NE(m.find(field), std::string::npos) << field << ": " << m;
  }
  bad = s;
  bad.mutable_controls()->RemoveLast();
  FieldViolations count;
  CheckStatement(count, bad, eng);
  EXPECT_NE(std::string(count.ToStatus().message()).find("got 92"), std::string::npos);
  // Exports: CSV with a BOM and a row per control; HTML by theme, escaped.
  s.mutable_controls(6)->set_applicable(false);
  s.mutable_controls(6)->set_exclusion_justification("脅威情報は親会社が一括で収集, \"共有\"");
  std::string csv = StatementCsv(s);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 94);
  EXPECT_NE(csv.find("\"脅威情報は親会社が一括で収集, \"\"共有\"\"\""), std::string::npos);
  std::string html = StatementHtml(s, "<株式会社デモ>");
  EXPECT_NE(html.find("&lt;株式会社デモ&gt;"), std::string::npos);
  EXPECT_NE(html.find("8 技術的管理策"), std::string::npos);
}

TEST(Conformity, EveryRequirementWithItsFormsAndCounts) {
  v1::ExistingForm a, b;
  a.set_name("tenants/t1/engagements/e1/existingForms/a");
  a.set_title("入退室記録簿");
  auto* m = a.add_mappings();
  m->set_requirement("A.7.2");
  m->set_verdict(v1::VERDICT_CONFORMS);
  m = a.add_mappings();
  m->set_requirement("7.5");
  m->set_verdict(v1::VERDICT_PARTIAL);
  b.set_name("tenants/t1/engagements/e1/existingForms/b");
  b.set_title("教育記録");
  m = b.add_mappings();
  m->set_requirement("7.5");
  m->set_verdict(v1::VERDICT_GAP);
  m->set_remarks("保管期間の定めなし");
  m = b.add_mappings();
  m->set_requirement("A.8.4");
  m->set_verdict(v1::VERDICT_NOT_RELEVANT);
  v1::ConformityReport r = BuildConformityReport("tenants/t1/engagements/e1", {a, b});
  EXPECT_EQ(r.rows_size(), 23 + 93);
  EXPECT_EQ(r.covered(), 1);
  EXPECT_EQ(r.partial(), 1);  // 7.5: partial beats gap
  EXPECT_EQ(r.gaps(), 0);
  EXPECT_EQ(r.not_relevant(), 1);
  EXPECT_EQ(r.not_covered(), 23 + 93 - 3);
  std::string csv = ConformityCsv(r);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.find("教育記録:保管期間の定めなし"), std::string::npos);
  FieldViolations v;
  v1::ExistingForm bad;
  bad.add_mappings()->set_requirement("11.1");
  CheckMappings(v, bad.mappings());
  std::string msg(v.ToStatus().message());
  EXPECT_NE(msg.find("mappings[0].requirement"), std::string::npos);
  EXPECT_NE(msg.find("mappings[0].verdict"), std::string::npos);
  // A sub-clause the templates serve (6.1.2) maps, and counts under its clause.
  EXPECT_EQ(ReportedUnder("6.1.2"), "6.1");
  EXPECT_EQ(ReportedUnder("A.5.1"), "A.5.1");
  EXPECT_EQ(ReportedUnder("6.1.4"), "");
  v1::ExistingForm risk;
  risk.set_title("リスク評価基準");
  auto* sub = risk.add_mappings();
  sub->set_requirement("6.1.2");
  sub->set_verdict(v1::VERDICT_CONFORMS);
  sub->set_remarks("基準あり");
  FieldViolations fine;
  CheckMappings(fine, risk.mappings());
  EXPECT_TRUE(fine.ToStatus().ok()) << fine.ToStatus();
  v1::ConformityReport with_sub = BuildConformityReport("tenants/t1/engagements/e1", {risk});
  EXPECT_EQ(with_sub.covered(), 1);
  for (const auto& row : with_sub.rows()) {
    if (row.requirement() != "6.1") continue;
    ASSERT_EQ(row.forms_size(), 1);
    EXPECT_EQ(row.forms(0).remarks(), "(6.1.2) 基準あり");
  }
}

TEST(SupportSpecification, TheSeedDocumentForOneEngagement) {
  SpecificationInput in;
  in.created = absl::CivilDay(2026, 11, 26);
  in.engagement.set_reference_number("2026-0007");
  in.engagement.set_department("情報システム部");
  in.engagement.set_contact("山田 太郎");
  in.engagement.set_standard("ISO_IEC_27001_2022");
  *in.engagement.mutable_support_start() = ToDate(absl::CivilDay(2026, 4, 1));
  *in.engagement.mutable_support_end() = ToDate(absl::CivilDay(2027, 10, 1));
  in.client.set_display_name("株式会社デモ <本社>");
  in.office_name = "鈴木ISOコンサルティング";
  in.prices.set_day_rate_jpy(50'000);
  in.prices.set_half_day_rate_jpy(30'000);
  in.prices.set_advisory_retainer_annual_jpy(50'000);
  in.prices.set_manual_review_min_jpy(30'000);
  in.prices.set_manual_review_max_jpy(50'000);
  std::string html = SupportSpecificationHtml(in);
  for (const char* want :
       {"2026年11月26日", "株式会社デモ &lt;本社&gt;", "情報システム部", "山田 太郎", "2026-0007",
        "JIS Q 27001:2023 (ISO/IEC 27001:2022)", "1. 本書の作成目的", "3. 支援手順（役割の分担）",
        "認証機関の決定", "見積書の提出", "2026年4月1日", "2027年10月1日", "1日5万円、半日3万円",
        "（3万円～5万円）", "【別紙1", "内部監査チェック項目票", "@page{size:A4",
        "<p class=\"office\">鈴木ISOコンサルティング</p>", "鈴木ISOコンサルティング（以下"}) {
    EXPECT_NE(html.find(want), std::string::npos) << want;
  }
  EXPECT_EQ(html.find("本間"), std::string::npos);  // the seed's office, never another's
}

}  // namespace
}  // namespace certpath::documents::domain
