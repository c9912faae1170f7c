// A session with the eMRTD application on a card: select it, open Basic
// Access Control, then exchange commands plain or under secure messaging and
// read whole elementary files. Used by personalization (read-back) and by the
// inspection tools; it knows ISO 7816-4 and ICAO 9303-11, not PC/SC.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "card/transport.hpp"
#include "core/bytes.hpp"
#include "core/check.hpp"
#include "core/error.hpp"
#include "core/secure_bytes.hpp"
#include "iso7816/apdu.hpp"
#include "pki/cvc.hpp"
#include "secure/bac.hpp"
#include "secure/chip_auth.hpp"
#include "secure/pace.hpp"
#include "secure/secure_messaging.hpp"

namespace rcperso::issuance {
struct ChipImage;
}

namespace rcperso::card {

/// The chip refused access (BAC failed, security status not satisfied): the
/// card is there and answered, but not with the data.
class AccessDenied : public Error {
 public:
  using Error::Error;
};

/// EF.CardAccess offers only PACE variants this host does not implement.
class PaceUnsupported : public Error {
 public:
  using Error::Error;
};

struct ReadLimits {
  std::size_t chunk_plain = 231;  // READ BINARY Le without secure messaging
  std::size_t chunk_sm = 223;     // ... and with it (fits a short response after wrapping)
  bool extended_length = false;
  std::size_t max_file_size = 1024 * 1024;  // never trust a length beyond this
};

class ChipSession {
 public:
  ChipSession(Transport& transport, ReadLimits limits);

  /// SELECT the eMRTD application by AID (protected once PACE has run);
  /// throws Error if the card lacks it.
  void select_application(const iso7816::CommandApdu& select);
  /// EF.CardAccess from the master file, read before any access control;
  /// nullopt when the chip has none (no PACE) or no selectable MF.
  std::optional<Bytes> read_card_access();
  /// PACE with a PACEInfo of EF.CardAccess this host supports (Generic or
  /// Integrated Mapping, ECDH or DH; Chip Authentication Mapping, ECDH) and the
  /// MRZ_information or the CAN: PACE-CAM wherever the chip offers it, otherwise
  /// the first supported entry in EF.CardAccess order. Afterwards every command
  /// is protected. Returns a description for reports; throws AccessDenied if
  /// the chip refuses the password.
  std::string open_pace(ByteView card_access, std::string_view password, secure::PacePassword type);
  /// After open_pace() chose PACE-CAM: the chip's Encrypted Chip Authentication Data waits for
  /// its static public key, which DG14 (read inside the channel) gives.
  bool pace_cam_pending() const { return pace_cam_ && pace_cam_->verified_key.empty(); }
  bool pace_cam_verified() const { return pace_cam_ && !pace_cam_->verified_key.empty(); }
  /// PACE-CAM's check (9303-11 §4.4.3.5.2): CA_IC decrypted and PK_IC · CA_IC = PK_map,IC with
  /// PK_IC the EC public key of `chip_public_key_info` (DG14's SubjectPublicKeyInfo). Returns a
  /// description; throws AccessDenied if the chip does not hold that key (a cloned chip) and
  /// Error if the key cannot be the chip's (another curve than PACE's).
  std::string verify_pace_chip_authentication(ByteView chip_public_key_info);
  /// BAC with keys from the MRZ; afterwards every command is protected.
  /// Throws AccessDenied if the chip does not accept the keys.
  void open_bac(const secure::BacKeys& keys);
  bool secured() const { return sm_.has_value(); }
  /// Chip Authentication v1 inside the open channel: MSE:Set KAT (3DES) or
  /// MSE:Set AT + GENERAL AUTHENTICATE (AES), then secure messaging with the
  /// new keys, confirmed by one protected SELECT. Returns a description;
  /// throws AccessDenied when the chip refuses or its answers do not verify
  /// under the new keys (the chip lacks DG14's private key).
  std::string chip_authentication(const secure::ChipAuthProtocol& protocol, ByteView chip_public_key_info,
                                  std::optional<std::uint64_t> key_id);
  /// Comp() of the terminal's Chip Authentication key, which Terminal Authentication signs.
  const Bytes& chip_authentication_terminal_key() const { return ca_terminal_key_; }
  /// Terminal Authentication v1 after Chip Authentication v1 (PACE or BAC channel; ID_PICC is
  /// then Comp() of the chip's PACE key or the document number) or after PACE-CAM: every
  /// certificate of `chain` (DV, then terminal) verified by the chip, then
  /// the challenge signed with the terminal's key. Throws AccessDenied naming
  /// the step the chip refused.
  std::string terminal_authentication(std::span<const pki::CvCertificate> chain,
                                      const pki::CvPrivateKey& terminal_key);
  /// A small transparent file read as a whole (up to `max` bytes), for files that are not one TLV (EF.CVCA).
  Bytes read_small_file(std::uint16_t fid, const std::string& name, std::size_t max);

