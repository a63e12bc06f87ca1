#pragma once
// What a ZIP archive (an Office Open XML or OpenDocument file) holds, read
// from its central directory and its first local header — nothing is
// decompressed. ZIP64 end records are understood.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace certpath::documents::domain {

struct ZipListing {
  std::vector<std::string> names;  // every entry, in central-directory order
  std::string first_name;          // the first entry of the directory if first in the file too
  bool first_stored = false;       // …kept uncompressed, with its size in its header
  std::string first_content;       // …its bytes when stored (at most 256)
};

// INVALID_ARGUMENT (with what is wrong) unless `data` is a whole ZIP archive
// whose central directory lies inside it.
absl::StatusOr<ZipListing> ListZip(absl::string_view data);

}  // namespace certpath::documents::domain
