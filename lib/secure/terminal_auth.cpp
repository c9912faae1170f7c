#include "secure/terminal_auth.hpp"

#include "core/error.hpp"
#include "pki/hash.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::secure {

namespace {

constexpr std::size_t kTaChallengeSize = 8;

iso7816::CommandApdu command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, Bytes data) {
  iso7816::CommandApdu c;
  c.cla = 0x00;
  c.ins = ins;
  c.p1 = p1;
  c.p2 = p2;
  c.data = std::move(data);
  return c;
}

}  // namespace

Bytes ta_mse_set_dst_data(const std::string& car) {
  if (car.empty() || car.size() > 16) throw Error("CAR '" + car + "' must be 1..16 characters");
  return tlv::encode(0x83, as_bytes(car));
}

Bytes ta_verify_certificate_data(const pki::CvCertificate& cert) {
  Bytes out = cert.encode_body();
  if (cert.signature.empty()) throw Error("CV certificate " + cert.chr + " is not signed");
  append(out, tlv::encode(0x5F37, cert.signature));
  return out;
}

pki::CvCertificate ta_parse_verify_certificate_data(ByteView data) {
  if (data.size() > 65535) throw DecodeError("PSO:Verify Certificate: data longer than 65535 bytes");
  return pki::CvCertificate::decode(tlv::encode(0x7F21, data));
}

Bytes ta_mse_set_at_data(const pki::CvCertificate& terminal, bool with_oid) {
  if (terminal.role() != pki::CvRole::InspectionSystem) {
    throw Error(pki::cv_label(terminal) + " is no terminal certificate");
  }
  tlv::Writer w;
  if (with_oid) w.add(0x80, der::oid_content(terminal.public_key.oid));
  w.add_string(0x83, terminal.chr);
  return w.bytes();
}

std::vector<iso7816::CommandApdu> ta_commands(std::span<const pki::CvCertificate> chain, bool with_oid) {
  if (chain.empty()) throw Error("Terminal Authentication needs a certificate chain");
  std::vector<iso7816::CommandApdu> out;
  for (const auto& cert : chain) {
    out.push_back(command(0x22, 0x81, 0xB6, ta_mse_set_dst_data(cert.car)));
    out.push_back(command(0x2A, 0x00, 0xBE, ta_verify_certificate_data(cert)));
  }
  out.push_back(command(0x22, 0x81, 0xA4, ta_mse_set_at_data(chain.back(), with_oid)));
  return out;
}

iso7816::CommandApdu ta_get_challenge() {
  iso7816::CommandApdu c = command(0x84, 0x00, 0x00, {});
  c.le = kTaChallengeSize;
  return c;
}

iso7816::CommandApdu ta_external_authenticate(ByteView signature) {
  return command(0x82, 0x00, 0x00, Bytes(signature.begin(), signature.end()));
}

Bytes ta_compress_ec(ByteView point) {
  if (point.size() < 3 || point[0] != 0x04 || point.size() % 2 != 1) {
    throw Error("Comp(): the ephemeral public key is not an uncompressed EC point");
  }
  std::size_t n = (point.size() - 1) / 2;
  return Bytes(point.begin() + 1, point.begin() + 1 + static_cast<std::ptrdiff_t>(n));
}

Bytes ta_compress_dh(ByteView public_value) {
  if (public_value.empty()) throw Error("Comp(): empty DH public value");
  return pki::digest(pki::HashAlgorithm::Sha1, public_value);
}

Bytes ta_id_picc_document_number(const std::string& number_with_check_digit) {
  if (number_with_check_digit.size() < 2) throw Error("ID_PICC: document number with check digit expected");
  for (char ch : number_with_check_digit) {
    bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '<';
    if (!ok) throw Error("ID_PICC: the document number must be MRZ characters");
  }
  ByteView v = as_bytes(number_with_check_digit);
  return Bytes(v.begin(), v.end());
}

Bytes ta_message(ByteView id_picc, ByteView r_picc, ByteView comp_ephemeral) {
  if (id_picc.empty()) throw Error("Terminal Authentication: empty ID_PICC");
  if (r_picc.size() != kTaChallengeSize) {
    throw Error("Terminal Authentication: r_PICC must be 8 bytes, is " + std::to_string(r_picc.size()));
  }
  if (comp_ephemeral.empty()) throw Error("Terminal Authentication: empty Comp(ephemeral public key)");
  Bytes m(id_picc.begin(), id_picc.end());
  append(m, r_picc);
  append(m, comp_ephemeral);
  return m;
}

Bytes ta_sign(const pki::CvPrivateKey& terminal_key, pki::TaAlgorithm algorithm, ByteView id_picc,
              ByteView r_picc, ByteView comp_ephemeral) {
  return terminal_key.sign(algorithm, ta_message(id_picc, r_picc, comp_ephemeral));
}

bool ta_verify(const pki::CvPublicKey& terminal_key, ByteView id_picc, ByteView r_picc,
               ByteView comp_ephemeral, ByteView signature) {
  Bytes m;
  try {
    m = ta_message(id_picc, r_picc, comp_ephemeral);
  } catch (const Error&) {
    return false;
  }
  return pki::ta_verify_signature(terminal_key, nullptr, m, signature);
}

}  // namespace rcperso::secure
