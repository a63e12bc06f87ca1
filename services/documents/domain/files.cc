#include "services/documents/domain/files.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/zip.h"

namespace certpath::documents::domain {
namespace {

// kOoxml: a ZIP package with [Content_Types].xml and parts under `part_dir`;
// kOdf: a ZIP package whose first entry, stored, is "mimetype" holding the
// media type (ISO/IEC 26300, 3.3).
enum class Magic { kOoxml, kOdf, kPdf, kPng, kJpeg, kText };

struct Allowed {
  const char* extension;
  const char* media_type;
  Magic magic;
  const char* part_dir = "";
  // Other names browsers and systems send for the same type (Windows
  // browsers declare .csv files as application/vnd.ms-excel).
  std::vector<const char*> aliases = {};
};

const std::vector<Allowed>& AllowList() {
  static const std::vector<Allowed> kList = {
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       Magic::kOoxml, "word/"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Magic::kOoxml,
       "xl/"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
       Magic::kOoxml, "ppt/"},
      {"odt", "application/vnd.oasis.opendocument.text", Magic::kOdf},
      {"ods", "application/vnd.oasis.opendocument.spreadsheet", Magic::kOdf},
      {"pdf", "application/pdf", Magic::kPdf},
      {"png", "image/png", Magic::kPng, "", {"image/x-png"}},
      {"jpg", "image/jpeg", Magic::kJpeg, "", {"image/jpg", "image/pjpeg"}},
      {"jpeg", "image/jpeg", Magic::kJpeg, "", {"image/jpg", "image/pjpeg"}},
      {"txt", "text/plain", Magic::kText},
      {"md", "text/markdown", Magic::kText, "", {"text/x-markdown", "text/plain"}},
      {"csv",
       "text/csv",
       Magic::kText,
       "",
       {"application/vnd.ms-excel", "application/csv", "text/x-csv", "text/comma-separated-values",
        "text/plain"}},
  };
  return kList;
}

bool IsPackage(const Allowed& a, absl::string_view d) {
  if (!absl::StartsWith(d, absl::string_view("PK\x03\x04", 4))) return false;
  auto zip = ListZip(d);
  if (!zip.ok()) return false;
  if (a.magic == Magic::kOdf) {
    return zip->first_name == "mimetype" && zip->first_stored && zip->first_content == a.media_type;
  }
  bool types = false, parts = false;
  for (const auto& n : zip->names) {
    types = types || n == "[Content_Types].xml";
    // A part: a file under the directory, not the directory's own entry.
    parts = parts || (absl::StartsWith(n, a.part_dir) && !absl::EndsWith(n, "/") &&
                      n.size() > std::strlen(a.part_dir));
  }
  return types && parts;
}

bool Matches(const Allowed& a, absl::string_view d) {
  switch (a.magic) {
    case Magic::kOoxml:
    case Magic::kOdf:
      return IsPackage(a, d);
    case Magic::kPdf:
      return absl::StartsWith(d, "%PDF-");
    case Magic::kPng:
      return absl::StartsWith(d, absl::string_view("\x89PNG\r\n\x1a\n", 8));
    case Magic::kJpeg:
      return absl::StartsWith(d, absl::string_view("\xff\xd8\xff", 3));
    case Magic::kText:
      // UTF-8 (a BOM allowed), no NUL: what a text file is.
      return d.find('\0') == absl::string_view::npos && IsValidUtf8(d);
  }
  return false;
}

// The media type without parameters, lower case.
std::string Essence(absl::string_view t) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t.substr(0, t.find(';'))));
}

// Never kept in a name: C1 controls, and invisible or direction-changing
// characters (a right-to-left override shows "請求書\u202Efdp.docx" as a .pdf).
bool Invisible(uint32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0xAD || c == 0x61C || (c >= 0xE0000 && c <= 0xE007F) ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}

}  // namespace

