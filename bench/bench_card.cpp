// Benchmark of one card through the real PC/SC stack (pcscd + vpcd + a
// virtual card; bench/card_bench.sh sets it up): issue a chip image (write,
// read back, verify, lock), then read and verify it again as an inspection
// system would (EF.CardAccess, PACE or BAC, every file, Passive Authentication). Prints APDUs, bytes on the
// wire against the chip's payload, and wall time for each phase, on one line.
//
// Then, in one more session, each security step on its own, timed in host
// CPU (this process; the card is another process behind pcscd): PACE, Chip
// Authentication, Terminal Authentication (with --terminal-cert/--terminal-key),
// Active Authentication (when DG15 is there) and Passive Authentication.
//
//   bench_card --reader R --card-profile P --chip DIR --csca FILE [--chip-keys FILE]
//              [--terminal-cert DV --terminal-cert IS --terminal-key KEY] [--label TEXT]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "card/chip_session.hpp"
#include "card/pcsc.hpp"
#include "card/personalize.hpp"
#include "inspection/verify.hpp"
#include "issuance/chip_image.hpp"
#include "lds/active_auth_info.hpp"
#include "lds/dg1.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "mrz/mrz.hpp"
#include "pki/cvc.hpp"
#include "secure/active_auth.hpp"

namespace {

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ratio(std::size_t wire, std::size_t payload) {
  return payload == 0 ? 0.0 : static_cast<double>(wire) / static_cast<double>(payload);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rcperso;
  std::string reader, card_profile, chip_dir, csca, label, chip_keys, terminal_key;
  std::vector<std::string> terminal_certs;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--reader")
      reader = value;
    else if (key == "--card-profile")
      card_profile = value;
    else if (key == "--chip")
      chip_dir = value;
    else if (key == "--csca")
      csca = value;
    else if (key == "--label")
      label = value;
    else if (key == "--chip-keys")
      chip_keys = value;
    else if (key == "--terminal-cert")
      terminal_certs.push_back(value);
    else if (key == "--terminal-key")
      terminal_key = value;
  }
  if (reader.empty() || card_profile.empty() || chip_dir.empty() || csca.empty()) {
    std::cerr << "usage: bench_card --reader R --card-profile P --chip DIR --csca FILE [--chip-keys FILE] "
                 "[--label TEXT]\n";
    return 2;
  }
  try {
    auto profile = card::CardProfile::resolve(card_profile);
    auto chip = issuance::read_chip_image(chip_dir);
    // The benchmark writes one image to many cards, so it reads the key file without erasing it.
    if (!chip_keys.empty())
      chip.keys = issuance::read_chip_keys(chip_keys, chip.manifest.value("document_number", ""));
    card::PcscContext context;
    std::string name = context.resolve(reader);
    card::PcscCard card(context, name);

    card::PersoOptions options;
    options.verify.csca_files = {csca};
    auto t0 = std::chrono::steady_clock::now();
    auto report = card::personalize(card, profile, chip, options);
    double issue_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Inspection: a new session, PACE or BAC with the MRZ, Chip Authentication when DG14 offers it,
    // every file read, Passive Authentication.
    auto before = card.stats();
    t0 = std::chrono::steady_clock::now();
    card::ReadLimits limits;
    limits.chunk_plain = profile.read_chunk;
    limits.chunk_sm = profile.read_chunk_sm;
    limits.extended_length = profile.extended_length;
    card::ChipSession session(card, limits);
    auto mrz = mrz::parse(lds::Dg1::decode(*chip.file("EF.DG1")).mrz);
    std::string access = "plain";
    if (auto card_access = session.read_card_access(); card_access && profile.bac_seed) {
      access = "PACE";
      session.open_pace(*card_access, mrz.key_seed(), secure::PacePassword::Mrz);
      session.select_application(profile.select_applet);
    } else {
      session.select_application(profile.select_applet);
      if (profile.bac_seed) {
        access = "BAC";
        session.open_bac(secure::bac_keys(mrz.key_seed()));
      }
    }
    std::optional<card::TerminalCredentials> terminal;
    if (!terminal_certs.empty()) {
      terminal.emplace();
      for (const auto& c : terminal_certs) terminal->chain.push_back(pki::CvCertificate::load(c));
      terminal->key = std::make_shared<pki::CvPrivateKey>(pki::CvPrivateKey::load_pem(terminal_key));
    }
    std::vector<Check> mechanisms;
    auto read = card::read_chip(session, &mechanisms, terminal ? &*terminal : nullptr);
    auto verdict = inspection::verify_chip(read, options.verify);
    for (const auto& m : mechanisms) {
      if (m.status == Status::Fail) throw Error(m.name + ": " + m.detail);
      if (m.status == Status::Pass && m.name == "Chip Authentication") access += "+CA";
      if (m.status == Status::Pass && m.name == "Terminal Authentication") access += "+TA";
      if (m.status == Status::Pass && m.name == "Active Authentication") access += "+AA";
    }
    double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto after = card.stats();
    std::size_t read_apdus = after.apdus - before.apdus;
    std::size_t read_wire =
        (after.bytes_sent - before.bytes_sent) + (after.bytes_received - before.bytes_received);
    if (!verdict.passed()) throw Error("the card read back does not verify");

    std::size_t write_wire = report.write_wire.bytes_sent + report.write_wire.bytes_received;
    std::printf(
        "%-34s payload %6zu B | issue: %4zu APDUs, write %6zu B on the wire (%.3f x), %.3f s in all "
        "| read+verify (%s): %3zu APDUs, %6zu B (%.3f x), %.3f s\n",
        label.c_str(), report.payload_bytes, report.write_wire.apdus + report.verify_wire.apdus, write_wire,
        ratio(write_wire, report.payload_bytes), issue_s, access.c_str(), read_apdus, read_wire,
        ratio(read_wire, report.payload_bytes), read_s);

    // Each step alone, in host CPU milliseconds.
    card::ChipSession steps(card, limits);
    std::string line = "  steps (host CPU ms):";
    char buf[64];
    // Bytes the security protocols themselves put on the wire (not file data).
    auto wire_now = [&] { return card.stats().bytes_sent + card.stats().bytes_received; };
    std::size_t auth_wire = 0, mark = wire_now();
    auto count_auth = [&] {
      auth_wire += wire_now() - mark;
      mark = wire_now();
    };
    double t = cpu_ms();
    if (auto card_access = steps.read_card_access(); card_access && profile.bac_seed) {
      steps.open_pace(*card_access, mrz.key_seed(), secure::PacePassword::Mrz);
      steps.select_application(profile.select_applet);
      count_auth();
      std::snprintf(buf, sizeof buf, " PACE %.2f", cpu_ms() - t);
      line += buf;
    } else {
      steps.select_application(profile.select_applet);
      if (profile.bac_seed) steps.open_bac(secure::bac_keys(mrz.key_seed()));
      count_auth();
      std::snprintf(buf, sizeof buf, " BAC %.2f", cpu_ms() - t);
      line += buf;
    }
    if (const Bytes* dg14_bytes = read.file("EF.DG14")) {
      auto dg14 = lds::Dg14::decode(*dg14_bytes);
      auto offers = lds::chip_authentication_offers(dg14);
      if (!offers.empty()) {
        t = cpu_ms();
        steps.chip_authentication(secure::chip_authentication_protocol(offers[0].info.protocol),
                                  offers[0].key.subject_public_key_info, offers[0].info.key_id);
        count_auth();
        std::snprintf(buf, sizeof buf, ", CA %.2f", cpu_ms() - t);
        line += buf;
        if (terminal) {
          t = cpu_ms();
          steps.terminal_authentication(terminal->chain, *terminal->key);
          count_auth();
          std::snprintf(buf, sizeof buf, ", TA %.2f", cpu_ms() - t);
          line += buf;
        }
      }
      if (const Bytes* dg15_bytes = read.file("EF.DG15")) {
        auto dg15 = lds::Dg15::decode(*dg15_bytes);
        auto key = secure::aa_public_key(dg15.public_key_info);
        t = cpu_ms();
        Bytes challenge = secure::aa_challenge();
        auto r = steps.send(secure::internal_authenticate_command(challenge, key.signature_size));
        auto result = secure::verify_active_authentication(dg15, &dg14, challenge, r.data);
        if (!result.ok) throw Error(result.reason);
        count_auth();
        std::snprintf(buf, sizeof buf, ", AA %.2f", cpu_ms() - t);
        line += buf;
      }
    }
    t = cpu_ms();
    (void)inspection::verify_chip(read, options.verify);
    std::snprintf(buf, sizeof buf, ", PA and checks %.2f", cpu_ms() - t);
    line += buf;
    // The read+verify wire above without the protocols' own exchanges: what reading the files cost.
    std::size_t file_wire = read_wire > auth_wire ? read_wire - auth_wire : 0;
    std::snprintf(buf, sizeof buf, " | protocols %zu B on the wire, files %.3f x payload", auth_wire,
                  ratio(file_wire, report.payload_bytes));
    line += buf;
    std::printf("%s\n", line.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_card: " << e.what() << "\n";
    return 1;
  }
}