  /// Sends a command, wrapped when secure messaging is on; CardError if the card is gone.
  iso7816::ResponseApdu send(const iso7816::CommandApdu& plain);
  /// SELECT EF by file identifier (P2=0C). Returns the status word.
  std::uint16_t select_file(std::uint16_t fid);
  /// Reads a whole BER-TLV elementary file: its length comes from its own
  /// header, bounded by the limits. Throws Error/AccessDenied naming `name`.
  Bytes read_file(std::uint16_t fid, const std::string& name);

  const ReadLimits& limits() const { return limits_; }

 private:
  /// One READ BINARY of up to `want` bytes (fewer at the end of the file).
  Bytes read_once(std::size_t offset, std::size_t want, const std::string& name);
  Bytes read_range(std::size_t offset, std::size_t length, const std::string& name);
  /// After the chip dropped secure messaging over a too-long command: the
  /// same access control (BAC or PACE) and Chip Authentication again, and the
  /// file reselected, so a smaller chunk can be tried.
  void resume_secure_session();
  bool can_resume() const { return bac_keys_.has_value() || pace_access_.has_value(); }
  Transport& transport_;
  ReadLimits limits_;
  std::optional<secure::SecureMessaging> sm_;
  iso7816::CommandApdu select_application_;
  std::optional<secure::BacKeys> bac_keys_;  // wiped on destruction (SecureBytes)
  struct PaceAccess {
    Bytes card_access;
    SecureString password;
    secure::PacePassword type = secure::PacePassword::Mrz;
  };
  std::optional<PaceAccess> pace_access_;  // to resume a PACE channel
  struct ChipAuthRun {
    secure::ChipAuthProtocol protocol;
    Bytes public_key_info;
    std::optional<std::uint64_t> key_id;
  };
  std::optional<ChipAuthRun> chip_auth_;  // to run it again after a resumed channel
  struct PaceCam {
    std::unique_ptr<secure::PaceInitiator> pace;  // holds KS_enc and the chip's mapping key
    std::string protocol_oid;
    Bytes encrypted_chip_auth_data;  // A_IC
    Bytes verified_key;              // DG14's SubjectPublicKeyInfo once verified (checked again on resume)
  };
  std::optional<PaceCam> pace_cam_;
  std::uint16_t selected_file_ = 0;
  Bytes ca_terminal_key_;
  Bytes id_picc_;  // what Terminal Authentication binds to: Comp(chip's ephemeral PACE key)
};

/// An inspection system's terminal credentials for Terminal Authentication:
/// the DV and terminal (IS) certificates and the terminal's private key.
struct TerminalCredentials {
  std::vector<pki::CvCertificate> chain;
  std::shared_ptr<pki::CvPrivateKey> key;
};

/// Reads EF.COM, EF.SOD and every data group EF.COM lists into a chip image
/// (no manifest). The session must have its application selected (and BAC
/// open where the chip needs it). A listed file the chip lacks or withholds
/// becomes a manifest problem, which rcverify reports as a failed check.
/// When DG14 offers Chip Authentication it is read first and CA runs before
/// the other data groups; `mechanisms` (if given) gets its result line. After
/// PACE-CAM, DG14 is read first too and its key checks the chip's CAM data
/// instead ("Chip Authentication (PACE-CAM)"; CA v1 is not run). A failed CA
/// or CAM ends the reading: what was not read is a manifest problem.
/// EF.DG3/EF.DG4 behind Terminal Authentication (DG14 names id-TA) are read
/// only after TA with `terminal`; without it they are withheld (the image's
/// `withheld`), which inspection reports as not checked rather than missing.
issuance::ChipImage read_chip(ChipSession& session, std::vector<Check>* mechanisms = nullptr,
                              const TerminalCredentials* terminal = nullptr);

/// Length of a BER-TLV from the first bytes of a file (tag + length only):
/// the total size of the TLV, or nullopt if more bytes are needed. Throws
/// DecodeError for a malformed header.
std::optional<std::size_t> tlv_total_size(ByteView head);

}  // namespace rcperso::card
