#pragma once
// Small but real Office and OpenDocument files for tests: ZIP archives with
// stored (uncompressed) entries and their CRC-32s, as `unzip -t` accepts them.

#include <string>
#include <utility>
#include <vector>

namespace certpath::testing {

using ZipEntries = std::vector<std::pair<std::string, std::string>>;  // name, content

std::string StoredZip(const ZipEntries& entries);

// A .docx / .xlsx whose main part holds `text`; an .odt with its mimetype first.
std::string DocxFile(const std::string& text);
std::string XlsxFile(const std::string& text);
std::string OdtFile(const std::string& text);

}  // namespace certpath::testing
