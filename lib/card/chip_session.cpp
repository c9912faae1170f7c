#include "card/chip_session.hpp"

#include <algorithm>

#include "issuance/chip_image.hpp"
#include "lds/card_access.hpp"
#include "lds/com.hpp"
#include "lds/files.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "secure/active_auth.hpp"
#include "secure/terminal_auth.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::card {

using iso7816::CommandApdu;
using iso7816::ResponseApdu;

namespace {

constexpr std::size_t kSmallestChunk = 16;
constexpr std::size_t kHeaderProbe = 8;  // enough for any TLV header we accept (3 tag + 4 length bytes)
constexpr std::uint16_t kEndOfFileWarning = 0x6282;

std::string hex4(std::uint16_t v) {
  return to_hex_upper(Bytes{static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

bool wrong_length(std::uint16_t sw) { return sw == 0x6700; }

}  // namespace

std::optional<std::size_t> tlv_total_size(ByteView head) {
  std::size_t pos = 0;
  if (head.empty()) return std::nullopt;
  if (head[0] == 0x00 || head[0] == 0xFF) throw DecodeError("file does not start with a BER-TLV tag");
  pos = 1;
  if ((head[0] & 0x1F) == 0x1F) {
    do {
      if (pos >= head.size()) return std::nullopt;
      if (pos >= 3) throw DecodeError("file starts with a tag longer than 3 bytes");
    } while ((head[pos++] & 0x80) != 0);
  }
  if (pos >= head.size()) return std::nullopt;
  std::uint8_t first = head[pos++];
  std::size_t length = first;
  if (first == 0x80) throw DecodeError("file has an indefinite length");
  if (first > 0x80) {
    std::size_t n = first & 0x7F;
    if (n > 3) throw DecodeError("file length field of " + std::to_string(n) + " bytes is too long");
    if (head.size() < pos + n) return std::nullopt;
    length = get_be(head, pos, n);
    pos += n;
  }
  return pos + length;
}

ChipSession::ChipSession(Transport& transport, ReadLimits limits) : transport_(transport), limits_(limits) {}

void ChipSession::select_application(const CommandApdu& select) {
  // After BAC a new SELECT starts over; after PACE it runs inside the channel.
  if (bac_keys_) sm_.reset();
  bac_keys_.reset();
  select_application_ = select;
  ResponseApdu r = send(select);
  if (!r.ok()) {
    throw Error(transport_.description() + ": the card has no eMRTD application (SELECT answered " +
                iso7816::status_text(r.sw) + ")");
  }
}

void ChipSession::open_bac(const secure::BacKeys& keys) {
  sm_.reset();
  ResponseApdu challenge = transport_.transmit(CommandApdu{0x00, 0x84, 0x00, 0x00, {}, 8});
  if (!challenge.ok() || challenge.data.size() != 8) {
    throw AccessDenied("BAC: the chip gave no challenge (GET CHALLENGE answered " +
                       iso7816::status_text(challenge.sw) + "); it may not support Basic Access Control");
  }
  secure::BacInitiator bac(keys);
  CommandApdu auth{0x00, 0x82, 0x00, 0x00, bac.authenticate_data(challenge.data), 40};
  ResponseApdu answer = transport_.transmit(auth);
  if (!answer.ok()) {
    throw AccessDenied(
        "BAC failed: the chip does not accept the access key from the MRZ (EXTERNAL AUTHENTICATE answered " +
        iso7816::status_text(answer.sw) + "); check the document number, date of birth and date of expiry");
  }
  try {
    sm_.emplace(bac.finish(answer.data));
  } catch (const Error& e) {
    throw AccessDenied(std::string("BAC failed: ") + e.what());
  }
  bac_keys_ = keys;
  // TA after BAC binds to the document number with its check digit (TR-03110-1 §3.5, static binding).
  try {
    id_picc_ =
        keys.document_number.empty() ? Bytes{} : secure::ta_id_picc_document_number(keys.document_number);
  } catch (const Error&) {
    id_picc_.clear();  // not MRZ characters: TA says it has no ID_PICC, BAC itself is fine
  }
  pace_access_.reset();
  pace_cam_.reset();
  chip_auth_.reset();
  ca_terminal_key_.clear();
}

std::optional<Bytes> ChipSession::read_card_access() {
  sm_.reset();
  ResponseApdu mf = transport_.transmit(CommandApdu{0x00, 0xA4, 0x00, 0x0C, from_hex("3F00"), std::nullopt});
  if (!mf.ok()) return std::nullopt;  // no MF to select: a chip without PACE (the JMRTD applet)
  std::uint16_t sw = select_file(lds::kCardAccessFid);
  if (sw == 0x6A82) return std::nullopt;
  if (sw != 0x9000) throw Error("EF.CardAccess: SELECT answered " + iso7816::status_text(sw));
  return read_file(lds::kCardAccessFid, "EF.CardAccess");
}

std::string ChipSession::open_pace(ByteView card_access, std::string_view password,
                                   secure::PacePassword type) {
  lds::CardAccess ca;
  try {
    ca = lds::CardAccess::decode(card_access);
  } catch (const DecodeError& e) {
    throw Error(std::string("EF.CardAccess is malformed: ") + e.what());
  }
  // The first PACEInfo this host implements, but PACE-CAM before Generic and Integrated Mapping
  // wherever the chip lists it: it authenticates the chip inside PACE, with no Chip Authentication
  // v1 afterwards (ICAO 9303-11 §4.4.3.5).
  std::optional<secure::PaceProtocol> protocol;
  int parameter_id = 0;
  for (bool want_cam : {true, false}) {
    for (const auto& info : ca.pace) {
      try {
        auto p = secure::pace_protocol(info.protocol);
        if ((p.mapping == secure::PaceMapping::ChipAuthentication) != want_cam || !info.parameter_id)
          continue;
        protocol = p;
        parameter_id = *info.parameter_id;
        break;
      } catch (const Error&) {
        continue;
      }
    }
    if (protocol) break;
  }
  if (!protocol) {
    throw PaceUnsupported(
        "EF.CardAccess offers no PACE protocol this inspection system implements (Generic, Integrated or "
        "Chip Authentication Mapping)");
  }
  sm_.reset();
  bac_keys_.reset();
  pace_cam_.reset();
  auto initiator = std::make_unique<secure::PaceInitiator>(
      *protocol, parameter_id, secure::pace_password_key(password, type, *protocol));
  secure::PaceInitiator& pace = *initiator;
  // MSE:Set AT without Le; with the parameter reference first, without it for chips that refuse it.
  ResponseApdu mse = transport_.transmit(
      CommandApdu{0x00, 0x22, 0xC1, 0xA4, pace.mse_set_at_data(type, true), std::nullopt});
  if (mse.sw == 0x6A80 || mse.sw == 0x6A86) {
    mse = transport_.transmit(
        CommandApdu{0x00, 0x22, 0xC1, 0xA4, pace.mse_set_at_data(type, false), std::nullopt});
  }
  const char* what = type == secure::PacePassword::Can ? "CAN" : "MRZ";
  if (!mse.ok()) {
    throw AccessDenied(std::string("PACE: the chip refused MSE:Set AT for ") + what + " (" +
                       iso7816::status_text(mse.sw) + ")");
  }
  const bool cam = protocol->mapping == secure::PaceMapping::ChipAuthentication;
  Bytes encrypted_chip_auth_data;  // PACE-CAM: A_IC (8A) after the chip's token
  auto step = [&](tlv::Tag tag, ByteView value, bool last, tlv::Tag expect) -> Bytes {
    Bytes inner = tag == 0 ? Bytes{} : tlv::encode(tag, value);
    CommandApdu ga{
        static_cast<std::uint8_t>(last ? 0x00 : 0x10), 0x86, 0x00, 0x00, tlv::encode(0x7C, inner), 256};
    ResponseApdu r = transport_.transmit(ga);
    if (!r.ok()) {
      if (last && (r.sw == 0x6300 || (r.sw & 0xFFF0) == 0x63C0)) {
        throw AccessDenied(std::string("PACE failed: the chip does not accept the ") + what + "; check the " +
                           (type == secure::PacePassword::Can
                                ? "card access number"
                                : "document number, date of birth and date of expiry"));
      }
      throw AccessDenied(std::string("PACE: GENERAL AUTHENTICATE answered ") + iso7816::status_text(r.sw));
    }
    try {
      tlv::Element outer = tlv::decode_single(r.data, 0x7C, "PACE response");
      tlv::Reader reader(outer.value, "PACE response");
      tlv::Element e = reader.expect(expect);
      // After the token an EAC chip may name CARs (87, 88) before PACE-CAM's A_IC (8A).
      while (last && cam && !reader.at_end()) {
        tlv::Element more = reader.next();
        if (more.tag == 0x8A) encrypted_chip_auth_data.assign(more.value.begin(), more.value.end());
      }
      if (last && cam && encrypted_chip_auth_data.empty())
        throw DecodeError("no Encrypted Chip Authentication Data (8A) after the PACE-CAM token");
      return Bytes(e.value.begin(), e.value.end());
    } catch (const DecodeError& e) {
      throw Error(std::string("PACE: malformed chip response: ") + e.what());
    }
  };
  pace.receive_encrypted_nonce(step(0, {}, false, 0x80));
  if (protocol->mapping == secure::PaceMapping::Integrated) {
    Bytes t = pace.integrated_mapping_nonce();
    pace.receive_integrated_mapping_response(step(0x81, t, false, 0x82));
  } else {
    Bytes map = pace.mapping_public_key();
    pace.receive_chip_mapping_key(step(0x81, map, false, 0x82));
  }
  Bytes eph = pace.ephemeral_public_key();
  pace.receive_chip_ephemeral_key(step(0x83, eph, false, 0x84));
  Bytes token = pace.terminal_token();
  try {
    sm_.emplace(pace.finish(step(0x85, token, true, 0x86)));
  } catch (const AccessDenied&) {
    throw;
  } catch (const Error& e) {
    throw AccessDenied(e.what());
  }
  id_picc_ = protocol->ecdh ? secure::ta_id_picc_pace_ec(pace.chip_ephemeral_public_key())
                            : secure::ta_compress_dh(pace.chip_ephemeral_public_key());
  pace_access_ = PaceAccess{Bytes(card_access.begin(), card_access.end()),
                            SecureString(password.begin(), password.end()), type};
  chip_auth_.reset();
  ca_terminal_key_.clear();
  if (cam) {
    // TA after PACE-CAM signs Comp() of the terminal's ephemeral PACE key (TR-03110-1 §3.5).
    ca_terminal_key_ = secure::ta_compress_ec(pace.terminal_ephemeral_public_key());
    pace_cam_ = PaceCam{std::move(initiator), protocol->oid, std::move(encrypted_chip_auth_data), {}};
  }
  return "PACE " + lds::oid_name(protocol->oid) + ", " + secure::pace_parameter_name(parameter_id) + ", " +
         what;
}

std::string ChipSession::chip_authentication(const secure::ChipAuthProtocol& protocol,
                                             ByteView chip_public_key_info,
                                             std::optional<std::uint64_t> key_id) {
  if (!sm_) throw Error("Chip Authentication needs an open PACE or BAC channel");
  secure::ChipAuthentication ca(protocol, chip_public_key_info);
  Bytes key_ref;
  if (key_id) {
    Bytes id;  // the key reference as a minimal unsigned integer
    std::uint64_t v = *key_id;
    do {
      id.insert(id.begin(), static_cast<std::uint8_t>(v));
      v >>= 8;
    } while (v != 0);
    key_ref = tlv::encode(0x84, id);
  }
  ResponseApdu r;
  if (protocol.cipher == secure::SmCipher::Tdes) {
    Bytes data = tlv::encode(0x91, ca.terminal_public_key());
    append(data, key_ref);
    r = send(CommandApdu{0x00, 0x22, 0x41, 0xA6, data, std::nullopt});
    if (!r.ok())
      throw AccessDenied("Chip Authentication: the chip refused MSE:Set KAT (" + iso7816::status_text(r.sw) +
                         ")");
  } else {
    Bytes data = tlv::encode(0x80, der::oid_content(protocol.oid));
    append(data, key_ref);
    r = send(CommandApdu{0x00, 0x22, 0x41, 0xA4, data, std::nullopt});
    if (!r.ok()) {
      throw AccessDenied("Chip Authentication: the chip refused MSE:Set AT (" + iso7816::status_text(r.sw) +
                         ")");
    }
    r = send(CommandApdu{0x00, 0x86, 0x00, 0x00,
                         tlv::encode(0x7C, tlv::encode(0x80, ca.terminal_public_key())), 256});
    if (!r.ok()) {
      throw AccessDenied("Chip Authentication: GENERAL AUTHENTICATE answered " + iso7816::status_text(r.sw));
    }
  }
  // From here on only the holder of DG14's private key can answer: one protected SELECT proves it.
  sm_.emplace(ca.session_keys());
  chip_auth_ = ChipAuthRun{protocol, Bytes(chip_public_key_info.begin(), chip_public_key_info.end()), key_id};
  ca_terminal_key_ = ca.compressed_terminal_public_key();
  std::uint16_t sw = 0;
  try {
    sw = select_file(lds::file_by_name("EF.COM")->fid);
  } catch (const Error& e) {
    throw AccessDenied(std::string("Chip Authentication failed: the chip's answer does not verify under the "
                                   "new session keys (") +
                       e.what() + "); it does not hold the private key of DG14 (a cloned chip?)");
  }
  if (sw != 0x9000 || !sm_) {
    throw AccessDenied("Chip Authentication failed: under the new session keys the chip answered " +
                       iso7816::status_text(sw) +
                       "; it does not hold the private key of DG14 (a cloned chip?)");
  }
  return lds::oid_name(protocol.oid) + ", " + secure::describe_chip_key(chip_public_key_info);
}

std::string ChipSession::verify_pace_chip_authentication(ByteView chip_public_key_info) {
  if (!pace_cam_ || !sm_) throw Error("PACE-CAM: no PACE-CAM channel is open");
  Bytes point;
  try {
    point = secure::ec_public_point(chip_public_key_info);
  } catch (const Error& e) {
    throw Error(std::string("PACE-CAM: DG14's Chip Authentication key is unusable: ") + e.what());
  }
  const secure::PaceInitiator& pace = *pace_cam_->pace;
  SecureBytes ca_ic;
  try {
    ca_ic = pace.chip_authentication_data(pace_cam_->encrypted_chip_auth_data);
  } catch (const Error& e) {
    throw AccessDenied(e.what());  // under the PACE keys: only this chip could have sent it
  }
  // Throws for a key off the PACE curve: then it is not the chip's key for PACE-CAM at all.
  if (!pace.group().chip_authentication_mapping_holds(ca_ic, pace.chip_mapping_public_key(), point)) {
    throw AccessDenied(
        "PACE-CAM failed: the chip authentication data does not match DG14's public key; the chip does not "
        "hold the private key of DG14 (a cloned chip?)");
  }
  pace_cam_->verified_key.assign(chip_public_key_info.begin(), chip_public_key_info.end());
  return lds::oid_name(pace_cam_->protocol_oid) + ", " + secure::describe_ec_key(chip_public_key_info);
}

std::string ChipSession::terminal_authentication(std::span<const pki::CvCertificate> chain,
                                                 const pki::CvPrivateKey& terminal_key) {
  if ((!chip_auth_ && !pace_cam_verified()) || ca_terminal_key_.empty())
    throw AccessDenied("Terminal Authentication needs Chip Authentication (v1 or PACE-CAM) first");
  if (id_picc_.empty())
    throw AccessDenied(
        "Terminal Authentication: no ID_PICC (the BAC keys did not come with the document number)");
  if (chain.empty()) throw AccessDenied("Terminal Authentication: no terminal certificate");
  auto commands = secure::ta_commands(chain);
  // Per certificate: MSE:Set DST, then PSO:Verify Certificate; MSE:Set AT last.
  for (std::size_t i = 0; i < commands.size(); ++i) {
    ResponseApdu r = send(commands[i]);
    if (r.ok()) continue;
    std::string what = i + 1 == commands.size() ? std::string("MSE:Set AT for ") + pki::cv_label(chain.back())
                       : i % 2 == 0             ? "MSE:Set DST for the key " + chain[i / 2].car
                                                : "PSO:Verify Certificate of " + pki::cv_label(chain[i / 2]);
    throw AccessDenied("Terminal Authentication: the chip refused " + what + " (" +
                       iso7816::status_text(r.sw) + ")");
  }
  ResponseApdu challenge = send(secure::ta_get_challenge());
  if (!challenge.ok() || challenge.data.size() != 8) {
    throw AccessDenied("Terminal Authentication: GET CHALLENGE answered " +
                       iso7816::status_text(challenge.sw));
  }
  const pki::CvCertificate& terminal = chain.back();
  Bytes signature = secure::ta_sign(terminal_key, terminal.public_key.algorithm(), id_picc_, challenge.data,
                                    ca_terminal_key_);
  ResponseApdu r = send(secure::ta_external_authenticate(signature));
  if (!r.ok()) {
    throw AccessDenied("Terminal Authentication failed: the chip did not accept the signature of " +
                       pki::cv_label(terminal) + " (" + iso7816::status_text(r.sw) + ")");
  }
  return pki::cv_label(terminal) + ", " + pki::rights_text(terminal.chat.rights());
}

Bytes ChipSession::read_small_file(std::uint16_t fid, const std::string& name, std::size_t max) {
  std::uint16_t sw = select_file(fid);
  if (sw == 0x6A82) throw Error(name + " is not on the chip");
  if (sw != 0x9000) throw Error(name + ": SELECT answered " + iso7816::status_text(sw));
  Bytes data = read_once(0, max, name);
  if (data.size() > max) data.resize(max);
  return data;
}

void ChipSession::resume_secure_session() {
  const std::uint16_t file = selected_file_;
  std::optional<ChipAuthRun> chip_auth = chip_auth_;
  Bytes cam_key = pace_cam_ ? pace_cam_->verified_key : Bytes{};
  if (pace_access_) {
    PaceAccess access = *pace_access_;
    open_pace(access.card_access, std::string_view(access.password.data(), access.password.size()),
              access.type);
    ResponseApdu r = send(select_application_);
    if (!r.ok()) throw Error("reopening the session: SELECT answered " + iso7816::status_text(r.sw));
  } else {
    secure::BacKeys keys = *bac_keys_;
    ResponseApdu r = transport_.transmit(select_application_);
    if (!r.ok()) throw Error("reopening the session: SELECT answered " + iso7816::status_text(r.sw));
    open_bac(keys);
  }
  if (chip_auth) chip_authentication(chip_auth->protocol, chip_auth->public_key_info, chip_auth->key_id);
  if (!cam_key.empty()) verify_pace_chip_authentication(cam_key);  // the new PACE-CAM run proves it again
  std::uint16_t sw = select_file(file);
  if (sw != 0x9000)
    throw Error("reopening the session: SELECT of the file answered " + iso7816::status_text(sw));
}

ResponseApdu ChipSession::send(const CommandApdu& plain) {
  if (!sm_) return transport_.transmit(plain);
  ResponseApdu wrapped = transport_.transmit(sm_->wrap(plain));
  if (wrapped.data.empty() && wrapped.sw != 0x9000) {
    // An error without secure messaging ends the session on the chip's side too.
    sm_.reset();
    return wrapped;
  }
  try {
    return sm_->unwrap(wrapped);
  } catch (const DecodeError& e) {
    sm_.reset();
    throw Error(std::string("secure messaging: malformed response: ") + e.what());
  } catch (const Error&) {
    sm_.reset();
    throw;
  }
}

std::uint16_t ChipSession::select_file(std::uint16_t fid) {
  selected_file_ = fid;
  Bytes id;
  put_be(id, fid, 2);
  return send(CommandApdu{0x00, 0xA4, 0x02, 0x0C, id, std::nullopt}).sw;
}

Bytes ChipSession::read_once(std::size_t offset, std::size_t want, const std::string& name) {
  for (;;) {
    std::size_t& chunk = sm_ ? limits_.chunk_sm : limits_.chunk_plain;
    if (!limits_.extended_length) chunk = std::min<std::size_t>(chunk, sm_ ? 223 : 256);
    std::size_t n = std::min(chunk, want);
    CommandApdu read;
    bool odd = offset > iso7816::kMaxShortOffset;
    if (odd) {  // beyond 15-bit offsets: odd INS, offset in DO 54, data in DO 53
      Bytes off;
      put_be(off, offset, offset > 0xFFFF ? 3 : 2);
      read = CommandApdu{0x00, 0xB1, 0x00, 0x00, tlv::encode(0x54, off), std::min(n + 4, chunk)};
    } else {
      read = CommandApdu{
          0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset), {}, n};
    }
    read.extended = *read.le > 256;
    bool was_secured = secured();
    ResponseApdu r = send(read);
    if ((r.sw >> 8) == 0x6C && !odd && was_secured == secured()) {
      // Wrong Le: the card names the exact length. PC/SC repeats plain commands itself; under
      // secure messaging the command must be wrapped again, with a new MAC.
      read.le = (r.sw & 0xFF) == 0 ? 256 : (r.sw & 0xFF);
      read.extended = false;
      r = send(read);
    }
    if (r.sw == 0x6B00 && offset == 0 && want > kHeaderProbe) {
      // Some chips refuse an Le that runs past the end of the file. Only the first read of a file
      // can do that (later ones ask for exactly what is left): ask for the header alone.
      want = kHeaderProbe;
      continue;
    }
    if (wrong_length(r.sw) && chunk > kSmallestChunk) {
      // The card or reader takes less than promised: step down and retry.
      chunk = chunk > 223 ? 223 : chunk / 2;
      if (was_secured && !secured()) {
        if (!can_resume()) throw Error(name + ": the chip ended secure messaging and it cannot be reopened");
        resume_secure_session();
      }
      continue;
    }
    if (r.sw == 0x6982 || r.sw == 0x6985) {
      throw AccessDenied(name + ": the chip refuses to read it (" + iso7816::status_text(r.sw) + ")");
    }
    if (!r.ok() && r.sw != kEndOfFileWarning) {
      throw Error(name + ": READ BINARY at offset " + std::to_string(offset) + " answered " +
                  iso7816::status_text(r.sw) + (was_secured && !secured() ? "; secure messaging ended" : ""));
    }
    if (!odd) return std::move(r.data);
    tlv::Options lenient;
    lenient.allow_non_minimal_length = true;
    ByteView inner = tlv::decode_single(r.data, 0x53, name + " READ BINARY (B1) response", lenient).value;
    return Bytes(inner.begin(), inner.end());
  }
}

Bytes ChipSession::read_range(std::size_t offset, std::size_t length, const std::string& name) {
  Bytes out;
  while (out.size() < length) {
    std::size_t at = offset + out.size();
    Bytes piece = read_once(at, length - out.size(), name);
    if (piece.empty()) {
      throw Error(name + ": the file ends at offset " + std::to_string(at) + " but its header says " +
                  std::to_string(offset + length) + " bytes");
    }
    if (piece.size() > length - out.size()) piece.resize(length - out.size());  // a card sending extra
    append(out, piece);
  }
  return out;
}

Bytes ChipSession::read_file(std::uint16_t fid, const std::string& name) {
  std::uint16_t sw = select_file(fid);
  if (sw == 0x6A82) throw Error(name + " (" + hex4(fid) + ") is not on the chip");
  if (sw == 0x6982 || sw == 0x6985) {
    throw AccessDenied(name + ": the chip refuses to select it (" + iso7816::status_text(sw) +
                       "); access control is needed");
  }
  if (sw != 0x9000) throw Error(name + ": SELECT answered " + iso7816::status_text(sw));

  // The first chunk holds the TLV header, which gives the file's length.
  std::size_t first =
      std::min<std::size_t>(sm_ ? limits_.chunk_sm : limits_.chunk_plain, limits_.max_file_size);
  Bytes data = read_once(0, std::max<std::size_t>(first, 8), name);
  std::optional<std::size_t> total;
  try {
    while (!(total = tlv_total_size(data))) {
      if (data.size() >= 8) throw DecodeError("the TLV header is longer than 8 bytes");
      Bytes more = read_once(data.size(), 8, name);
      if (more.empty()) throw DecodeError("the file ends inside its own TLV header");
      append(data, more);
    }
  } catch (const DecodeError& e) {
    throw Error(name + ": " + e.what());
  }
  if (*total > limits_.max_file_size) {
    throw Error(name + ": its header claims " + std::to_string(*total) + " bytes, more than the " +
                std::to_string(limits_.max_file_size) + " allowed");
  }
  if (data.size() > *total) data.resize(*total);
  if (data.size() < *total) append(data, read_range(data.size(), *total - data.size(), name));
  return data;
}

namespace {

/// Reads DG14 and runs Chip Authentication with its first offer this host implements.
/// Returns false when CA failed (the channel is gone).
bool read_dg14_and_authenticate(ChipSession& session, issuance::ChipImage& chip,
                                std::vector<Check>* mechanisms) {
  const char* name = "Chip Authentication";
  const lds::FileInfo* info = lds::file_by_dg(14);
  try {
    chip.files[info->name] = session.read_file(info->fid, info->name);
  } catch (const Error& e) {
    chip.manifest_problems.push_back(std::string("EF.COM lists EF.DG14 but it could not be read: ") +
                                     e.what());
    if (mechanisms != nullptr) mechanisms->push_back(fail(name, "EF.DG14 could not be read"));
    return session.secured();
  }
  std::vector<lds::ChipAuthenticationOffer> offers;
  try {
    offers = lds::chip_authentication_offers(lds::Dg14::decode(chip.files[info->name]));
  } catch (const DecodeError& e) {
    if (mechanisms != nullptr)
      mechanisms->push_back(fail(name, std::string("EF.DG14 is malformed: ") + e.what()));
    return true;
  }
  if (offers.empty()) {
    if (mechanisms != nullptr)
      mechanisms->push_back(skip(name, "not offered (EF.DG14 has no Chip Authentication key)"));
    return true;
  }
  std::string unsupported;
  for (const auto& offer : offers) {
    secure::ChipAuthProtocol protocol;
    try {
      protocol = secure::chip_authentication_protocol(offer.info.protocol);
    } catch (const Error& e) {
      unsupported = e.what();
      continue;
    }
    try {
      std::string how =
          session.chip_authentication(protocol, offer.key.subject_public_key_info, offer.info.key_id);
      if (mechanisms != nullptr) mechanisms->push_back(pass(name, how));
      return true;
    } catch (const AccessDenied& e) {
      if (mechanisms != nullptr) mechanisms->push_back(fail(name, e.what()));
      return false;
    } catch (const CardError&) {
      throw;
    } catch (const Error& e) {
      if (mechanisms != nullptr) mechanisms->push_back(fail(name, e.what()));
      return session.secured();
    }
  }
  if (mechanisms != nullptr)
    mechanisms->push_back(
        fail(name, "EF.DG14 offers only protocols this inspection system lacks: " + unsupported));
  return true;
}

/// PACE-CAM's second half: DG14 (read inside the PACE channel; Passive Authentication checks its
/// hash later) gives the chip's static key, against which the Encrypted Chip Authentication Data
/// must verify. False when the chip did not prove it holds the key.
bool read_dg14_and_verify_pace_cam(ChipSession& session, issuance::ChipImage& chip, bool listed,
                                   std::vector<Check>* mechanisms) {
  const char* name = "Chip Authentication (PACE-CAM)";
  auto report = [&](Check c) {
    if (mechanisms != nullptr) mechanisms->push_back(std::move(c));
  };
  if (!listed) {
    report(fail(name, "EF.COM lists no EF.DG14, so the chip's static key for PACE-CAM is unknown"));
    return false;
  }
  const lds::FileInfo* info = lds::file_by_dg(14);
  try {
    chip.files[info->name] = session.read_file(info->fid, info->name);
  } catch (const CardError&) {
    throw;
  } catch (const Error& e) {
    chip.manifest_problems.push_back(std::string("EF.COM lists EF.DG14 but it could not be read: ") +
                                     e.what());
    report(fail(name, "EF.DG14 could not be read"));
    return false;
  }
  std::vector<lds::ChipAuthenticationPublicKeyInfo> keys;
  try {
    for (const auto& si : lds::Dg14::decode(chip.files[info->name]).infos) {
      if (si.protocol == lds::kIdPkEcdh)
        keys.push_back(lds::ChipAuthenticationPublicKeyInfo::decode(si.encoded));
    }
  } catch (const DecodeError& e) {
    report(fail(name, std::string("EF.DG14 is malformed: ") + e.what()));
    return false;
  }
  if (keys.empty()) {
    report(fail(name, "EF.DG14 has no ECDH Chip Authentication key (id-PK-ECDH) for PACE-CAM"));
    return false;
  }
  std::string why;
  for (const auto& key : keys) {
    try {
      report(pass(name, session.verify_pace_chip_authentication(key.subject_public_key_info)));
      return true;
    } catch (const AccessDenied& e) {
      why = e.what();  // the key fits the PACE curve but the chip does not hold it
    } catch (const Error& e) {
      if (why.empty()) why = e.what();
    }
  }
  report(fail(name, why));
  return false;
}

/// Terminal Authentication when DG14 names id-TA: EF.CVCA says which CVCA the chip trusts; the
/// terminal's chain must lead to it and grant fingerprint access.
Check terminal_authentication_step(ChipSession& session, issuance::ChipImage& chip,
                                   const TerminalCredentials* terminal) {
  const char* name = "Terminal Authentication";
  if (terminal == nullptr) {
    return skip(name,
                "not run: no terminal certificate given (--terminal-cert, --terminal-key); the chip "
                "keeps EF.DG3/EF.DG4 to itself");
  }
  std::vector<std::string> cvcas;
  try {
    Bytes ef_cvca = session.read_small_file(lds::file_by_name("EF.CVCA")->fid, "EF.CVCA", 36);
    cvcas = pki::decode_ef_cvca(ef_cvca);
    chip.files["EF.CVCA"] = std::move(ef_cvca);
  } catch (const CardError&) {
    throw;
  } catch (const Error& e) {
    return fail(name, std::string("EF.CVCA cannot be read: ") + e.what());
  }
  const std::string& first_car = terminal->chain.front().car;
  if (std::find(cvcas.begin(), cvcas.end(), first_car) == cvcas.end()) {
    std::string trusted;
    for (const auto& c : cvcas) trusted += (trusted.empty() ? "" : ", ") + c;
    return fail(name, "the terminal certificate chain does not lead to the chip's CVCA: it starts at " +
                          first_car + ", the chip trusts " + trusted + " (EF.CVCA)");
  }
  try {
    return pass(name, session.terminal_authentication(terminal->chain, *terminal->key));
  } catch (const AccessDenied& e) {
    return fail(name, e.what());
  }
}

/// Active Authentication when the chip has DG15: INTERNAL AUTHENTICATE with a fresh challenge.
Check active_authentication(ChipSession& session, const issuance::ChipImage& chip) {
  const char* name = "Active Authentication";
  const Bytes* dg15_bytes = chip.file("EF.DG15");
  if (dg15_bytes == nullptr) return skip(name, "not offered (no EF.DG15)");
  lds::Dg15 dg15;
  std::optional<lds::Dg14> dg14;
  secure::AaPublicKey key;
  try {
    dg15 = lds::Dg15::decode(*dg15_bytes);
    key = secure::aa_public_key(dg15.public_key_info);
    if (const Bytes* d = chip.file("EF.DG14")) dg14 = lds::Dg14::decode(*d);
  } catch (const DecodeError& e) {
    return fail(name, std::string("cannot use the key: ") + e.what());
  }
  Bytes challenge = secure::aa_challenge();
  ResponseApdu r = session.send(secure::internal_authenticate_command(challenge, key.signature_size));
  if (!r.ok()) {
    return fail(name, "the chip refused INTERNAL AUTHENTICATE (" + iso7816::status_text(r.sw) +
                          "); it cannot prove it holds the key of EF.DG15");
  }
  secure::AaResult result =
      secure::verify_active_authentication(dg15, dg14 ? &*dg14 : nullptr, challenge, r.data);
  return result.ok ? pass(name, result.algorithm + ", " + key.description) : fail(name, result.reason);
}

}  // namespace

issuance::ChipImage read_chip(ChipSession& session, std::vector<Check>* mechanisms,
                              const TerminalCredentials* terminal) {
  issuance::ChipImage chip;
  const lds::FileInfo* com_info = lds::file_by_name("EF.COM");
  const lds::FileInfo* sod_info = lds::file_by_name("EF.SOD");
  Bytes com_bytes = session.read_file(com_info->fid, com_info->name);
  lds::Com com;
  try {
    com = lds::Com::decode(com_bytes);
  } catch (const DecodeError& e) {
    throw Error(std::string("EF.COM read from the chip is malformed: ") + e.what());
  }
  chip.files[com_info->name] = std::move(com_bytes);
  chip.files[sod_info->name] = session.read_file(sod_info->fid, sod_info->name);
  std::vector<int> groups = com.data_groups();
  const bool has_dg14 = std::find(groups.begin(), groups.end(), 14) != groups.end();
  if (session.pace_cam_pending()) {
    // PACE-CAM authenticated the chip already if DG14's key fits: no Chip Authentication v1.
    bool proven = read_dg14_and_verify_pace_cam(session, chip, has_dg14, mechanisms);
    if (mechanisms != nullptr)
      mechanisms->push_back(skip("Chip Authentication", "not run: PACE-CAM authenticates the chip instead"));
    if (!proven) {
      std::string rest;
      for (int dg : groups) {
        if (dg != 14 && lds::file_by_dg(dg) != nullptr)
          rest += std::string(rest.empty() ? "" : ", ") + lds::file_by_dg(dg)->name;
      }
      if (!rest.empty())
        chip.manifest_problems.push_back("not read after Chip Authentication (PACE-CAM) failed: " + rest);
      return chip;
    }
  } else if (has_dg14) {
    if (!read_dg14_and_authenticate(session, chip, mechanisms)) {
      std::string rest;
      for (int dg : groups) {
        if (dg != 14 && lds::file_by_dg(dg) != nullptr)
          rest += std::string(rest.empty() ? "" : ", ") + lds::file_by_dg(dg)->name;
      }
      if (!rest.empty())
        chip.manifest_problems.push_back("not read after Chip Authentication failed: " + rest);
      return chip;
    }
  } else if (mechanisms != nullptr) {
    mechanisms->push_back(skip("Chip Authentication", "not offered (no EF.DG14)"));
  }
  bool eac_protected = false;  // DG3/DG4 behind Terminal Authentication
  if (const Bytes* dg14 = chip.file("EF.DG14")) {
    try {
      for (const auto& si : lds::Dg14::decode(*dg14).infos)
        eac_protected = eac_protected || si.protocol == lds::kIdTa;
    } catch (const DecodeError&) {
      // reported by Chip Authentication and the structure checks
    }
  }
  bool ta_passed = false;
  if (eac_protected) {
    Check ta = terminal_authentication_step(session, chip, terminal);
    ta_passed = ta.status == Status::Pass;
    if (mechanisms != nullptr) mechanisms->push_back(ta);
  }
  for (int dg : groups) {
    const lds::FileInfo* info = lds::file_by_dg(dg);
    if (info == nullptr || dg == 14) continue;
    bool was_secured = session.secured();
    try {
      chip.files[info->name] = session.read_file(info->fid, info->name);
    } catch (const AccessDenied& e) {
      if (eac_protected && !ta_passed && (dg == 3 || dg == 4) && session.secured()) {
        chip.withheld[info->name] = "protected by Terminal Authentication (EAC); not read";
        continue;
      }
      chip.manifest_problems.push_back(std::string("EF.COM lists ") + info->name +
                                       " but it could not be read: " + e.what());
      if (was_secured && !session.secured()) throw;
    } catch (const Error& e) {
      chip.manifest_problems.push_back(std::string("EF.COM lists ") + info->name +
                                       " but it could not be read: " + e.what());
      // A refusal under secure messaging ends the session; the rest cannot be read.
      if (was_secured && !session.secured()) throw;
    }
  }
  if (mechanisms != nullptr) mechanisms->push_back(active_authentication(session, chip));
  return chip;
}

}  // namespace rcperso::card
