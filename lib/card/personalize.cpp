#include "card/personalize.hpp"

#include <algorithm>
#include <chrono>

#include <openssl/crypto.h>

#include "card/chip_keygen.hpp"
#include "card/chip_session.hpp"
#include "lds/active_auth_info.hpp"
#include "lds/card_access.hpp"
#include "lds/dg1.hpp"
#include "lds/files.hpp"
#include "lds/security_infos.hpp"
#include "mrz/mrz.hpp"
#include "secure/active_auth.hpp"
#include "secure/bac.hpp"
#include "secure/chip_auth.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::card {

using iso7816::CommandApdu;
using iso7816::ResponseApdu;

namespace {

constexpr std::size_t kShortData = 255;
constexpr std::size_t kOddInsOverhead = 9;  // 54 03 oo oo oo 53 82 LL LL

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

WireStats minus(const WireStats& a, const WireStats& b) {
  return {a.apdus - b.apdus, a.bytes_sent - b.bytes_sent, a.bytes_received - b.bytes_received};
}

Bytes fid_bytes(std::uint16_t fid) {
  Bytes b;
  put_be(b, fid, 2);
  return b;
}

std::string sw_text(std::uint16_t sw) { return iso7816::status_text(sw); }

/// The application's files in the order they are written: EF.COM first (with
/// EF.CardAccess in the MF, its presence marks a card that was touched),
/// EF.SOD last (its presence marks a complete write).
std::vector<const lds::FileInfo*> write_order(const issuance::ChipImage& image) {
  std::vector<const lds::FileInfo*> order;
  for (const auto& [name, bytes] : image.files) {
    if (name == "EF.CardAccess") continue;  // in the MF, written on its own
    const lds::FileInfo* info = lds::file_by_name(name);
    if (info == nullptr) throw Error("chip image: unknown elementary file " + name);
    order.push_back(info);
  }
  auto rank = [](const lds::FileInfo* f) {
    if (std::string_view(f->name) == "EF.COM") return 0;
    if (std::string_view(f->name) == "EF.SOD") return 2;
    return 1;
  };
  std::sort(order.begin(), order.end(), [&](const lds::FileInfo* a, const lds::FileInfo* b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a->fid < b->fid;
  });
  return order;
}

mrz::ParsedMrz mrz_of(const issuance::ChipImage& image) {
  const Bytes* dg1 = image.file("EF.DG1");
  if (dg1 == nullptr) throw Error("chip image has no EF.DG1, so there is no MRZ for the access key");
  try {
    return mrz::parse(lds::Dg1::decode(*dg1).mrz);
  } catch (const DecodeError& e) {
    throw Error(std::string("chip image: EF.DG1 is malformed: ") + e.what());
  }
}

CommandApdu create_file_apdu(const CardProfile& profile, const lds::FileInfo& file, std::size_t size) {
  CommandApdu c{0x00, 0xE0, 0x00, 0x00, {}, std::nullopt};
  if (profile.create_file == CreateFileTemplate::Jmrtd) {
    Bytes v;
    put_be(v, size, 2);
    put_be(v, file.fid, 2);
    c.data = tlv::encode(0x63, v);
    return c;
  }
  Bytes size_bytes;
  put_be(size_bytes, size, size > 0xFFFF ? 3 : 2);
  tlv::Writer fcp;
  fcp.add(0x80, size_bytes)
      .add(0x82, Bytes{0x01})  // transparent working EF
      .add(0x83, fid_bytes(file.fid))
      .add(0x88, Bytes{static_cast<std::uint8_t>(file.sfi << 3)});
  c.data = fcp.wrap(0x62);
  return c;
}

/// The card profile's PUT DATA for a prime-curve Chip Authentication key (tags 81-87).
constexpr const char* kChipAuthKeyName = "ca_ec_prime";
/// ... for a DH Chip Authentication key: 81 p, 82 q, 83 g, 84 private exponent x.
constexpr const char* kChipAuthDhKeyName = "ca_dh";
/// ... for Active Authentication: the JMRTD applet's RSA modulus and private exponent, rcsim's EC key.
constexpr const char* kAaRsaModulus = "aa_rsa_modulus";
constexpr const char* kAaRsaExponent = "aa_rsa_private_exponent";
constexpr const char* kAaEcNamed = "aa_ec_named";
/// ... for Terminal Authentication's trust point: the whole CVCA certificate.
constexpr const char* kCvcaCertificate = "cvca_certificate";
/// ... for PACE's CAN: 65 { 04 digits }.
constexpr const char* kCan = "can";

/// DG14's Chip Authentication key, if the chip image offers CA.
std::optional<Bytes> chip_authentication_public_key(const issuance::ChipImage& image) {
  const Bytes* dg14 = image.file("EF.DG14");
  if (dg14 == nullptr) return std::nullopt;
  std::vector<lds::ChipAuthenticationOffer> offers;
  try {
    offers = lds::chip_authentication_offers(lds::Dg14::decode(*dg14));
  } catch (const DecodeError& e) {
    throw Error(std::string("chip image: EF.DG14 is malformed: ") + e.what());
  }
  if (offers.empty()) return std::nullopt;
  if (offers.size() > 1) throw Error("chip image: EF.DG14 offers more than one Chip Authentication key");
  return offers.front().key.subject_public_key_info;
}

struct Personalizer {
  Personalizer(Transport& card, const CardProfile& profile, const PersoOptions& options)
      : card_(card), profile_(profile), options_(options) {}

