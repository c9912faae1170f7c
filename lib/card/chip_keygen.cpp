#include "card/chip_keygen.hpp"

#include <chrono>

#include "card/personalize.hpp"
#include "core/error.hpp"
#include "iso7816/apdu.hpp"
#include "secure/active_auth.hpp"
#include "secure/chip_auth.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::card {

namespace {

constexpr const char* kCa = "chip_authentication";
constexpr const char* kAa = "active_authentication";
constexpr std::uint32_t kPublicKeyTemplate = 0x7F49;

/// The card profile's generate_keys entry for a key the image awaits.
std::string generate_entry(const std::string& key, const std::string& value) {
  if (key == kCa) return "ca_ec";
  return secure::parse_aa_key_spec(value).type == secure::AaKeyType::Rsa ? "aa_rsa" : "aa_ec";
}

/// The public key template's fields: exactly `tags`, each once, nothing else.
std::map<tlv::Tag, Bytes> public_key_fields(ByteView response, std::initializer_list<tlv::Tag> tags,
                                            const std::string& what) {
  std::map<tlv::Tag, Bytes> fields;
  try {
    tlv::Element outer = tlv::decode_single(response, kPublicKeyTemplate, what + " public key");
    tlv::Reader inner(outer.value, what + " public key");
    while (!inner.at_end()) {
      tlv::Element e = inner.next();
      if (fields.count(e.tag) != 0) throw DecodeError("tag repeated");
      fields[e.tag] = Bytes(e.value.begin(), e.value.end());
    }
  } catch (const DecodeError& e) {
    throw PersoError("GENERATE ASYMMETRIC KEY PAIR (" + what +
                     "): the card's answer is not a public key template (7F49): " + e.what());
  }
  bool exact = fields.size() == tags.size();
  for (tlv::Tag t : tags) exact = exact && fields.count(t) != 0 && !fields[t].empty();
  if (!exact) {
    throw PersoError("GENERATE ASYMMETRIC KEY PAIR (" + what +
                     "): the card's public key template does not hold the expected fields");
  }
  return fields;
}

Bytes generate(Transport& card, const CardProfile& profile, const std::string& entry, Bytes data,
               const std::string& what) {
  iso7816::CommandApdu command = profile.generate_keys.at(entry);
  command.data = std::move(data);
  // An RSA modulus of 2048 bits and more does not fit a short answer.
  command.le = profile.extended_length ? 65536 : 256;
  iso7816::ResponseApdu r = card.transmit(command);
  if (!r.ok()) {
    throw PersoError("generating the " + what +
                     " key pair on the chip (GENERATE ASYMMETRIC KEY PAIR) failed: " + "the card answered " +
                     iso7816::status_text(r.sw));
  }
  return r.data;
}

}  // namespace

Bytes generate_ca_ec_data(const std::string& curve) {
  secure::EcDomain d = secure::ec_domain_of_curve(curve);
  tlv::Writer w;
  w.add(0x81, d.prime)
      .add(0x82, d.a)
      .add(0x83, d.b)
      .add(0x84, d.generator)
      .add(0x85, d.order)
      .add(0x87, d.cofactor);
  return w.bytes();
}

Bytes generate_aa_data(const std::string& aa_spec) {
  secure::AaKeySpec spec = secure::parse_aa_key_spec(aa_spec);
  tlv::Writer w;
  if (spec.type == secure::AaKeyType::Rsa) {
    Bytes bits;
    put_be(bits, static_cast<std::uint64_t>(spec.rsa_bits), 2);
    w.add(0x80, bits);
  } else {
    w.add_string(0x80, spec.curve)
        .add(0x81, Bytes{static_cast<std::uint8_t>(static_cast<int>(spec.hash) + 1)});
  }
  return w.bytes();
}

void check_keys_on_chip_supported(const CardProfile& profile, const issuance::ChipImage& image) {
  for (const auto& [key, value] : image.keys_on_chip) {
    if (key != kCa && key != kAa) throw Error("chip image: unknown key in keys_on_chip: " + key);
    if (key == kCa && !secure::is_supported_chip_curve(value))
      throw Error("chip image: keys_on_chip names an unsupported Chip Authentication curve '" + value + "'");
    std::string entry = generate_entry(key, value);
    if (profile.generate_keys.count(entry) == 0) {
      throw Error("the chip image awaits " + std::string(key == kCa ? "a Chip" : "an Active") +
                  " Authentication key made on the chip (" + value + "), but card profile " + profile.name +
                  " cannot generate one (no generate_keys." + entry +
                  "); prepare the image without --keys-on-chip for this card");
    }
  }
}

