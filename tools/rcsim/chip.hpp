// The virtual eMRTD chip with a personalization applet: a file system with
// real size limits, a life cycle (blank, personalized, locked), BAC and 3DES
// secure messaging, and fault injection for tests. Its APDU parsing and
// cryptography are its own, independent of the host library.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rcsim/chip_auth.hpp"
#include "rcsim/chip_crypto.hpp"
#include "rcsim/chip_ta.hpp"

namespace rcsim {

enum class Lifecycle { Blank, Personalized, Locked };
const char* lifecycle_name(Lifecycle l);

struct ChipOptions {
  std::size_t memory = 256 * 1024;  // EEPROM for files
  std::size_t max_file_size = 65535;
  std::size_t max_chunk = 65535;  // larger UPDATE/READ data gets 6700
  bool extended_length = true;
  bool jmrtd_applet = false;
  /// T=0 style: response data longer than this comes as 61xx, fetched with GET RESPONSE (0: off).
  std::size_t response_chunk = 0;
  /// READ BINARY asking past the end of the file gets 6Cxx with the exact length.
  bool exact_le = false;
  /// ... or with 6B00, as some chips do.
  bool past_end_6b00 = false;  // the JMRTD applet's command set only: CREATE FILE 63, no erase
  long vanish_after = -1;      // APDUs before the card "is pulled out"
  /// Pulled out right after carrying out the first command starting with this (its answer is lost).
  Bytes vanish_on;
  /// Pulled out when the first command starting with this arrives, before carrying it out.
  Bytes vanish_before;
  std::vector<std::pair<Bytes, std::uint16_t>> fail_on;  // plain APDU prefix -> status word
  std::string state_file;                                // empty: no persistence
  /// A cloned chip: it copied the LDS but not DG14's private key, so it runs
  /// Chip Authentication with a key of its own.
  bool cloned = false;
  /// The chip's random source (RND.IC, K.IC); tests replay worked examples with it.
  std::function<Bytes(std::size_t)> random = random_bytes;
  /// The chip's clock for Terminal Authentication, "YYYY-MM-DD"; empty: the system date (UTC).
  /// Accepted CVCA and DV certificates move the current date forward, never back.
  std::string date;
  /// The largest RSA key GENERATE ASYMMETRIC KEY PAIR makes; the fuzzer lowers it, since a
  /// 4096-bit generation under the sanitizers outlasts its per-input time limit.
  unsigned max_rsa_generation_bits = 4096;
};

class Chip {
 public:
  explicit Chip(ChipOptions options);

  Bytes atr() const;
  void power_on();  // a new session: no applet selected, no secure messaging
  /// Processes one command APDU (raw bytes) and returns the response APDU.
  Bytes process(const Bytes& apdu);
  /// True once the configured number of APDUs has been processed.
  bool vanished() const { return vanished_; }
  /// The card comes back after being pulled out: power cycle, no more vanishing.
  void reinsert() {
    vanished_ = false;
    options_.vanish_after = -1;
    options_.vanish_on.clear();
    options_.vanish_before.clear();
    power_on();
  }
  Lifecycle lifecycle() const { return lifecycle_; }
  /// The chip's current date for Terminal Authentication (YYYYMMDD): the clock, or later
  /// certificate effective dates it learnt.
  int current_date() const;

  /// A static key for PACE-CAM on a chip without a Chip Authentication key of PUT DATA 63 (which
  /// PACE-CAM uses when it lies on the PACE curve): a private key on the standardized curve
  /// `parameter_id` (8-18), for the worked examples; not kept in the state file. Throws
  /// std::invalid_argument for a bad key.
  void set_chip_authentication_key(Bytes private_key, int parameter_id);

 private:
  struct Command {
    std::uint8_t cla, ins, p1, p2;
    Bytes data;
    std::optional<std::size_t> le;
    bool extended = false;
  };
  struct File {
    std::size_t size = 0;
    Bytes data;
  };
  struct Session {
    Bytes ks_enc, ks_mac, ssc;
    bool aes = false;  // AES (PACE) or 3DES (BAC, PACE-3DES)