  void step(const std::string& line) const {
    if (options_.on_step) options_.on_step(line);
  }

  /// A plain command whose failure stops the run.
  ResponseApdu must(const CommandApdu& c, const std::string& what) {
    ResponseApdu r = card_.transmit(c);
    if (!r.ok()) throw PersoError(what + " failed: the card answered " + sw_text(r.sw));
    return r;
  }

  void create(const lds::FileInfo& file, std::size_t size) {
    ResponseApdu r = card_.transmit(create_file_apdu(profile_, file, size));
    if (r.ok()) return;
    std::string what = std::string("CREATE FILE ") + file.name + " (" + std::to_string(size) + " bytes)";
    if (r.sw == 0x6A84) throw PersoError(what + ": not enough memory on the card (" + sw_text(r.sw) + ")");
    if (r.sw == 0x6A89) throw PersoError(what + ": the file exists already; the card is not blank");
    throw PersoError(what + " failed: the card answered " + sw_text(r.sw));
  }

  bool update_ok(std::uint16_t sw) const {
    return sw == 0x9000 || (profile_.update_accepts_6282 && sw == 0x6282);
  }

  void write(const lds::FileInfo& file, ByteView data) {
    std::uint16_t sw =
        card_.transmit(CommandApdu{0x00, 0xA4, 0x02, 0x0C, fid_bytes(file.fid), std::nullopt}).sw;
    if (sw != 0x9000)
      throw PersoError(std::string("SELECT ") + file.name + " after creating it: " + sw_text(sw));
    std::size_t offset = 0;
    while (offset < data.size()) {
      bool odd = offset > iso7816::kMaxShortOffset;
      std::size_t limit = chunk_;
      if (!profile_.extended_length) limit = std::min(limit, odd ? kShortData - kOddInsOverhead : kShortData);
      std::size_t n = std::min(limit, data.size() - offset);
      CommandApdu c;
      ByteView piece = data.subspan(offset, n);
      if (odd) {
        Bytes off;
        put_be(off, offset, offset > 0xFFFF ? 3 : 2);
        c = CommandApdu{0x00,        0xD7, 0x00, 0x00, tlv::Writer().add(0x54, off).add(0x53, piece).bytes(),
                        std::nullopt};
      } else {
        c = CommandApdu{0x00,
                        0xD6,
                        static_cast<std::uint8_t>(offset >> 8),
                        static_cast<std::uint8_t>(offset),
                        Bytes(piece.begin(), piece.end()),
                        std::nullopt};
      }
      if (profile_.update_needs_le) c.le = 0;
      ResponseApdu r = card_.transmit(c);
      if ((r.sw == 0x6700 || r.sw == 0x6B00) && chunk_ > 32) {
        // The card takes less than its profile said: step down and retry this chunk.
        std::size_t before = chunk_;
        chunk_ = chunk_ > kShortData ? kShortData : chunk_ > 223 ? 223 : chunk_ / 2;
        step("the card refused " + std::to_string(std::min(before, n)) + "-byte chunks (" + sw_text(r.sw) +
             "); continuing with " + std::to_string(chunk_));
        continue;
      }
      if (!update_ok(r.sw)) {
        throw PersoError(std::string("UPDATE BINARY ") + file.name + " at offset " + std::to_string(offset) +
                         " failed: the card answered " + sw_text(r.sw));
      }
      offset += n;
    }
  }

