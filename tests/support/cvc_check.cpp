// Reads CV certificates with our decoder, for the integration tests (e.g.
// certificates made by OpenPACE's cvc-create):
//
//   rcperso_cvc_check FILE...
//       decodes each file strictly, checks that it re-encodes to the same
//       bytes, and prints its description
//   rcperso_cvc_check --chain YYYY-MM-DD RIGHTS CVCA DV IS
//       validates the chain at that date (host view); RIGHTS is none, dg3,
//       dg4 or dg3+dg4, the rights the chain must grant
//
// Exit status 0 when everything is fine, 1 with a message otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/error.hpp"
#include "pki/cvc.hpp"

using namespace rcperso;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 6 && args[0] == "--chain") {
      auto date = Date::parse_iso(args[1]);
      if (!date) throw Error("not a date: " + args[1]);
      pki::CvValidationOptions o;
      o.current_date = *date;
      const std::string& rights = args[2];
      if (rights == "dg3")
        o.required_rights = pki::kReadDg3;
      else if (rights == "dg4")
        o.required_rights = pki::kReadDg4;
      else if (rights == "dg3+dg4")
        o.required_rights = pki::kReadDg3 | pki::kReadDg4;
      else if (rights != "none")
        throw Error("RIGHTS is none, dg3, dg4 or dg3+dg4");
      auto cvca = pki::CvCertificate::load(args[3]);
      std::vector<pki::CvCertificate> chain{pki::CvCertificate::load(args[4]),
                                            pki::CvCertificate::load(args[5])};
      auto r = pki::validate_cv_chain(cvca, chain, o);
      std::printf("chain valid: %s, effective rights %s\n", r.terminal->chr.c_str(),
                  pki::rights_text(r.effective_rights).c_str());
      return 0;
    }
    if (args.empty() || args[0].starts_with("-")) {
      std::fprintf(stderr, "usage: %s FILE... | --chain YYYY-MM-DD RIGHTS CVCA DV IS\n", argv[0]);
      return 2;
    }
    for (const auto& path : args) {
      Bytes raw = read_file(path, 65536);
      auto cert = pki::CvCertificate::decode(raw);
      if (cert.encode() != raw) throw Error(path + ": does not re-encode to the same bytes");
      std::printf("%s\n%s\n", path.c_str(), cert.describe().c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rcperso_cvc_check: %s\n", e.what());
    return 1;
  }
  return 0;
}