std::string SanitizeFileName(absl::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != absl::string_view::npos) name = name.substr(slash + 1);
  if (!IsValidUtf8(name)) return "";
  std::string out;
  uint32_t c = 0;
  for (size_t i = 0, len = 1; i < name.size(); i += len) {
    len = DecodeUtf8(name, i, &c);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == ':' || c == '|' ||
        c == '?' || c == '*') {
      out.push_back('_');
    } else if (!Invisible(c)) {
      out.append(name.data() + i, len);
    }
  }
  // No leading dots or spaces (hidden files, ".."), nor trailing ones
  // (Windows drops them, so "a.pdf." would open as another name).
  size_t start = out.find_first_not_of(". ");
  if (start == std::string::npos) return "";
  out = out.substr(start, out.find_last_not_of(". ") - start + 1);
  // At most 120 code points and 240 bytes (file systems take 255), the
  // extension kept.
  constexpr size_t kMaxPoints = 120, kMaxBytes = 240;
  if (CodePoints(out) > kMaxPoints || out.size() > kMaxBytes) {
    size_t dot = out.rfind('.');
    std::string ext = dot != std::string::npos && out.size() - dot <= 6 ? out.substr(dot) : "";
    std::string stem = out.substr(0, out.size() - ext.size());
    size_t keep = kMaxPoints - CodePoints(ext), i = 0, len = 1;
    for (size_t points = 0; i < stem.size() && points < keep; ++points, i += len) {
      len = DecodeUtf8(stem, i, &c);
      if (i + len + ext.size() > kMaxBytes) break;
    }
    out = stem.substr(0, i) + ext;
  }
  return out;
}

void CheckUploadFields(FieldViolations& v, absl::string_view file_name, absl::string_view data) {
  if (SanitizeFileName(file_name).empty()) v.Add("file_name", "required");
  if (data.empty()) v.Add("file", "empty");
  if (data.size() > kMaxFileBytes)
    v.Add("file", absl::StrCat("larger than ", kMaxFileBytes, " bytes"));
}

absl::StatusOr<CheckedFile> CheckFile(absl::string_view file_name, absl::string_view declared_type,
                                      absl::string_view data) {
  if (data.empty()) return InvalidArgument("file", "empty");
  if (data.size() > kMaxFileBytes) {
    return InvalidArgument("file", absl::StrCat("larger than ", kMaxFileBytes, " bytes"));
  }
  CheckedFile out;
  out.file_name = SanitizeFileName(file_name);
  if (out.file_name.empty()) return InvalidArgument("file_name", "required");
  size_t dot = out.file_name.rfind('.');
  std::string ext =
      dot == std::string::npos ? "" : absl::AsciiStrToLower(out.file_name.substr(dot + 1));
  const Allowed* allowed = nullptr;
  for (const auto& a : AllowList()) {
    if (ext == a.extension) allowed = &a;
  }
  if (allowed == nullptr) {
    return InvalidArgument("file_name",
                           "a .docx, .xlsx, .pptx, .pdf, .odt, .ods, .txt, .md, .csv, .png or "
                           ".jpg file");
  }
  std::string declared = Essence(declared_type);
  bool alias = std::find_if(allowed->aliases.begin(), allowed->aliases.end(),
                            [&](const char* a) { return declared == a; }) != allowed->aliases.end();
  if (!declared.empty() && declared != "application/octet-stream" &&
      declared != allowed->media_type && !alias) {
    return InvalidArgument("file.content_type", absl::StrCat("\"", declared, "\" does not match .",
                                                             ext, " (", allowed->media_type, ")"));
  }
  if (!Matches(*allowed, data)) {
    if (allowed->magic == Magic::kText) {
      return InvalidArgument("file", absl::StrCat("a .", ext,
                                                  " file is stored as UTF-8 text (without NUL "
                                                  "bytes); convert Shift_JIS files to UTF-8"));
    }
    if (allowed->magic == Magic::kOoxml) {
      return InvalidArgument(
          "file", absl::StrCat("the content is not a .", ext,
                               " file (an Office Open XML package with ", allowed->part_dir, "…)"));
    }
    if (allowed->magic == Magic::kOdf) {
      return InvalidArgument("file", absl::StrCat("the content is not a .", ext,
                                                  " file (an OpenDocument package whose "
                                                  "mimetype is ",
                                                  allowed->media_type, ")"));
    }
    return InvalidArgument("file", absl::StrCat("the content is not a .", ext, " file"));
  }
  out.media_type = allowed->media_type;
  return out;
}

}  // namespace certpath::documents::domain
