#include "tests/support/access_matrix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "tests/support/test_env.h"

namespace certpath::testing::access {

char Classify(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 'N';
    case absl::StatusCode::kPermissionDenied:
      return 'D';
    case absl::StatusCode::kUnauthenticated:
      return 'U';
    default:
      return 'A';
  }
}

std::vector<Caller> NineCallers(const std::string& client_id, const Clock& clock) {
  static const std::string forged =
      PrincipalSigner(std::string(48, 'f'))
          .Sign(MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office"), clock.Now(),
                absl::Hours(1));
  const Principal admin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");
  return {
      {"admin", admin, nullptr},
      {"consultant", MakePrincipal(Principal::ROLE_CONSULTANT, "kenji@office"), nullptr},
      {"partner of it", MakePrincipal(Principal::ROLE_PARTNER, "sato@p1", "p1"), nullptr},
      {"other partner", MakePrincipal(Principal::ROLE_PARTNER, "ito@p2", "p2"), nullptr},
      {"its client", MakePrincipal(Principal::ROLE_CLIENT, "yamada@client", client_id), nullptr},
      {"other client", MakePrincipal(Principal::ROLE_CLIENT, "suzuki@other", "otherco"), nullptr},
      {"other tenant", MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve@t2", "", "t2"), nullptr},
      {"no token", admin, ""},
      {"forged token", admin, forged.c_str()},
  };
}

std::string RunRow(const std::string& row, const std::vector<Caller>& callers,
                   const std::string& expected,
                   const std::function<absl::Status(const Caller&)>& call) {
  std::string got(callers.size(), '?');
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < callers.size(); ++i) {
      bool allowed = expected[i] == 'A';
      if (allowed != (pass == 1)) continue;
      absl::Status s = call(callers[i]);
      got[i] = Classify(s);
      EXPECT_EQ(got[i], expected[i]) << row << " by " << callers[i].name << ": " << s;
      // Each request is valid and finds its objects live: an allowed call succeeds.
      if (allowed) {
        EXPECT_TRUE(s.ok()) << row << " by " << callers[i].name << " (allowed): " << s;
      }
    }
  }
  return got;
}

void CheckCoverage(const std::vector<std::string>& methods, const std::vector<std::string>& rows,
                   const std::vector<std::string>& want, const std::set<std::string>& uncalled) {
  std::set<std::string> covered;
  for (const auto& row : rows) covered.insert(row.substr(0, row.find('.')));
  for (const auto& m : methods) {
    if (uncalled.count(m) > 0) {
      EXPECT_EQ(covered.count(m), 0u) << m << " is not to be called";
    } else {
      EXPECT_EQ(covered.count(m), 1u) << m << " is not in the access matrix";
    }
  }
  for (const auto& row : covered) {
    EXPECT_NE(std::find(methods.begin(), methods.end(), row), methods.end())
        << row << " is not an RPC of the service";
  }
  EXPECT_EQ(std::set<std::string>(rows.begin(), rows.end()),
            std::set<std::string>(want.begin(), want.end()));
}

void PrintMatrix(const std::map<std::string, std::string>& got,
                 const std::map<std::string, std::string>& want) {
  std::ostringstream table;
  table << absl::StrFormat("%-36s %-9s %-9s\n", "rpc", "answered", "expected");
  for (const auto& [row, answered] : got) {
    auto w = want.find(row);
    std::string expected = w == want.end() ? "" : w->second;
    table << absl::StrFormat("%-36s %-9s %-9s%s\n", row, answered, expected,
                             answered == expected ? "" : "  <-- differs");
  }
  std::cout << "columns: " << kColumns << "\n" << table.str();
}

}  // namespace certpath::testing::access