  void load_access_key(const mrz::ParsedMrz& mrz) {
    std::string number = mrz.document_number;
    if (profile_.pad_document_number && number.size() < 9) number.append(9 - number.size(), '<');
    tlv::Writer seed;
    seed.add_string(0x04, number).add_string(0x04, mrz.date_of_birth).add_string(0x04, mrz.date_of_expiry);
    CommandApdu put = *profile_.bac_seed;
    put.data = seed.wrap(0x62);
    put.le.reset();
    must(put, "loading the access key seed (PUT DATA)");
  }

  void load_chip_authentication_key(ByteView public_key_info, const SecureBytes& private_key) {
    const bool dh = secure::is_dh_chip_key(public_key_info);
    tlv::Writer key;
    std::uint32_t private_tag = 0x86;
    Bytes trailer;
    if (dh) {
      secure::DhDomain d = secure::dh_domain_of(public_key_info);
      key.add(0x81, d.prime).add(0x82, d.order).add(0x83, d.generator);
      private_tag = 0x84;
    } else {
      secure::EcDomain d = secure::ec_domain_of(public_key_info);
      key.add(0x81, d.prime).add(0x82, d.a).add(0x83, d.b).add(0x84, d.generator).add(0x85, d.order);
      trailer = tlv::encode(0x87, d.cofactor);
    }
    SecureBytes data(key.bytes().begin(), key.bytes().end());
    Bytes header;
    tlv::encode_tag(header, private_tag);
    tlv::encode_length(header, private_key.size());
    data.insert(data.end(), header.begin(), header.end());
    data.insert(data.end(), private_key.begin(), private_key.end());
    data.insert(data.end(), trailer.begin(), trailer.end());
    CommandApdu put = profile_.private_keys.at(dh ? kChipAuthDhKeyName : kChipAuthKeyName);
    put.data.assign(data.begin(), data.end());
    put.le.reset();
    ResponseApdu r = card_.transmit(put);
    OPENSSL_cleanse(put.data.data(), put.data.size());
    if (!r.ok())
      throw PersoError("loading the Chip Authentication key (PUT DATA) failed: the card answered " +
                       sw_text(r.sw));
  }

  /// PUT DATA with public data that may exceed a short APDU: one extended command where the card
  /// takes them, otherwise (or when it refuses with 6700) ISO 7816-4 command chaining.
  void put_data_chained(CommandApdu put, ByteView data, const std::string& what) {
    put.le.reset();
    if (data.size() <= kShortData || profile_.extended_length) {
      put.data.assign(data.begin(), data.end());
      ResponseApdu r = card_.transmit(put);
      if (r.ok()) return;
      if (r.sw != 0x6700 || data.size() <= kShortData)
        throw PersoError(what + " failed: the card answered " + sw_text(r.sw));
    }
    for (std::size_t offset = 0; offset < data.size(); offset += kShortData) {
      std::size_t n = std::min(kShortData, data.size() - offset);
      CommandApdu piece = put;
      if (offset + n < data.size()) piece.cla |= 0x10;
      piece.data.assign(data.begin() + static_cast<long>(offset),
                        data.begin() + static_cast<long>(offset + n));
      must(piece, what + " (chained)");
    }
  }

  /// PUT DATA one private key field; the command's copy of the secret is wiped after sending.
  void put_secret(const std::string& key_name, std::uint32_t outer_tag, ByteView prefix,
                  const SecureBytes& secret, const std::string& what) {
    CommandApdu put = profile_.private_keys.at(key_name);
    SecureBytes inner(prefix.begin(), prefix.end());
    Bytes header;
    tlv::encode_tag(header, outer_tag == 0x66 ? 0x82 : 0x04);
    tlv::encode_length(header, secret.size());
    inner.insert(inner.end(), header.begin(), header.end());
    inner.insert(inner.end(), secret.begin(), secret.end());
    Bytes outer;
    tlv::encode_tag(outer, outer_tag);
    tlv::encode_length(outer, inner.size());
    put.data = outer;
    put.data.insert(put.data.end(), inner.begin(), inner.end());
    put.le.reset();
    ResponseApdu r = card_.transmit(put);
    OPENSSL_cleanse(put.data.data(), put.data.size());
    if (!r.ok())
      throw PersoError("loading the " + what + " (PUT DATA) failed: the card answered " + sw_text(r.sw));
  }

