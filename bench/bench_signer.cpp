// Benchmark (not a test): Document Signer signatures per second, the file
// signer against the same keys in a SoftHSM2 token (a token of its own in a
// temporary directory), for the EC (brainpoolP256r1) and RSA-3072 DS keys
// and the EC key generated inside the token. Wall time: a real HSM works
// outside this process, so CPU time would flatter it; the machine may be
// shared, so figures vary. One thread, then several threads on one signer
// (sign() is concurrent: a session per caller). Prints figures;
// docs/architecture.md records them.
//
//   bench_signer [--seconds N] [--threads N]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "pki/signer.hpp"
#include "softhsm_token.hpp"
#include "test_support.hpp"

using namespace rcperso;

namespace {

using Clock = std::chrono::steady_clock;

double rate(pki::Signer& signer, pki::SignatureScheme scheme, double seconds, int threads) {
  // A signed attributes block is about this size in EF.SOD.
  Bytes message(104, 0x5A);
  signer.sign(message, pki::HashAlgorithm::Sha256, scheme);  // warm-up (opens the session)
  std::atomic<long> count{0};
  auto start = Clock::now();
  auto until = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (Clock::now() < until) {
        signer.sign(message, pki::HashAlgorithm::Sha256, scheme);
        ++count;
      }
    });
  }
  for (auto& w : workers) w.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(count.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::stoi(argv[i + 1]);
  }
  try {
    test::TempDir dir;
    auto token = test::make_softhsm_token(dir.path(), RCPERSO_SOURCE_DIR);
    std::string keys = std::string(RCPERSO_SOURCE_DIR) + "/keys-sample/";
    struct Case {
      const char* label;
      std::string spec;
      pki::SignatureScheme scheme;
    };
    std::vector<Case> cases{
        {"file    ds-ec  ECDSA brainpoolP256r1", keys + "ds-ec", pki::SignatureScheme::Ecdsa},
        {"SoftHSM ds-ec  ECDSA brainpoolP256r1", token.uri("ds-ec"), pki::SignatureScheme::Ecdsa},
        {"SoftHSM ds-hsm ECDSA (made in token)", token.uri("ds-hsm"), pki::SignatureScheme::Ecdsa},
        {"file    ds-rsa RSA-3072 PKCS#1 v1.5", keys + "ds-rsa", pki::SignatureScheme::RsaPkcs1v15},
        {"SoftHSM ds-rsa RSA-3072 PKCS#1 v1.5", token.uri("ds-rsa"), pki::SignatureScheme::RsaPkcs1v15},
        {"file    ds-rsa RSA-3072 PSS", keys + "ds-rsa", pki::SignatureScheme::RsaPss},
        {"SoftHSM ds-rsa RSA-3072 PSS", token.uri("ds-rsa"), pki::SignatureScheme::RsaPss},
    };
    std::printf("%-40s %14s %14s\n", "signer (SHA-256)", "1 thread",
                (std::to_string(threads) + " threads").c_str());
    for (const auto& c : cases) {
      auto signer = pki::open_signer(c.spec);
      double one = rate(*signer, c.scheme, seconds, 1);
      double many = rate(*signer, c.scheme, seconds, threads);
      std::printf("%-40s %9.0f sig/s %9.0f sig/s\n", c.label, one, many);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_signer: %s\n", e.what());
    return 1;
  }
}
