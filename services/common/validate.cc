#include "services/common/validate.h"

#include <cctype>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto.h"

namespace certpath {

size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

std::string ClipText(absl::string_view s, size_t max_points) {
  size_t i = 0;
  uint32_t cp = 0;
  for (size_t points = 0; i < s.size() && points < max_points; ++points) {
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) break;
    i += n;
  }
  return std::string(s.substr(0, i));
}

bool IsValidUtf8(absl::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t CodePoints(absl::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) count += (c & 0xC0) != 0x80;
  return count;
}

void CheckText(FieldViolations& v, absl::string_view field, absl::string_view value,
               size_t max_chars, bool required, bool multiline) {
  std::string f(field);
  if (value.empty()) {
    if (required) v.Add(f, "required");
    return;
  }
  uint32_t cp = 0;
  bool blank = true;
  for (size_t i = 0; i < value.size();) {
    size_t n = DecodeUtf8(value, i, &cp);
    if (n == 0) {
      v.Add(f, "not valid UTF-8");
      return;
    }
    blank = blank &&
            (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x3000);
    bool allowed_control = multiline && (cp == '\n' || cp == '\t' || cp == '\r');
    // C0 controls, DEL and the C1 controls (U+0080–U+009F).
    bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    if (control && !allowed_control) {
      v.Add(f, "contains control characters");
      return;
    }
    i += n;
  }
  if (blank && required) {
    v.Add(f, "required (not only spaces)");
    return;
  }
  if (CodePoints(value) > max_chars) {
    v.Add(f, absl::StrCat("longer than ", max_chars, " characters"));
  }
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ParseName(absl::string_view field, absl::string_view name,
                                                   const std::vector<absl::string_view>& kinds) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  std::string pattern;
  for (auto k : kinds) absl::StrAppend(&pattern, pattern.empty() ? "" : "/", k, "/{id}");
  if (parts.size() != kinds.size() * 2) {
    return InvalidArgument(std::string(field), "must look like " + pattern);
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (parts[2 * i] != kinds[i] || !IsValidId(parts[2 * i + 1])) {
      return InvalidArgument(std::string(field), "must look like " + pattern);
    }
    ids.emplace_back(parts[2 * i + 1]);
  }
  return ids;
}

void CheckRequestId(FieldViolations& v, absl::string_view value) {
  if (value.empty()) return;
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  bool ok = parts.size() == 5;
  for (size_t i = 0; ok && i < 5; ++i) {
    ok = parts[i].size() == static_cast<size_t>(kGroups[i]);
    for (char c : parts[i]) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
  }
  if (!ok) v.Add("request_id", "must be a UUID");
}

absl::optional<absl::CivilDay> ToCivilDay(const google::type::Date& d) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1) {
    return absl::nullopt;
  }
  absl::CivilDay day(d.year(), d.month(), d.day());
  // CivilDay normalizes (Feb 30 → Mar 2): a real date survives the round trip.
  if (day.year() != d.year() || day.month() != d.month() || day.day() != d.day()) {
    return absl::nullopt;
  }
  return day;
}

google::type::Date ToDate(absl::CivilDay day) {
  google::type::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

void CheckDate(FieldViolations& v, absl::string_view field, const google::type::Date& d,
               bool required) {
  bool unset = d.year() == 0 && d.month() == 0 && d.day() == 0;
  if (unset) {
    if (required) v.Add(std::string(field), "required");
    return;
  }
  if (!ToCivilDay(d)) v.Add(std::string(field), "not a valid calendar date");
}

void CheckUpdateMask(FieldViolations& v, const google::protobuf::FieldMask& mask,
                     absl::Span<const char* const> allowed) {
  if (mask.paths().empty()) v.Add("update_mask", "required");
  for (const auto& path : mask.paths()) {
    bool known = false;
    for (const char* a : allowed) known = known || path == a;
    if (!known) v.Add("update_mask", "cannot update " + path);
  }
}

void ApplyUpdateMask(FieldViolations& v, const google::protobuf::FieldMask& mask,
                     absl::Span<const char* const> allowed, const google::protobuf::Message& from,
                     google::protobuf::Message* to) {
  using google::protobuf::util::FieldMaskUtil;
  size_t before = v.size();
  if (mask.paths().empty()) v.Add("update_mask", "required");
  for (const auto& path : mask.paths()) {
    bool known = false;
    for (const char* a : allowed) known = known || path == a;
    if (known) continue;
    bool exists = from.GetDescriptor()->FindFieldByName(path) != nullptr;
    v.Add("update_mask", exists ? "cannot update " + path + " (output only or not yours to set)"
                                : "no field " + path);
  }
  if (v.size() != before) return;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool MaskHas(const google::protobuf::FieldMask& mask, absl::string_view path) {
  for (const auto& p : mask.paths()) {
    if (p == path) return true;
  }
  return false;
}

std::string Fingerprint(const google::protobuf::Message& m) {
  std::string bytes = m.GetDescriptor()->full_name() + '\n';
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&out);
  }
  return Sha256(bytes);
}

}  // namespace certpath