  void load_active_authentication_key(const secure::AaPublicKey& key, std::optional<pki::HashAlgorithm> hash,
                                      const SecureBytes& private_key) {
    if (key.type == secure::AaKeyType::Rsa) {
      Bytes modulus = tlv::encode(0x04, secure::aa_rsa_modulus(key));
      CommandApdu put = profile_.private_keys.at(kAaRsaModulus);
      put.data = tlv::encode(0x60, modulus);
      put.le.reset();
      must(put, "loading the Active Authentication modulus (PUT DATA)");
      put_secret(kAaRsaExponent, 0x61, {}, private_key, "Active Authentication private exponent");
      return;
    }
    // rcsim's ECDSA key: 66 { 80 curve name, 81 hash 1..5, 82 scalar }.
    tlv::Writer prefix;
    prefix.add_string(0x80, key.curve)
        .add(0x81, Bytes{static_cast<std::uint8_t>(static_cast<int>(*hash) + 1)});
    put_secret(kAaEcNamed, 0x66, prefix.bytes(), private_key, "Active Authentication key");
  }

  Transport& card_;
  const CardProfile& profile_;
  const PersoOptions& options_;
  std::size_t chunk_ = 0;
};

bool exists(Transport& card, std::uint16_t fid, std::uint16_t& sw) {
  sw = card.transmit(CommandApdu{0x00, 0xA4, 0x02, 0x0C, fid_bytes(fid), std::nullopt}).sw;
  return sw == 0x9000;
}

}  // namespace

const char* card_state_name(CardState state) {
  switch (state) {
    case CardState::Blank:
      return "blank";
    case CardState::Personalized:
      return "personalized but not locked";
    case CardState::Locked:
      return "locked";
  }
  return "?";
}

CardState probe_card(Transport& card, const CardProfile& profile) {
  ResponseApdu r = card.transmit(profile.select_applet);
  if (r.sw == 0x6A82 && profile.create_application_df) {
    Bytes aid = from_hex(lds::kEmrtdAid);
    tlv::Writer df;
    df.add(0x82, Bytes{0x38}).add(0x83, fid_bytes(*profile.create_application_df)).add(0x84, aid);
    ResponseApdu created = card.transmit(CommandApdu{0x00, 0xE0, 0x00, 0x00, df.wrap(0x62), std::nullopt});
    if (!created.ok()) {
      throw PersoError("creating the eMRTD application DF failed: the card answered " + sw_text(created.sw));
    }
    r = card.transmit(profile.select_applet);
  }
  if (!r.ok()) {
    throw PersoError(card.description() + ": the card has no eMRTD personalization applet (SELECT answered " +
                     sw_text(r.sw) + "); is this the right card profile (" + profile.name + ")?");
  }
  bool any = false;
  for (const char* name : {"EF.COM", "EF.DG1", "EF.SOD"}) {
    std::uint16_t sw = 0;
    if (exists(card, lds::file_by_name(name)->fid, sw)) {
      any = true;
    } else if (sw == 0x6982 || sw == 0x6985 || sw == 0x6986) {
      return CardState::Locked;  // files are there, but only behind access control
    } else if (sw != 0x6A82) {
      throw PersoError(std::string("probing the card: SELECT ") + name + " answered " + sw_text(sw));
    }
  }
  if (profile.select_mf && card.transmit(*profile.select_mf).ok()) {
    std::uint16_t sw = 0;
    if (exists(card, lds::kCardAccessFid, sw)) any = true;
    ResponseApdu back = card.transmit(profile.select_applet);
    if (!back.ok())
      throw PersoError("probing the card: SELECT of the application answered " + sw_text(back.sw));
  }
  return any ? CardState::Personalized : CardState::Blank;
}

