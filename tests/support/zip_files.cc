#include "tests/support/zip_files.h"

#include <cstdint>

namespace certpath::testing {
namespace {

uint32_t Crc32(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void Le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string Ooxml(const std::string& main_part, const std::string& text) {
  return StoredZip({{"[Content_Types].xml",
                     "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/"
                     "package/2006/content-types\"/>"},
                    {"_rels/.rels", "<?xml version=\"1.0\"?><Relationships/>"},
                    {main_part, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>" + text + "</t>"}});
}

}  // namespace

std::string StoredZip(const ZipEntries& entries) {
  std::string out, central;
  for (const auto& [name, content] : entries) {
    uint32_t offset = static_cast<uint32_t>(out.size()), crc = Crc32(content);
    auto common = [&](std::string& s) {
      Le(s, 20, 2);      // version needed
      Le(s, 0x0800, 2);  // flags: UTF-8 names
      Le(s, 0, 2);       // stored
      Le(s, 0, 4);       // time, date
      Le(s, crc, 4);
      Le(s, content.size(), 4);
      Le(s, content.size(), 4);
      Le(s, name.size(), 2);
      Le(s, 0, 2);  // extra
    };
    Le(out, 0x04034b50, 4);
    common(out);
    out += name + content;
    Le(central, 0x02014b50, 4);
    Le(central, 20, 2);  // made by
    common(central);
    Le(central, 0, 2);  // comment
    Le(central, 0, 4);  // disk, internal attributes
    Le(central, 0, 4);  // external attributes
    Le(central, offset, 4);
    central += name;
  }
  uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  Le(out, 0x06054b50, 4);
  Le(out, 0, 4);  // disks
  Le(out, entries.size(), 2);
  Le(out, entries.size(), 2);
  Le(out, central.size(), 4);
  Le(out, cd_offset, 4);
  Le(out, 0, 2);  // comment
  return out;
}

std::string DocxFile(const std::string& text) { return Ooxml("word/document.xml", text); }
std::string XlsxFile(const std::string& text) { return Ooxml("xl/workbook.xml", text); }

std::string OdtFile(const std::string& text) {
  return StoredZip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                    {"META-INF/manifest.xml", "<?xml version=\"1.0\"?><manifest/>"},
                    {"content.xml", "<?xml version=\"1.0\"?><t>" + text + "</t>"}});
}

}  // namespace certpath::testing
