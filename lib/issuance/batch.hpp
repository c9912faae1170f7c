// Batch issuance: one worker per PC/SC reader, each waiting for a blank
// card, claiming the next order from the journal, preparing it in memory,
// personalizing it (write, read back, verify, lock) and only then recording
// it issued. Orders an earlier run left in flight on this station are
// resolved first by re-reading the card in their reader.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "card/card_profile.hpp"
#include "inspection/verify.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/journal.hpp"
#include "issuance/orders.hpp"

namespace rcperso::issuance {

struct BatchConfig {
  std::vector<std::string> readers;  // full PC/SC reader names
  DocumentProfile profile;
  card::CardProfile card_profile;
  std::string signer;  // pki::open_signer spec; each worker opens its own
  bool production = false;
  bool keys_on_chip = false;  // the cards generate their key pairs; EF.SOD is signed while writing
  std::optional<Bytes> cvca_certificate;
  inspection::VerifyOptions verify;  // CSCA, CRLs and the profile for the read-back
  int retries = 2;                   // further attempts after a failed one
  std::string station;
  std::string operator_name;
  /// Stop when no card came to any waiting reader for this long while orders wait (0: never).
  double idle_exit_seconds = 0;
  /// Once nothing of the set is left here, how long to wait for orders of it another station still
  /// has in flight: a failed attempt there brings its order back as pending, for any station.
  double others_wait_seconds = 120;
  /// Where a QA page per issued card (ORDER.html) and index.html go (empty: none); must exist.
  std::string html_dir;
  /// Set (by a signal handler) to stop claiming; cards in flight are finished.
  const std::atomic<bool>* stop = nullptr;
};

enum class ReaderActivity {
  Starting,
  WaitingForCard,
  Preparing,
  Writing,
  Verifying,
  Locking,
  RemoveCard,
  Done
};
const char* reader_activity_name(ReaderActivity activity);

/// What the batch reports: never names, images or keys; the order id, the document number, the
/// reader and what happened.
struct BatchEvent {
  enum class Kind { Issued, Retry, Failed, Spoiled, Review, Recovered, CardSkipped, Note };
  Kind kind = Kind::Note;
  std::string reader;
  std::string order_id;
  std::string document_number;
  std::string message;
};
const char* batch_event_name(BatchEvent::Kind kind);

struct BatchObserver {
  std::function<void(const BatchEvent&)> event;
  std::function<void(const std::string& reader, ReaderActivity, const std::string& order_id)> activity;
};

struct BatchSummary {
  StateCounts counts;          // of this batch's orders, at the end
  std::size_t issued_now = 0;  // by this run
  double seconds = 0;
  bool interrupted = false;       // stop was set
  bool idle = false;              // ended by idle_exit_seconds
  std::size_t images_erased = 0;  // input image files wiped after their orders were issued
  /// Of counts.in_flight, those left on this station's readers (a card pulled while being locked).
  std::size_t in_flight_here = 0;
  std::string fatal;  // a worker stopped on an error that is not a card's (the journal, the signer)
};

/// The batch's summary page (index.html in html_dir): every order of the set with its state and
/// its report page when this run wrote one.
std::string batch_summary_html(Journal& journal, const OrderSet& orders, const std::string& html_dir);

/// Imports `orders` (idempotently), resolves this station's orders left in flight, then runs
/// one worker per reader until no order of the set is pending or in flight on this station.
BatchSummary run_batch(const BatchConfig& config, Journal& journal, const OrderSet& orders,
                       const BatchObserver& observer);

}  // namespace rcperso::issuance
