#include "issuance/prepare.hpp"

#include <openssl/rand.h>

#include <cmath>

#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"
#include "biometric/iso39794_face.hpp"
#include "biometric/iso39794_finger.hpp"
#include "core/error.hpp"
#include "image/image.hpp"
#include "issuance/face.hpp"
#include "issuance/fingerprint.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/card_access.hpp"
#include "lds/com.hpp"
#include "lds/dg1.hpp"
#include "lds/dg11.hpp"
#include "lds/dg12.hpp"
#include "lds/dg7.hpp"
#include "lds/files.hpp"
#include "lds/security_infos.hpp"
#include "lds/sod.hpp"
#include "mrz/mrz.hpp"
#include "pki/cvc.hpp"
#include "pki/hash.hpp"
#include "pki/sod_builder.hpp"
#include "secure/active_auth.hpp"
#include "secure/chip_auth.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::issuance {

namespace {

std::string utc_timestamp(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

biometric::FaceImage make_face(const Application& app, const DocumentProfile& profile, std::string& note) {
  const auto& f = profile.face;
  biometric::FaceImage face;
  face.gender = app.holder.sex == 'M' ? 1 : app.holder.sex == 'F' ? 2 : 0;
  face.face_image_type = 1;  // full frontal
  face.image_data_type = face_image_data_type(f);
  face.colour_space = f.colour ? 1 : 3;
  face.source_type = 1;  // static photograph, unknown source
  face.width = static_cast<std::uint16_t>(f.width);
  face.height = static_cast<std::uint16_t>(f.height);
  face.image = face_image_data(app.face, profile, note);
  return face;
}

// The same portrait as an ISO/IEC 39794-5 record (ICAO application profile).
biometric::Iso39794FaceRecord as_iso39794(const biometric::FaceImage& face) {
  biometric::Iso39794FaceRecord r;
  r.image = face.image;
  r.image_format = biometric::Face39794ImageFormat::Jpeg;  // make_face writes JPEG only
  r.width = face.width;
  r.height = face.height;
  r.colour_space = face.colour_space == 3 ? biometric::Face39794ColourSpace::Grey8
                                          : biometric::Face39794ColourSpace::Rgb24;
  return r;
}

biometric::FingerRecord make_finger(const FingerprintInput& in, const DocumentProfile& profile,
                                    std::string& note) {
  const auto& fp = profile.fingerprints;
  biometric::FingerRecord record;
  record.acquisition_level = static_cast<std::uint16_t>(fp.resolution_ppi >= 1000 ? 41 : 31);
  record.scale_units = 1;
  // The scanner's resolution: higher than the image's when a 1000 ppi capture was downsampled.
  const int scan_ppi = in.image.downsampled_from_ppi != 0 ? in.image.downsampled_from_ppi : fp.resolution_ppi;
  record.scan_res_h = record.scan_res_v = static_cast<std::uint16_t>(scan_ppi);
  record.image_res_h = record.image_res_v = static_cast<std::uint16_t>(fp.resolution_ppi);
  record.pixel_depth = 8;
  biometric::FingerImage finger;
  finger.position = in.position_code;
  finger.impression_type = 0;  // live-scan plain
  finger.width = static_cast<std::uint16_t>(in.image.info.width);
  finger.height = static_cast<std::uint16_t>(in.image.info.height);
  record.compression = fp.format == "wsq" ? 2 : 4;  // WSQ : JPEG 2000
  finger.image = fingerprint_image_data(in.image, profile, note);
  note = in.position + ": " + note;
  record.fingers.push_back(std::move(finger));
  return record;
}

// The same finger as an ISO/IEC 39794-4 record: one representation, its
// resolution in samples per inch.
biometric::Iso39794FingerRecord as_iso39794(const biometric::FingerRecord& record) {
  biometric::Iso39794FingerRecord r;
  for (const auto& f : record.fingers) {
    biometric::Finger39794Representation rep;
    rep.position = f.position;
    rep.impression = 0;  // plain contact (19794-4's live-scan plain)
    // make_finger writes WSQ (2) or lossy JPEG 2000 (4) only.
    rep.image_format = record.compression == 2 ? biometric::Finger39794ImageFormat::Wsq
                                               : biometric::Finger39794ImageFormat::Jpeg2000Lossy;
    rep.image = f.image;
    rep.sampling_rate = biometric::Finger39794SamplingRate{record.image_res_h, false};
    r.representations.push_back(std::move(rep));
  }
  return r;
}

Bytes make_signature_image(const InputImage& in, const DocumentProfile& profile, std::string& note) {
  const auto& s = profile.signature;
  if (signature_kept_as_is(in, profile)) {
    note = "kept as given: " + std::to_string(in.info.width) + "x" + std::to_string(in.info.height) +
           " JPEG, " + std::to_string(in.data.size()) + " bytes";
    return in.data;
  }
  const image::Raster converted = in.raster.channels == 1 ? image::Raster{} : image::to_gray(in.raster);
  const image::Raster& gray = in.raster.channels == 1 ? in.raster : converted;
  double scale = std::min(
      {1.0, static_cast<double>(s.max_width) / gray.width, static_cast<double>(s.max_height) / gray.height});
  int w = std::max(1, static_cast<int>(std::lround(gray.width * scale)));
  int h = std::max(1, static_cast<int>(std::lround(gray.height * scale)));
  const bool resize = w != gray.width || h != gray.height;
  const image::Raster resized = resize ? image::fit(gray, w, h) : image::Raster{};
  auto jpeg = image::encode_jpeg_within(resize ? resized : gray, s.max_bytes, 20, 95, in.path.string());
  note = std::to_string(w) + "x" + std::to_string(h) + " JPEG quality " + std::to_string(jpeg.quality) +
         ", " + std::to_string(jpeg.data.size()) + " bytes";
  return std::move(jpeg.data);
}

std::string endorsements(const Application& app) {
  std::string text = "PERMIT: " + app.document.permit_type;
  if (!app.document.remarks.empty()) text += "\nREMARKS: " + app.document.remarks;
  if (app.holder.fingerprint_exemption) text += std::string("\n") + kFingerprintExemptionText;
  return text;
}

/// DG14 (Chip Authentication's public key and protocol, Active Authentication's ECDSA hash,
/// Terminal Authentication, and the PACEInfos of EF.CardAccess, which the SOD protects only here),
/// DG15, EF.COM and EF.SOD over every data group.
/// `sha256` receives the data groups' digests when the profile hashes with SHA-256 (for the manifest).
void build_security_files(ChipImage& chip, const DocumentProfile& profile, pki::Signer& signer,
                          const ChipPublicKeys& keys, std::time_t now, Sha256ByFile& sha256) {
  std::vector<Bytes> infos;
  if (profile.chip_authentication) {
    if (!keys.chip_authentication) throw Error("no Chip Authentication public key for DG14");
    lds::ChipAuthenticationPublicKeyInfo key{
        profile.chip_authentication->dh_group ? lds::kIdPkDh : lds::kIdPkEcdh, *keys.chip_authentication,
        std::nullopt};
    lds::ChipAuthenticationInfo info{profile.chip_authentication->protocol, 1, std::nullopt};
    infos = {key.encode(), info.encode()};
  }
  if (profile.active_authentication) {
    if (!keys.active_authentication) throw Error("no Active Authentication public key for DG15");
    chip.files["EF.DG15"] = lds::build_dg15(keys.active_authentication->public_key_info).encode();
    if (keys.active_authentication->info) infos.push_back(keys.active_authentication->info->encode());
  }
  if (profile.terminal_authentication) infos.push_back(lds::terminal_authentication_info(1));
  if (!infos.empty()) {
    if (!profile.pace.empty()) {
      lds::CardAccess pace_infos;
      pace_infos.pace = profile.pace;
      const Bytes encoded_set = pace_infos.encode();
      tlv::Reader set(encoded_set, "PACEInfos");
      tlv::Reader items = set.enter(set.expect(der::kSet));
      while (!items.at_end()) {
        ByteView encoded = items.next().encoded;
        infos.emplace_back(encoded.begin(), encoded.end());
      }
    }
    chip.files["EF.DG14"] = lds::build_dg14(std::move(infos)).encode();
  }

  // EF.COM and EF.SOD over everything above.
  lds::Com com;
  com.lds_version = profile.lds_version;
  com.unicode_version = profile.unicode_version;
  auto hash = pki::hash_from_name(profile.hash_algorithm);
  lds::LdsSecurityObject lso;
  lso.version = profile.lds_security_object_version();
  lso.hash_algorithm_oid = pki::hash_oid(hash);
  if (lso.version == 1) lso.lds_version_info = std::make_pair(profile.lds_version, profile.unicode_version);
  for (const auto& [dg, data] : chip.data_group_files()) {
    const auto* file = lds::file_by_dg(dg);
    com.tags.push_back(file->tag);
    lso.hashes.push_back({dg, pki::digest(hash, *data)});
    if (hash == pki::HashAlgorithm::Sha256) sha256[file->name] = lso.hashes.back().hash;
  }
  chip.files["EF.COM"] = com.encode();
  auto scheme = signer.is_rsa() ? pki::scheme_from_name(profile.rsa_signature_scheme)
                                : pki::scheme_from_name(profile.ec_signature_scheme);
  chip.files["EF.SOD"] = pki::build_sod(lso, signer, hash, scheme, now);
}

/// The files that wait for the chip's public keys when the chip makes its own key pairs.
std::vector<std::string> pending_files(const DocumentProfile& profile) {
  std::vector<std::string> files = {"EF.COM"};
  bool aa_ecdsa = profile.active_authentication && profile.active_authentication->rfind("ecdsa", 0) == 0;
  if (profile.chip_authentication || profile.terminal_authentication || aa_ecdsa)
    files.emplace_back("EF.DG14");
  if (profile.active_authentication) files.emplace_back("EF.DG15");
  files.emplace_back("EF.SOD");
  return files;
}

}  // namespace

std::map<std::string, std::string> keys_on_chip_for(const DocumentProfile& profile) {
  if (profile.chip_authentication && profile.chip_authentication->dh_group) {
    throw Error("profile " + profile.name +
                ": Chip Authentication over DH keys cannot be generated on the chip (only EC keys can)");
  }
  if (!profile.chip_authentication && !profile.active_authentication) {
    throw Error(
        "profile " + profile.name +
        " has neither Chip nor Active Authentication: there are no chip keys to generate on the chip");
  }
  std::map<std::string, std::string> keys;
  if (profile.chip_authentication) keys["chip_authentication"] = profile.chip_authentication->curve;
  if (profile.active_authentication) keys["active_authentication"] = *profile.active_authentication;
  return keys;
}

ChipImage prepare(const Application& app, const DocumentProfile& profile, pki::Signer& signer,
                  const PrepareOptions& options, PrepareReport* report) {
  if (options.production && signer.is_test_key()) {
    throw Error("the Document Signer certificate is a TEST ONLY sample; production mode refuses it");
  }
  PrepareReport local;
  PrepareReport& rep = report != nullptr ? *report : local;
  ChipImage chip;

  // DG1: the MRZ.
  mrz::Td1Input td1;
  td1.document_code = profile.document_code;
  td1.issuing_state = profile.issuing_state;
  td1.document_number = app.document.number;
  td1.date_of_birth = app.holder.date_of_birth.yymmdd();
  td1.sex = app.holder.sex == 'X' ? '<' : app.holder.sex;
  td1.date_of_expiry = app.document.date_of_expiry.yymmdd();
  td1.nationality = app.holder.nationality;
  td1.primary_identifier = app.holder.surname;
  td1.secondary_identifier = app.holder.given_names;
  lds::Dg1 dg1;
  dg1.mrz = mrz::build_td1(td1);
  chip.files["EF.DG1"] = dg1.encode();

  // DG2: the face.
  biometric::FaceImage face = make_face(app, profile, rep.face);
  chip.files["EF.DG2"] =
      (profile.face.iso39794 ? lds::Dg2::from_face_39794(as_iso39794(face)) : lds::Dg2::from_face(face))
          .encode();

  // DG3: two fingers from age 6, otherwise an empty group with random filler
  // (as the German eAT does) so the file's size says nothing.
  if (profile.has_dg(3)) {
    if (!app.fingerprints.empty()) {
      std::vector<biometric::FingerRecord> records;
      for (const auto& in : app.fingerprints) {
        std::string note;
        records.push_back(make_finger(in, profile, note));
        rep.fingers.push_back(note);
      }
      if (profile.fingerprints.iso39794) {
        std::vector<biometric::Iso39794FingerRecord> records_39794;
        for (const auto& r : records) records_39794.push_back(as_iso39794(r));
        chip.files["EF.DG3"] = lds::Dg3::from_fingers_39794(records_39794).encode();
      } else {
        chip.files["EF.DG3"] = lds::Dg3::from_fingers(records).encode();
      }
      rep.fingerprint_status = std::to_string(records.size()) + " fingerprints";
    } else {
      Bytes random(16);
      if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw Error("random generator failed");
      chip.files["EF.DG3"] = lds::Dg3::empty(random).encode();
      rep.fingerprint_status = app.holder.fingerprint_exemption
                                   ? "none: holder exempt (physically unable)"
                                   : "none: holder under " +
                                         std::to_string(profile.fingerprints.minimum_age) +
                                         " on the date of issue";
    }
  }

  // DG7: displayed signature, from age 6.
  if (profile.has_dg(7) && app.signature) {
    lds::Dg7 dg7;
    dg7.images.push_back(make_signature_image(*app.signature, profile, rep.signature));
    chip.files["EF.DG7"] = dg7.encode();
  }

  if (profile.has_dg(11)) {
    lds::Dg11 dg11;
    dg11.set_text(lds::Dg11::kFullName, app.holder.surname + "<<" + app.holder.given_names);
    if (!app.holder.personal_number.empty())
      dg11.set_text(lds::Dg11::kPersonalNumber, app.holder.personal_number);
    dg11.set_text(lds::Dg11::kFullDateOfBirth, app.holder.date_of_birth.yyyymmdd());
    if (!app.holder.place_of_birth.empty())
      dg11.set_text(lds::Dg11::kPlaceOfBirth, app.holder.place_of_birth);
    chip.files["EF.DG11"] = dg11.encode();
  }
  if (profile.has_dg(12)) {
    lds::Dg12 dg12;
    dg12.set_text(lds::Dg12::kIssuingAuthority, app.document.issuing_authority);
    dg12.set_text(lds::Dg12::kDateOfIssue, app.document.date_of_issue.yyyymmdd());
    dg12.set_text(lds::Dg12::kEndorsements, endorsements(app));
    dg12.set_text(lds::Dg12::kPersonalizationTime, utc_timestamp(options.now, "%Y%m%d%H%M%S"));
    chip.files["EF.DG12"] = dg12.encode();
  }

  // The chip key pairs: made here, their private halves kept apart from the image, or made later by
  // the chip itself, which leaves DG14, DG15, EF.COM and EF.SOD to seal_chip_image at write time.
  for (const auto& pace : profile.pace) {
    std::string problem = pace_cam_problem(profile, pace);
    if (!problem.empty()) throw Error("profile " + profile.name + ": " + problem);
  }
  ChipPublicKeys public_keys;
  if (options.keys_on_chip) {
    chip.keys_on_chip = keys_on_chip_for(profile);
  } else {
    if (profile.chip_authentication) {
      const auto& ca = *profile.chip_authentication;
      secure::ChipKeyPair pair =
          ca.dh_group ? secure::generate_chip_dh_key(*ca.dh_group) : secure::generate_chip_ec_key(ca.curve);
      public_keys.chip_authentication = std::move(pair.subject_public_key_info);
      chip.keys.chip_authentication = std::move(pair.private_key);
    }
    if (profile.active_authentication) {
      secure::AaKeyPair aa = secure::generate_aa_key(*profile.active_authentication);
      chip.keys.active_authentication = aa.type == secure::AaKeyType::Rsa ? std::move(aa.rsa_private_exponent)
                                                                          : std::move(aa.ec_private_key);
      public_keys.active_authentication = std::move(aa);
    }
  }
  // Terminal Authentication: DG14 says the chip runs it; EF.CVCA names the CVCA it trusts.
  if (profile.terminal_authentication) {
    if (!options.cvca_certificate) {
      throw Error(
          "profile " + profile.name +
          " protects the fingerprints with Terminal Authentication: give the CVCA certificate (--cvca)");
    }
    pki::CvCertificate cvca;
    try {
      cvca = pki::CvCertificate::decode(*options.cvca_certificate);
    } catch (const DecodeError& e) {
      throw Error(std::string("the CVCA certificate is malformed: ") + e.what());
    }
    if (cvca.role() != pki::CvRole::Cvca || !cvca.self_signed())
      throw Error("the CVCA certificate " + cvca.chr + " is not a self-signed CVCA certificate");
    if (options.production && cvca.is_test_only())
      throw Error("the CVCA " + cvca.chr + " is a TEST ONLY sample; production mode refuses it");
    chip.files["EF.CVCA"] = pki::encode_ef_cvca({cvca.chr});
    chip.trust_point = *options.cvca_certificate;
  }
  // EF.CardAccess tells terminals which PACE the chip offers (outside the SOD, in the MF).
  if (!profile.pace.empty()) {
    lds::CardAccess card_access;
    card_access.pace = profile.pace;
    chip.files["EF.CardAccess"] = card_access.encode();
  }
  Sha256ByFile sha256;
  if (!options.keys_on_chip) build_security_files(chip, profile, signer, public_keys, options.now, sha256);

  chip.manifest = {{"format", kManifestFormat},
                   {"profile", profile.name},
                   {"document_number", app.document.number},
                   {"created", utc_timestamp(options.now, "%Y-%m-%dT%H:%M:%SZ")},
                   {"fingerprints", rep.fingerprint_status}};
  if (options.keys_on_chip) {
    chip.manifest["keys_on_chip"] = chip.keys_on_chip;
    chip.manifest["pending_files"] = pending_files(profile);
  } else {
    chip.manifest["signer"] = signer.key_type();
  }
  // The CAN rides with the chip keys: an access key never sits in clear beside the chip data.
  if (!app.document.card_access_number.empty() && !profile.pace.empty()) {
    chip.keys.card_access_number =
        SecureBytes(app.document.card_access_number.begin(), app.document.card_access_number.end());
  }
  if (!chip.trust_point.empty()) chip.manifest["cvca_certificate"] = to_hex(chip.trust_point);  // public
  if (!chip.keys.empty()) {  // names only, never the keys
    chip.manifest["chip_keys"] = nlohmann::json::array();
    if (chip.keys.chip_authentication) chip.manifest["chip_keys"].push_back("chip_authentication");
    if (chip.keys.active_authentication) chip.manifest["chip_keys"].push_back("active_authentication");
    if (chip.keys.card_access_number) chip.manifest["chip_keys"].push_back("card_access_number");
  }
  describe_files(chip, sha256);
  return chip;
}

void check_keys_on_chip_match(const ChipImage& image, const DocumentProfile& profile) {
  if (image.manifest.value("profile", "") != profile.name) {
    throw Error("the chip image was prepared for profile " + image.manifest.value("profile", "") + ", not " +
                profile.name);
  }
  // The chip made what preparation asked for, and nothing else.
  auto wanted = [&image](const char* name) {
    auto it = image.keys_on_chip.find(name);
    return it == image.keys_on_chip.end() ? std::string() : it->second;
  };
  const std::string ca_curve = profile.chip_authentication ? profile.chip_authentication->curve : "";
  const std::string aa_spec = profile.active_authentication.value_or("");
  if (wanted("chip_authentication") != ca_curve || wanted("active_authentication") != aa_spec) {
    throw Error("the chip image's keys_on_chip do not match profile " + profile.name +
                " (its Chip or Active Authentication changed since preparation); prepare it again");
  }
}

void seal_chip_image(ChipImage& image, const DocumentProfile& profile, pki::Signer& signer,
                     const ChipPublicKeys& keys, std::time_t now, bool production) {
  if (!image.awaits_chip_keys()) throw Error("the chip image does not await chip keys: it is sealed already");
  if (production && signer.is_test_key()) {
    throw Error("the Document Signer certificate is a TEST ONLY sample; production mode refuses it");
  }
  check_keys_on_chip_match(image, profile);
  const bool ca = profile.chip_authentication.has_value();
  const bool aa = profile.active_authentication.has_value();
  if (keys.chip_authentication.has_value() != ca || keys.active_authentication.has_value() != aa)
    throw Error("the chip's public keys are not the ones the chip image awaits");
  Sha256ByFile sha256;
  build_security_files(image, profile, signer, keys, now, sha256);
  image.manifest.erase("pending_files");
  image.manifest["signer"] = signer.key_type();
  image.manifest["sealed"] = utc_timestamp(now, "%Y-%m-%dT%H:%M:%SZ");
  describe_files(image, sha256);
}

}  // namespace rcperso::issuance
