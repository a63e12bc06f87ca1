#pragma once
// Cells and text for the exports every service writes: CSV that spreadsheets
// open safely, and HTML escaping for rendered documents.

#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace certpath {

// A UTF-8 byte order mark: Excel reads a CSV that starts with it as UTF-8.
inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

// A CSV text cell, quoted when it holds a comma, quote or line break. One
// that a spreadsheet would take for a formula (=, +, -, @, tab or CR first:
// a company name typed as "=HYPERLINK(…)") gets a leading apostrophe, so
// that Excel or freee shows it as text instead of running it.
inline std::string CsvCell(absl::string_view text) {
  std::string s(text);
  if (!s.empty() && std::string("=+-@\t\r").find(s[0]) != std::string::npos) s = "'" + s;
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  return "\"" + absl::StrReplaceAll(s, {{"\"", "\"\""}}) + "\"";
}

// Text for HTML element content and attribute values.
inline std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

}  // namespace certpath