    std::size_t block() const { return aes ? 16 : 8; }
    void increment();
    Bytes mac(const Bytes& data) const;  // over data padded to the block size, 8 bytes
    Bytes crypt(const Bytes& data, bool encrypt) const;
  };
  enum class PaceMapping { Generic, Integrated, ChipAuthentication };
  /// A PACE run in progress (9303-11 §4.4): Generic or Integrated Mapping over ECDH or DH, or
  /// Chip Authentication Mapping over ECDH.
  struct Pace {
    Bytes oid;  // DER content of the protocol OID
    PaceMapping mapping = PaceMapping::Generic;
    int parameter_id = 0;
    bool aes = true;
    std::size_t key_bytes = 16;
    Bytes k_pi, nonce, map_private, eph_private, eph_public, terminal_eph_public;
    Bytes ks_enc, ks_mac;
    std::shared_ptr<PaceDomain> curve;  // the domain, with the mapped generator once mapped
    int step = 0;                       // GENERAL AUTHENTICATE steps done
  };

  static std::optional<Command> parse(const Bytes& apdu);
  Bytes process_command(const Bytes& apdu);
  Bytes get_response(const Bytes& apdu);
  Bytes dispatch(const Command& c, std::uint16_t& sw);
  Bytes select(const Command& c, std::uint16_t& sw);
  /// GET DATA 9F7F of the card manager: GlobalPlatform's CPLC, with this card's IC serial number.
  Bytes get_cplc(const Command& c, std::uint16_t& sw);
  Bytes create_file(const Command& c, std::uint16_t& sw);
  Bytes update_binary(const Command& c, std::uint16_t& sw);
  Bytes read_binary(const Command& c, std::uint16_t& sw);
  Bytes put_data(const Command& c, std::uint16_t& sw);
  Bytes external_authenticate(const Command& c, std::uint16_t& sw);
  Bytes manage_security_environment(const Command& c, std::uint16_t& sw);
  /// MSE:Set KAT (3DES) or MSE:Set AT with an id-CA OID (AES), GENERAL AUTHENTICATE for the latter.
  Bytes chip_authentication_kat(const Command& c, std::uint16_t& sw);
  Bytes chip_authentication_set_at(const Command& c, const Bytes& oid, std::uint16_t& sw);
  Bytes chip_authentication_general_authenticate(const Command& c, std::uint16_t& sw);
  /// The session that Chip Authentication starts once its answer went out under the old keys.
  std::optional<Session> chip_authentication_session(const Bytes& terminal_key, bool aes,
                                                     std::size_t key_bytes) const;
  Bytes load_chip_auth_key(const Command& c, std::uint16_t& sw);
  /// PACE-CAM's static private key for this run: empty when the chip has none on the PACE curve.
  Bytes cam_static_key(const Pace& pace) const;
  /// PUT DATA 67: a DH Chip Authentication key (81 p, 82 q, 83 g, 84 x).
  Bytes load_chip_auth_dh_key(const Command& c, std::uint16_t& sw);
  /// Comp() of the terminal's accepted ephemeral key, which Terminal Authentication binds to.
  Bytes chip_authentication_terminal_comp(const Bytes& terminal_key) const;
  /// PUT DATA 60/61 (RSA modulus, private exponent, as the JMRTD applet) or 66 (rcsim's EC key).
  Bytes load_active_auth_key(const Command& c, std::uint16_t& sw);
  /// GENERATE ASYMMETRIC KEY PAIR (INS 46): a Chip or Active Authentication key made on the chip,
  /// kept like a loaded one; refused once DG14, DG15 or the SOD is written, and after the lock.
  Bytes generate_key_pair(const Command& c, std::uint16_t& sw);
  /// INTERNAL AUTHENTICATE: the challenge signed with the Active Authentication key.
  Bytes internal_authenticate(const Command& c, std::uint16_t& sw);
  Bytes general_authenticate(const Command& c, std::uint16_t& sw);
  /// PUT DATA 64: the CVCA certificate as trust point.
  Bytes load_trust_point(const Command& c, std::uint16_t& sw);
  /// Terminal Authentication v1: MSE:Set DST, PSO:Verify Certificate, MSE:Set AT, GET CHALLENGE,
  /// EXTERNAL AUTHENTICATE, all under secure messaging after Chip Authentication.
  Bytes ta_set_dst(const Command& c, std::uint16_t& sw);
  Bytes ta_verify_certificate(const Command& c, std::uint16_t& sw);
  Bytes ta_set_at(const Command& c, std::uint16_t& sw);
  Bytes ta_get_challenge(const Command& c, std::uint16_t& sw);
  Bytes ta_external_authenticate(const Command& c, std::uint16_t& sw);
  /// Whether the file may be served now: DG3/DG4 of a locked chip with a trust point need the right.
  bool file_readable(std::uint16_t fid) const;
  /// Forgets the Terminal Authentication of this session (and, with `session`, CA and ID_PICC).
  void reset_ta(bool session);
  std::optional<int> card_access_parameter_id(const Bytes& oid) const;
  bool sm_unwrap(Command& c, std::uint16_t& sw);
  Bytes sm_wrap(const Bytes& data, std::uint16_t sw);
  std::size_t used_memory() const;
  void save() const;
  void load();

