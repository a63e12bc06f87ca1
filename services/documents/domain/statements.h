#pragma once
// The Statement of Applicability and the conformity report of existing
// forms, as rules and renderings (CSV with a BOM for Excel, print-ready HTML).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "certpath/documents/v1/documents.pb.h"
#include "services/common/status.h"

namespace certpath::documents::domain {

namespace v1 = certpath::documents::v1;

// A new SoA: the 93 controls in order, applicable, not implemented.
v1::StatementOfApplicability DefaultStatement(const std::string& name);
// The rows as a caller sends them: exactly 93, each control once and known,
// a justification when excluded, known reasons and statuses, documents of
// `engagement`. Every problem named with its field.
void CheckStatement(FieldViolations& v, const v1::StatementOfApplicability& s,
                    const std::string& engagement);
// In the standard's order, with the reference fields (theme, titles) filled in.
void Normalize(v1::StatementOfApplicability& s);
std::string StatementCsv(const v1::StatementOfApplicability& s);
std::string StatementHtml(const v1::StatementOfApplicability& s, const std::string& heading);

// Every requirement with the forms mapped to it and its coverage.
v1::ConformityReport BuildConformityReport(const std::string& engagement,
                                           const std::vector<v1::ExistingForm>& forms);
std::string ConformityCsv(const v1::ConformityReport& r);
// Mappings as sent: known requirements, a verdict each, no requirement twice.
void CheckMappings(FieldViolations& v,
                   const google::protobuf::RepeatedPtrField<v1::FormMapping>& mappings);

}  // namespace certpath::documents::domain
