#pragma once
// What a stored file may be: at most 16 MiB, one of an allow-list of media
// types, recognized by its content (not only its name or the declared type):
// first bytes, and for Office and OpenDocument files the entries of their ZIP
// package; and a file name safe to put in a Content-Disposition header.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/status.h"

namespace certpath::documents::domain {

inline constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

struct CheckedFile {
  std::string media_type;  // canonical, from the extension, confirmed by the content
  std::string file_name;   // sanitized
};

// The file name without directories, control characters, quotes, slashes or
// characters Windows refuses; at most 120 characters, keeping the extension;
// "" when nothing is left.
std::string SanitizeFileName(absl::string_view name);

// The upload's fields that need no reading of the content: a file name, a
// file that is not empty nor over the limit (added to `v`, so that one answer
// names every field at fault; CheckFile then checks the content).
void CheckUploadFields(FieldViolations& v, absl::string_view file_name, absl::string_view data);

// INVALID_ARGUMENT naming `field` (the declared media type, the name or the
// content) unless `data` is a docx, xlsx, pptx, pdf, odt, ods, txt, md, csv,
// png or jpeg file whose extension, declared type (when not empty or
// application/octet-stream) and first bytes agree, within the size limit.
absl::StatusOr<CheckedFile> CheckFile(absl::string_view file_name, absl::string_view declared_type,
                                      absl::string_view data);

}  // namespace certpath::documents::domain
