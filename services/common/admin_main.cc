// certpath-admin: operator's tool.
//   certpath-admin new-key
//       prints a fresh random signing key (256 bits, hex).
//   certpath-admin token --tenant=T --role=office_admin --subject=S
//                        [--organization=O] [--ttl-minutes=720]
//                        [--signing-key=K | --signing-key-file=F]
//       prints a principal token signed with the services' key.
// Flags fall back to CERTPATH_* environment variables (CERTPATH_SIGNING_KEY, ...).

#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/crypto.h"
#include "services/common/principal.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: certpath-admin new-key\n"
               "       certpath-admin token --tenant=T --role=ROLE --subject=S "
               "[--organization=O] [--ttl-minutes=N] [--signing-key=K|--signing-key-file=F]\n"
               "roles: office_admin consultant partner client service\n");
  return 2;
}

int Token(const certpath::Config& config) {
  using certpath::Principal;
  auto key =
      certpath::LoadSigningKey(config.Get("signing-key", ""), config.Get("signing-key-file", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "certpath-admin: %s\n", std::string(key.status().message()).c_str());
    return 1;
  }
  Principal p;
  p.set_tenant(config.Get("tenant", ""));
  p.set_subject(config.Get("subject", ""));
  p.set_organization(config.Get("organization", ""));
  Principal::Role role;
  std::string role_name = "ROLE_" + absl::AsciiStrToUpper(config.Get("role", ""));
  if (!Principal::Role_Parse(role_name, &role) || role == Principal::ROLE_UNSPECIFIED) {
    std::fprintf(stderr, "certpath-admin: unknown role\n");
    return Usage();
  }
  p.set_role(role);
  if (p.tenant().empty() || p.subject().empty()) return Usage();
  auto ttl = config.GetInt("ttl-minutes", 12 * 60);
  if (!ttl.ok() || *ttl <= 0) return Usage();
  certpath::PrincipalSigner signer(*key);
  std::printf("%s\n", signer.Sign(p, certpath::SystemClock().Now(), absl::Minutes(*ttl)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string cmd = argv[1];
  auto config = certpath::Config::FromArgs(argc - 1, argv + 1);
  if (!config.ok()) return Usage();
  if (cmd == "new-key") {
    std::printf("%s\n", certpath::RandomHex(32).c_str());
    return 0;
  }
  if (cmd == "token") return Token(*config);
  return Usage();
}
