#pragma once
// What every service's access-matrix test shares: the nine kinds of caller
// (the columns), how an answer is classified, the pass over one RPC's row
// (refused callers first, then the allowed ones, whose calls may change
// things), and the printed matrix.
//   A = allowed (any answer but NOT_FOUND / PERMISSION_DENIED / UNAUTHENTICATED)
//   N = NOT_FOUND (existence not leaked), D = PERMISSION_DENIED, U = UNAUTHENTICATED

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/clock.h"
#include "services/common/principal.h"

namespace certpath::testing::access {

struct Caller {
  const char* name;
  Principal p;
  const char* raw_token;  // non-null: send this instead of p's token ("" = none)
};

char Classify(const absl::Status& s);

// admin, consultant (kenji@office), partner p1, partner p2, the client
// `client_id`, another client company, an admin of tenant t2, no token, a
// token signed with another key — in that order.
std::vector<Caller> NineCallers(const std::string& client_id, const Clock& clock);
inline constexpr char kColumns[] =
    "admin consultant partner-p1 partner-p2 its-client other-client other-tenant no-token "
    "forged-token";

// Calls `call` as every caller, refused ones first; checks each answer
// against `expected` (and that an allowed call succeeds); the row answered.
std::string RunRow(const std::string& row, const std::vector<Caller>& callers,
                   const std::string& expected,
                   const std::function<absl::Status(const Caller&)>& call);

// The matrix covers the service: every RPC of `methods` but the `uncalled`
// ones has a row (a row "Method.variant" counts for Method), every row is an
// RPC, and the hand-written `want` has exactly the rows called.
void CheckCoverage(const std::vector<std::string>& methods, const std::vector<std::string>& rows,
                   const std::vector<std::string>& want, const std::set<std::string>& uncalled);

// Prints the answered matrix beside the expected one.
void PrintMatrix(const std::map<std::string, std::string>& got,
                 const std::map<std::string, std::string>& want);

}  // namespace certpath::testing::access
