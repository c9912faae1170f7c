// The personalization engine: writes a prepared chip image to a card through
// its card profile, proves it by reading everything back through the chip's
// own access control, runs Passive Authentication on what was read, and only
// then locks the card. Any failure throws; a card is issued only when
// personalize() returns.
#pragma once

#include <functional>
#include <string>

#include "card/card_profile.hpp"
#include "card/transport.hpp"
#include "core/error.hpp"
#include "inspection/verify.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/prepare.hpp"

namespace rcperso::card {

/// The card cannot be issued (refused, failed read-back or verification).
/// The message says why and what to do with the card.
class PersoError : public Error {
 public:
  using Error::Error;
};

enum class CardState { Blank, Personalized, Locked };
const char* card_state_name(CardState state);

/// Where a run is: a failure before Write left the card untouched, one in Write left it torn
/// (erasable), one in ReadBack left it written but unproven; Lock means verified and locking.
enum class PersoStage { Probe, Write, ReadBack, Lock };

struct PersoOptions {
  /// Trust anchors and rules for Passive Authentication of the read-back.
  inspection::VerifyOptions verify;
  /// Called with a short line after every step, for the operator.
  std::function<void(const std::string&)> on_step;
  /// For a chip image that awaits the chip's own keys: builds DG14/DG15, EF.COM and EF.SOD from the
  /// public keys the chip generated (issuance::seal_chip_image with the Document Signer).
  std::function<void(issuance::ChipImage&, const issuance::ChipPublicKeys&)> seal;
  /// Told as the run enters each stage (a batch tells a torn card from a spoiled one by it).
  std::function<void(PersoStage)> on_stage;
  /// Called once the read-back is verified and before the lock is sent, with the image exactly as
  /// written: a journal records EF.SOD's hash here so that recovery can recognise the card later.
  /// If it throws, the card stays unlocked.
  std::function<void(const issuance::ChipImage&)> before_lock;
};

struct PersoReport {
  CardState found = CardState::Blank;
  bool erased_first = false;  // a torn card was wiped and personalized from scratch
  std::size_t files = 0;
  std::size_t payload_bytes = 0;  // sum of the elementary files' sizes
  std::size_t write_chunk = 0;    // the chunk size the card took
  WireStats write_wire;           // probe, create, write, key seed
  WireStats verify_wire;          // BAC, read-back, lock
  double write_seconds = 0;
  double verify_seconds = 0;  // read-back, Passive Authentication and lock
  /// Chip Authentication (and later mechanisms) as the read-back ran them.
  std::vector<Check> mechanisms;
  inspection::VerifyReport verification;
  bool locked = false;
};

/// Selects the application (creating it where the profile says so) and tells
/// blank, personalized-but-unlocked and locked cards apart.
CardState probe_card(Transport& card, const CardProfile& profile);

/// Runs the whole personalization. A chip image that awaits the chip's own keys (keys_on_chip) has
/// them generated first and is sealed through options.seal (see chip_keygen.hpp). Throws PersoError when the
/// card is refused or fails a check, CardError when the card or reader goes away, and Error for a chip image
/// the profile cannot hold (before touching the card).
PersoReport personalize(Transport& card, const CardProfile& profile, const issuance::ChipImage& image,
                        const PersoOptions& options);

}  // namespace rcperso::card