PersoReport personalize(Transport& card, const CardProfile& profile, const issuance::ChipImage& image,
                        const PersoOptions& options) {
  if (image.awaits_chip_keys()) return personalize_with_keys_on_chip(card, profile, image, options);
  // Everything that can be checked without the card is checked first.
  PersoReport report;
  auto order = write_order(image);
  for (const auto* f : order) {
    std::size_t size = image.file(f->name)->size();
    if (size > profile.max_file_size) {
      throw Error(std::string(f->name) + " has " + std::to_string(size) + " bytes; card profile " +
                  profile.name + " allows files of at most " + std::to_string(profile.max_file_size));
    }
    if (size > iso7816::kMaxShortOffset + 1 && !profile.odd_ins) {
      throw Error(std::string(f->name) + " has " + std::to_string(size) + " bytes; card profile " +
                  profile.name + " cannot write beyond offset 32767 (no odd-INS UPDATE BINARY)");
    }
    report.payload_bytes += size;
  }
  if (image.file("EF.COM") == nullptr || image.file("EF.SOD") == nullptr) {
    throw Error("chip image lacks EF.COM or EF.SOD; prepare it with rcperso prepare");
  }
  const Bytes* card_access = image.file("EF.CardAccess");
  if (card_access != nullptr) {
    if (!profile.select_mf) {
      throw Error("the chip image offers PACE (EF.CardAccess), but card profile " + profile.name +
                  " has no master file to hold it; use a document profile without PACE for this card");
    }
    if (card_access->size() > profile.max_file_size)
      throw Error("EF.CardAccess is larger than the card allows");
    report.payload_bytes += card_access->size();
  }
  report.files = order.size() + (card_access != nullptr ? 1 : 0);
  mrz::ParsedMrz mrz = mrz_of(image);
  if (profile.bac_seed && !mrz.all_checks_ok())
    throw Error("chip image: the MRZ in EF.DG1 has wrong check digits");

  std::optional<Bytes> ca_public_key = chip_authentication_public_key(image);
  // Keys the chip generated itself are on it already; only keys made in preparation are loaded.
  const bool ca_on_chip = image.keys_on_chip.count("chip_authentication") != 0;
  const bool aa_on_chip = image.keys_on_chip.count("active_authentication") != 0;
  if (ca_public_key && !ca_on_chip) {
    if (!image.keys.chip_authentication) {
      throw Error(
          "the chip image offers Chip Authentication (EF.DG14) but its chip keys were not given; "
          "pass the key file that rcperso prepare wrote (--chip-keys)");
    }
    bool dh = false;
    try {
      dh = secure::is_dh_chip_key(*ca_public_key);
    } catch (const Error& e) {
      throw Error(std::string("chip image: EF.DG14's Chip Authentication key: ") + e.what());
    }
    const char* slot = dh ? kChipAuthDhKeyName : kChipAuthKeyName;
    if (profile.private_keys.count(slot) == 0) {
      throw Error("card profile " + profile.name + " cannot load a" + (dh ? " DH" : "n EC") +
                  " Chip Authentication key (no private_keys." + slot + "); use a document profile with " +
                  (dh ? "ECDH or without " : "out ") + "Chip Authentication for this card");
    }
    if (dh && !profile.extended_length) {
      throw Error("card profile " + profile.name +
                  " has no extended length, which the DH Chip Authentication key's PUT DATA needs "
                  "(p and g alone exceed 255 bytes)");
    }
    if (!secure::chip_key_matches(*ca_public_key, *image.keys.chip_authentication)) {
      throw Error("the chip keys do not belong to this chip image: the private key does not match EF.DG14");
    }
  }

  std::optional<secure::AaPublicKey> aa_key;
  std::optional<pki::HashAlgorithm> aa_hash;
  if (const Bytes* dg15 = image.file("EF.DG15")) {
    try {
      aa_key = secure::aa_public_key(lds::Dg15::decode(*dg15).public_key_info);
      if (aa_key->type == secure::AaKeyType::Ec) {
        const Bytes* dg14 = image.file("EF.DG14");
        auto info =
            dg14 != nullptr ? lds::active_authentication_info(lds::Dg14::decode(*dg14)) : std::nullopt;
        if (!info)
          throw DecodeError("EF.DG14 names no ActiveAuthenticationInfo for the ECDSA key of EF.DG15");
        aa_hash = secure::aa_ecdsa_hash(info->signature_algorithm);
      }
    } catch (const DecodeError& e) {
      throw Error(std::string("chip image: ") + e.what());
    }
    if (!image.keys.active_authentication && !aa_on_chip) {
      throw Error(
          "the chip image offers Active Authentication (EF.DG15) but its chip keys were not given; "
          "pass the key file that rcperso prepare wrote (--chip-keys)");
    }
    bool rsa = aa_key->type == secure::AaKeyType::Rsa;
    bool can = rsa ? profile.private_keys.count(kAaRsaModulus) != 0 &&
                         profile.private_keys.count(kAaRsaExponent) != 0
                   : profile.private_keys.count(kAaEcNamed) != 0;
    if (!can && !aa_on_chip) {
      throw Error("card profile " + profile.name + " cannot load an Active Authentication key (" +
                  aa_key->description +
                  "); use a document profile without Active Authentication for this card");
    }
  }

  if (image.keys.card_access_number && profile.private_keys.count(kCan) == 0) {
    throw Error("card profile " + profile.name + " cannot load a card access number (no private_keys." +
                kCan + ")");
  }
  if (!image.trust_point.empty() && profile.private_keys.count(kCvcaCertificate) == 0) {
    throw Error("card profile " + profile.name +
                " cannot load a CVCA certificate for Terminal Authentication (no private_keys." +
                kCvcaCertificate + ")");
  }

  Personalizer perso(card, profile, options);
  perso.chunk_ = profile.chunk_plain;
  const WireStats at_start = card.stats();
  auto start = Clock::now();

  auto stage = [&options](PersoStage s) {
    if (options.on_stage) options.on_stage(s);
  };
  // 1. The card must be blank; a torn one is wiped if the profile can.
  stage(PersoStage::Probe);
  report.found = probe_card(card, profile);
  if (report.found == CardState::Locked) {
    throw PersoError("the card is locked: it was issued before and is never written again; set it aside");
  }
  if (report.found == CardState::Personalized) {
    if (!profile.erase) {
      throw PersoError(
          "the card already holds files but is not locked (an interrupted run?), and card profile " +
          profile.name + " cannot erase it: the card is spoiled; set it aside");
    }
    perso.step("card holds files from an interrupted run: erasing it");
    perso.must(*profile.erase, "erasing the interrupted card");
    if (probe_card(card, profile) != CardState::Blank) {
      throw PersoError(
          "the card still holds files after the erase command: the card is spoiled; set it aside");
    }
    report.erased_first = true;
  }
  perso.step(std::string("card is blank (") + profile.name + ")");
  stage(PersoStage::Write);

  // 2-3. Create and write every file: EF.CardAccess in the MF, the rest in the application.
  if (card_access != nullptr) {
    perso.must(*profile.select_mf, "SELECT of the master file");
    const lds::FileInfo* info = lds::file_by_name("EF.CardAccess");
    perso.create(*info, card_access->size());
    perso.write(*info, *card_access);
    perso.must(profile.select_applet, "SELECT of the application");
  }
  for (const auto* f : order) perso.create(*f, image.file(f->name)->size());
  perso.step("created " + std::to_string(report.files) + " files");
  for (const auto* f : order) perso.write(*f, *image.file(f->name));
  report.write_chunk = perso.chunk_;
  perso.step("wrote " + std::to_string(report.payload_bytes) + " bytes in chunks of up to " +
             std::to_string(perso.chunk_));

  // 4. The access key seed: BAC's keys and PACE's MRZ password. Chip private keys come with CA/AA.
  if (profile.bac_seed) {
    perso.load_access_key(mrz);
    perso.step("access key seed loaded");
  }
  if (ca_public_key && !ca_on_chip) {
    perso.load_chip_authentication_key(*ca_public_key, *image.keys.chip_authentication);
    perso.step("Chip Authentication key loaded");
  }
  if (aa_key && !aa_on_chip) {
    perso.load_active_authentication_key(*aa_key, aa_hash, *image.keys.active_authentication);
    perso.step("Active Authentication key loaded");
  }
  if (image.keys.card_access_number) {
    perso.put_secret(kCan, 0x65, {}, *image.keys.card_access_number, "card access number");
    perso.step("card access number loaded");
  }
  if (!image.trust_point.empty()) {
    perso.put_data_chained(profile.private_keys.at(kCvcaCertificate), image.trust_point,
                           "loading the CVCA certificate for Terminal Authentication (PUT DATA)");
    perso.step("CVCA trust point loaded");
  }
  report.write_seconds = seconds_since(start);
  const WireStats after_write = card.stats();
  report.write_wire = minus(after_write, at_start);

  // 5. Read everything back through the chip's own access control.
  start = Clock::now();
  stage(PersoStage::ReadBack);
  ReadLimits limits;
  limits.chunk_plain = profile.read_chunk;
  limits.chunk_sm = profile.read_chunk_sm;
  limits.extended_length = profile.extended_length;
  limits.max_file_size = profile.max_file_size;
  ChipSession session(card, limits);
  std::string access = "no access control";
  try {
    if (card_access != nullptr) {
      auto read = session.read_card_access();
      if (!read || *read != *card_access)
        throw PersoError("read-back: EF.CardAccess differs from what was written");
      if (profile.bac_seed)
        access = session.open_pace(*card_access, mrz.key_seed(), secure::PacePassword::Mrz);
    }
    session.select_application(profile.select_applet);
    if (profile.bac_seed && card_access == nullptr) {
      session.open_bac(secure::bac_keys(mrz.key_seed()));
      access = "BAC and secure messaging";
    }
  } catch (const AccessDenied& e) {
    throw PersoError(std::string("read-back: ") + e.what());
  } catch (const CardError&) {
    throw;
  } catch (const Error& e) {
    throw PersoError(std::string("read-back: ") + e.what());
  }
  issuance::ChipImage back;
  try {
    back = read_chip(session, &report.mechanisms);
  } catch (const CardError&) {
    throw;
  } catch (const Error& e) {
    throw PersoError(std::string("read-back failed: ") + e.what());
  }
  for (const auto& m : report.mechanisms) {
    if (m.status == Status::Fail) throw PersoError("read-back: " + m.name + ": " + m.detail);
    if (m.status == Status::Pass) perso.step(m.name + " passed (" + m.detail + ")");
  }
  for (const auto& problem : back.manifest_problems) throw PersoError("read-back: " + problem);
  if (card_access != nullptr) back.files["EF.CardAccess"] = *card_access;  // compared above
  if (const Bytes* cvca = image.file("EF.CVCA"); cvca != nullptr && back.file("EF.CVCA") == nullptr) {
    try {
      back.files["EF.CVCA"] =
          session.read_small_file(lds::file_by_name("EF.CVCA")->fid, "EF.CVCA", cvca->size());
    } catch (const CardError&) {
      throw;
    } catch (const Error& e) {
      throw PersoError(std::string("read-back: ") + e.what());
    }
  }
  for (const auto& [name, bytes] : image.files) {
    const Bytes* read = back.file(name);
    if (read == nullptr)
      throw PersoError("read-back: " + name + " was written but EF.COM does not lead to it");
    if (*read != bytes) {
      auto diff = std::mismatch(read->begin(), read->end(), bytes.begin(), bytes.end());
      throw PersoError("read-back: " + name + " differs from what was written, first at byte " +
                       std::to_string(diff.first - read->begin()));
    }
  }
  for (const auto& [name, bytes] : back.files) {
    if (image.file(name) == nullptr)
      throw PersoError("read-back: the card holds " + name + ", which was not written");
  }
  perso.step("read back " + std::to_string(back.files.size()) + " files (" + access + "): identical");

  // 6. Passive Authentication and the issuer's rules on what the card holds.
  report.verification = inspection::verify_chip(back, options.verify);
  if (!report.verification.passed()) {
    std::string failed;
    for (const auto& c : report.verification.checks) {
      if (c.status == Status::Fail) failed += "\n  " + c.name + ": " + c.detail;
    }
    throw PersoError("verification of the card's content failed:" + failed);
  }
  perso.step("Passive Authentication passed");

  // 7. Lock, then prove the lock holds: files are no longer served in the clear.
  if (options.before_lock) options.before_lock(image);
  stage(PersoStage::Lock);
  if (profile.lock) {
    session.select_application(profile.select_applet);
    perso.must(*profile.lock, "locking the card");
    std::uint16_t sw = 0;
    session.select_application(profile.select_applet);
    if (exists(card, lds::file_by_name("EF.COM")->fid, sw)) {
      throw PersoError("the card accepted the lock command but still serves files without access control");
    }
    report.locked = true;
    perso.step("locked");
  }
  report.verify_seconds = seconds_since(start);
  report.verify_wire = minus(card.stats(), after_write);
  return report;
}

}  // namespace rcperso::card