  ChipOptions options_;
  Lifecycle lifecycle_ = Lifecycle::Blank;
  std::map<std::uint16_t, File> files_;     // in the eMRTD application
  std::map<std::uint16_t, File> mf_files_;  // in the master file (EF.CardAccess)
  /// The files of the current context: the application once selected, the MF otherwise.
  std::map<std::uint16_t, File>& current_files() { return applet_selected_ ? files_ : mf_files_; }
  const std::map<std::uint16_t, File>& current_files() const { return applet_selected_ ? files_ : mf_files_; }
  std::optional<std::uint16_t> selected_;
  bool applet_selected_ = false;
  Bytes k_enc_, k_mac_;  // BAC keys, once the seed is loaded
  Bytes mrz_password_;   // SHA-1(MRZ_information): PACE's MRZ password
  Bytes can_;            // PACE's CAN password (digits)
  Bytes ca_private_;     // static Chip Authentication private key (PACE-CAM), empty if none
  int ca_parameter_id_ = 0;
  std::optional<Pace> pace_;
  ChipAuthKey ca_key_;  // Chip Authentication's static private key, from PUT DATA 63 (EC) or 67 (DH)
  struct ActiveAuthKey {
    Bytes rsa_modulus, rsa_private_exponent;  // RSA: ISO/IEC 9796-2 with SHA-1 (trailer BC)
    std::string ec_curve;                     // ECDSA: the named curve, the hash and the scalar
    AaHash ec_hash = AaHash::Sha256;
    Bytes ec_private_key;
    bool ready() const {
      return (!rsa_modulus.empty() && !rsa_private_exponent.empty()) || !ec_private_key.empty();
    }
  };
  ActiveAuthKey aa_key_;
  struct PendingChipAuth {
    std::size_t key_bytes = 16;  // AES key size of the id-CA protocol
  };
  std::optional<PendingChipAuth> ca_pending_;  // after MSE:Set AT, before GENERAL AUTHENTICATE
  std::optional<Session> next_session_;        // replaces session_ after the current response
  Bytes rnd_ic_;
  std::optional<Session> session_;
  bool protected_command_ = false;  // the command being dispatched came under secure messaging
  /// The trust point (PUT DATA 64): the CVCA certificate as loaded, and what the chip uses of it.
  Bytes trust_point_der_;
  std::optional<CvCert> trust_point_;
  int learnt_date_ = 0;     // the latest effective date of an accepted CVCA/DV certificate
  std::string doc_number_;  // from the BAC seed, with its check digit: ID_PICC after BAC
  Bytes ic_serial_;         // CPLC IC serial number (4 bytes) and IC batch identifier (2), kept in the state
  Bytes id_picc_;           // ID_PICC of the current secure messaging session
  std::optional<Bytes> ca_terminal_comp_pending_;  // Comp(PK_PCD) until the CA session starts
  struct TaKey {
    Bytes chr, oid, point;    // ECDSA: the point (the trust point's domain parameters)
    Bytes modulus, exponent;  // RSA
    CvRole role = CvRole::Terminal;
    std::uint8_t rights = 0;  // effective along the chain so far
  };
  struct Ta {
    bool chip_authenticated = false;  // CA (v1 or PACE-CAM) in this session
    Bytes terminal_comp;              // Comp(the terminal's ephemeral CA/PACE-CAM key)
    std::map<Bytes, TaKey> imported;  // by CHR, this session only
    std::optional<TaKey> dst;         // MSE:Set DST: the key that verifies the next certificate
    std::optional<TaKey> at;          // MSE:Set AT: the terminal key of EXTERNAL AUTHENTICATE
    Bytes challenge;                  // r_PICC
    bool authenticated = false;
    std::uint8_t rights = 0;  // granted by a successful TA
  };
  Ta ta_;
  Bytes pending_response_;  // for GET RESPONSE: remaining data, then the status word
  /// ISO 7816-4 command chaining of PUT DATA (CLA bit 10): the data of the commands so far.
  std::optional<Command> chained_;
  long apdus_ = 0;
  bool vanished_ = false;
};

}  // namespace rcsim
