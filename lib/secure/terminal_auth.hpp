// Terminal Authentication version 1 (BSI TR-03110-1 §3.5, TR-03110-3 B.3
// and B.14), host side, transport-agnostic. The terminal sends, under
// secure messaging (from Chip Authentication or PACE-CAM):
//
//   for each certificate (CVCA link certificates, DV, terminal):
//     MSE:Set DST   00 22 81 B6  data ta_mse_set_dst_data(cert.car)
//     PSO:Verify    00 2A 00 BE  data ta_verify_certificate_data(cert)
//   MSE:Set AT      00 22 81 A4  data ta_mse_set_at_data(terminal cert)
//   GET CHALLENGE   00 84 00 00  Le 08                -> r_PICC
//   EXTERNAL AUTH.  00 82 00 00  data ta_sign(...)
//
// The signed message is ID_PICC || r_PICC || Comp(ephemeral public key of
// the terminal from Chip Authentication, or of PACE-CAM). ta_commands()
// returns the whole sequence but GET CHALLENGE/EXTERNAL AUTHENTICATE as
// plain command APDUs for the caller to protect and send.
//
// ta_verify() is what the chip does with the EXTERNAL AUTHENTICATE data; it
// lets tests (and the virtual chip) cross-check.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "iso7816/apdu.hpp"
#include "pki/cvc.hpp"

namespace rcperso::secure {

/// Data of MSE:Set DST (P1P2 81B6): 83 || CAR, the key that verifies the next certificate.
Bytes ta_mse_set_dst_data(const std::string& car);
/// Data of PSO:Verify Certificate (P1P2 00BE): the 7F4E body and the 5F37
/// signature. With RSA keys it exceeds 255 bytes: the command then needs
/// extended length (CommandApdu picks it) or command chaining.
Bytes ta_verify_certificate_data(const pki::CvCertificate& cert);
/// The chip's side of PSO:Verify Certificate: the certificate in the command
/// data (7F4E body, 5F37 signature), decoded strictly; throws DecodeError.
pki::CvCertificate ta_parse_verify_certificate_data(ByteView data);
/// Data of MSE:Set AT for external authentication (P1P2 81A4): 80 the
/// terminal key's id-TA OID (value only), 83 the terminal certificate's CHR.
/// `with_oid` false leaves 80 out (B.14.1 lets TA v1 omit it).
Bytes ta_mse_set_at_data(const pki::CvCertificate& terminal, bool with_oid = true);

/// The certificate-related commands (MSE:Set DST + PSO:Verify Certificate per
/// certificate, then MSE:Set AT) for `chain` (link certificates, DV, terminal), unprotected.
std::vector<iso7816::CommandApdu> ta_commands(std::span<const pki::CvCertificate> chain,
                                              bool with_oid = true);
/// GET CHALLENGE with Le 8.
iso7816::CommandApdu ta_get_challenge();
/// EXTERNAL AUTHENTICATE carrying `signature`.
iso7816::CommandApdu ta_external_authenticate(ByteView signature);

/// Comp() of TR-03110-3 A.2.2.3 for ECDH: the x-coordinate of an
/// uncompressed point 04||x||y. Throws rcperso::Error for other encodings.
Bytes ta_compress_ec(ByteView point);
/// Comp() for DH: SHA-1 of the public value.
Bytes ta_compress_dh(ByteView public_value);

/// ID_PICC with BAC (or static binding): the document number with its check
/// digit, as in the MRZ (ISO 8859-1 bytes).
Bytes ta_id_picc_document_number(const std::string& number_with_check_digit);
/// ID_PICC with PACE (dynamic binding): Comp(chip's ephemeral PACE public key), EC.
inline Bytes ta_id_picc_pace_ec(ByteView chip_pace_public) { return ta_compress_ec(chip_pace_public); }

/// ID_PICC || r_PICC || Comp(PK_PCD): the message the terminal signs.
Bytes ta_message(ByteView id_picc, ByteView r_picc, ByteView comp_ephemeral);

/// The EXTERNAL AUTHENTICATE data: the terminal's signature over
/// ta_message() with the algorithm of the terminal certificate's key
/// (plain r||s for ECDSA). r_PICC must be 8 bytes.
Bytes ta_sign(const pki::CvPrivateKey& terminal_key, pki::TaAlgorithm algorithm, ByteView id_picc,
              ByteView r_picc, ByteView comp_ephemeral);

/// The chip's check of EXTERNAL AUTHENTICATE: `terminal_key` from the
/// validated chain (pki::CvChainResult::terminal_key, domain parameters filled in).
bool ta_verify(const pki::CvPublicKey& terminal_key, ByteView id_picc, ByteView r_picc,
               ByteView comp_ephemeral, ByteView signature);

}  // namespace rcperso::secure