issuance::ChipPublicKeys generate_keys_on_chip(Transport& card, const CardProfile& profile,
                                               const issuance::ChipImage& image) {
  check_keys_on_chip_supported(profile, image);
  issuance::ChipPublicKeys keys;
  if (auto it = image.keys_on_chip.find(kCa); it != image.keys_on_chip.end()) {
    const std::string& curve = it->second;
    Bytes answer = generate(card, profile, "ca_ec", generate_ca_ec_data(curve), "Chip Authentication");
    auto fields = public_key_fields(answer, {0x86}, "Chip Authentication");
    try {
      keys.chip_authentication = secure::ec_public_key_info(curve, fields[0x86], true);
    } catch (const Error& e) {
      throw PersoError(std::string("the chip's Chip Authentication key is unusable: ") + e.what());
    }
  }
  if (auto it = image.keys_on_chip.find(kAa); it != image.keys_on_chip.end()) {
    const std::string& spec = it->second;
    bool rsa = secure::parse_aa_key_spec(spec).type == secure::AaKeyType::Rsa;
    Bytes answer =
        generate(card, profile, rsa ? "aa_rsa" : "aa_ec", generate_aa_data(spec), "Active Authentication");
    try {
      if (rsa) {
        auto fields = public_key_fields(answer, {0x81, 0x82}, "Active Authentication");
        keys.active_authentication = secure::aa_key_from_chip_rsa(spec, fields[0x81], fields[0x82]);
      } else {
        auto fields = public_key_fields(answer, {0x86}, "Active Authentication");
        keys.active_authentication = secure::aa_key_from_chip_ec(spec, fields[0x86]);
      }
    } catch (const PersoError&) {
      throw;
    } catch (const Error& e) {
      throw PersoError(std::string("the chip's Active Authentication key is unusable: ") + e.what());
    }
  }
  return keys;
}

PersoReport personalize_with_keys_on_chip(Transport& card, const CardProfile& profile,
                                          const issuance::ChipImage& image, const PersoOptions& options) {
  // Everything that can be checked without the card is checked first.
  check_keys_on_chip_supported(profile, image);
  if (!options.seal) {
    throw Error(
        "the chip image awaits the chip's own keys (keys_on_chip): DG14, DG15 and EF.SOD are built and "
        "signed at write time, which needs the Document Signer (--signer)");
  }
  // The files the card must hold are known but for the small pending ones: an image the card cannot
  // take is refused before a key pair is made for it.
  for (const auto& [name, bytes] : image.files) {
    if (bytes.size() > profile.max_file_size) {
      throw Error(name + " has " + std::to_string(bytes.size()) + " bytes; card profile " + profile.name +
                  " allows files of at most " + std::to_string(profile.max_file_size));
    }
  }
  auto step = [&options](const std::string& line) {
    if (options.on_step) options.on_step(line);
  };
  const WireStats at_start = card.stats();
  const auto start = std::chrono::steady_clock::now();

  // A torn card holds files and perhaps a generated key: it is erased (which forgets the key) and
  // redone, or set aside, exactly as personalize() treats it.
  CardState found = probe_card(card, profile);
  if (found == CardState::Locked) {
    throw PersoError("the card is locked: it was issued before and is never written again; set it aside");
  }
  bool erased = false;
  if (found == CardState::Personalized) {
    if (!profile.erase) {
      throw PersoError(
          "the card already holds files but is not locked (an interrupted run?), and card profile " +
          profile.name + " cannot erase it: the card is spoiled; set it aside");
    }
    step("card holds files from an interrupted run: erasing it");
    iso7816::ResponseApdu r = card.transmit(*profile.erase);
    if (!r.ok())
      throw PersoError("erasing the interrupted card failed: the card answered " +
                       iso7816::status_text(r.sw));
    if (probe_card(card, profile) != CardState::Blank) {
      throw PersoError(
          "the card still holds files after the erase command: the card is spoiled; set it aside");
    }
    erased = true;
  }

  issuance::ChipPublicKeys keys = generate_keys_on_chip(card, profile, image);
  std::string made;
  if (keys.chip_authentication) made += "Chip Authentication (" + image.keys_on_chip.at(kCa) + ")";
  if (keys.active_authentication)
    made +=
        std::string(made.empty() ? "" : ", ") + "Active Authentication (" + image.keys_on_chip.at(kAa) + ")";
  step("key pairs generated on the chip: " + made);

  issuance::ChipImage sealed = image;
  try {
    options.seal(sealed, keys);
  } catch (const PersoError&) {
    throw;
  } catch (const Error& e) {
    throw PersoError(std::string("building DG14/DG15 and EF.SOD from the chip's keys failed: ") + e.what());
  }
  if (sealed.awaits_chip_keys()) throw PersoError("the chip image was not sealed with the chip's keys");
  step("EF.SOD signed over the chip's public keys");
  const WireStats after_generation = card.stats();
  const double generation_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  PersoReport report = personalize(card, profile, sealed, options);
  report.found = found;
  report.erased_first = report.erased_first || erased;
  report.write_wire.apdus += after_generation.apdus - at_start.apdus;
  report.write_wire.bytes_sent += after_generation.bytes_sent - at_start.bytes_sent;
  report.write_wire.bytes_received += after_generation.bytes_received - at_start.bytes_received;
  report.write_seconds += generation_seconds;
  return report;
}

}  // namespace rcperso::card
