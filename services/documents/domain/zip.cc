#include "services/documents/domain/zip.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace certpath::documents::domain {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndRecord = 0x06054b50,
                   kEnd64Locator = 0x07064b50, kEnd64Record = 0x06064b50;
constexpr size_t kEndSize = 22, kMaxComment = 0xFFFF, kMaxEntries = 100000;

// Little-endian fields at `at`; the caller has checked the bounds.
uint64_t Le(absl::string_view d, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + i]);
  return v;
}

bool Has(absl::string_view d, size_t at, size_t n) { return at <= d.size() && n <= d.size() - at; }

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("not a ZIP archive: ", what));
}

}  // namespace

absl::StatusOr<ZipListing> ListZip(absl::string_view d) {
  if (d.size() < kEndSize) return Bad("too short");
  // The end record: the last signature whose comment fits in the file.
  size_t end = std::string::npos;
  size_t lowest = d.size() - kEndSize > kMaxComment ? d.size() - kEndSize - kMaxComment : 0;
  for (size_t at = d.size() - kEndSize + 1; at-- > lowest;) {
    if (Le(d, at, 4) == kEndRecord && at + kEndSize + Le(d, at + 20, 2) <= d.size()) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) return Bad("no end of central directory");
  uint64_t entries = Le(d, end + 10, 2), cd_size = Le(d, end + 12, 4),
           cd_offset = Le(d, end + 16, 4);
  size_t cd_limit = end;
  // ZIP64 when a field is saturated (65535 entries may also be just that many).
  bool locator = end >= 20 && Le(d, end - 20, 4) == kEnd64Locator;
  if (cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF || (entries == 0xFFFF && locator)) {
    if (!locator) return Bad("ZIP64 locator missing");
    uint64_t at = Le(d, end - 20 + 8, 8);
    if (!Has(d, at, 56) || Le(d, at, 4) != kEnd64Record) return Bad("ZIP64 end record missing");
    entries = Le(d, at + 32, 8);
    cd_size = Le(d, at + 40, 8);
    cd_offset = Le(d, at + 48, 8);
    cd_limit = at;
  }
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset) {
    return Bad("central directory outside the file");
  }
  if (entries == 0 || entries > kMaxEntries) return Bad(absl::StrCat(entries, " entries"));
  ZipListing out;
  size_t at = cd_offset, cd_end = cd_offset + cd_size;
  uint64_t first_offset = 1;  // the first entry's local header
  for (uint64_t i = 0; i < entries; ++i) {
    if (!Has(d, at, 46) || at + 46 > cd_end || Le(d, at, 4) != kCentralHeader) {
      return Bad("central directory entry damaged");
    }
    size_t name = Le(d, at + 28, 2), extra = Le(d, at + 30, 2), comment = Le(d, at + 32, 2);
    if (at + 46 + name + extra + comment > cd_end) return Bad("central directory entry damaged");
    out.names.emplace_back(d.substr(at + 46, name));
    if (i == 0) first_offset = Le(d, at + 42, 4);
    at += 46 + name + extra + comment;
  }
  // The first entry of the directory, when it is also the first in the file:
  // its local header at offset 0, under the same name.
  if (!Has(d, 0, 30) || Le(d, 0, 4) != kLocalHeader) return Bad("no first entry");
  size_t name = Le(d, 26, 2), extra = Le(d, 28, 2);
  if (!Has(d, 30, name + extra)) return Bad("first entry damaged");
  if (first_offset != 0 || d.substr(30, name) != out.names[0]) return out;
  out.first_name = out.names[0];
  uint64_t method = Le(d, 8, 2), flags = Le(d, 6, 2), size = Le(d, 18, 4);
  bool sized = (flags & 0x8) == 0 && size == Le(d, 22, 4);
  if (method == 0 && sized && size <= 256 && Has(d, 30 + name + extra, size)) {
    out.first_stored = true;
    out.first_content = std::string(d.substr(30 + name + extra, size));
  }
  return out;
}

}  // namespace certpath::documents::domain
