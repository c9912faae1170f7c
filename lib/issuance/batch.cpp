#include "issuance/batch.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>

#include "card/card_identity.hpp"
#include "card/chip_session.hpp"
#include "card/pcsc.hpp"
#include "card/personalize.hpp"
#include "core/atomic_dir.hpp"
#include "inspection/html_report.hpp"
#include "issuance/retention.hpp"
#include "lds/files.hpp"
#include "pki/hash.hpp"
#include "pki/signer.hpp"
#include "secure/bac.hpp"
#include "secure/pace.hpp"

namespace rcperso::issuance {

using Clock = std::chrono::steady_clock;

const char* reader_activity_name(ReaderActivity activity) {
  switch (activity) {
    case ReaderActivity::Starting:
      return "starting";
    case ReaderActivity::WaitingForCard:
      return "waiting for a blank card";
    case ReaderActivity::Preparing:
      return "preparing";
    case ReaderActivity::Writing:
      return "writing";
    case ReaderActivity::Verifying:
      return "verifying";
    case ReaderActivity::Locking:
      return "locking";
    case ReaderActivity::RemoveCard:
      return "remove the card";
    case ReaderActivity::Done:
      return "done";
  }
  return "?";
}

const char* batch_event_name(BatchEvent::Kind kind) {
  switch (kind) {
    case BatchEvent::Kind::Issued:
      return "issued";
    case BatchEvent::Kind::Retry:
      return "retry";
    case BatchEvent::Kind::Failed:
      return "failed";
    case BatchEvent::Kind::Spoiled:
      return "spoiled";
    case BatchEvent::Kind::Review:
      return "review";
    case BatchEvent::Kind::Recovered:
      return "recovered";
    case BatchEvent::Kind::CardSkipped:
      return "card skipped";
    case BatchEvent::Kind::Note:
      return "note";
  }
  return "?";
}

namespace {

constexpr int kPollMs = 250;

/// The key an inspection system derives from the MRZ: document number, birth and expiry.
std::string mrz_information_of(const Application& app) {
  return secure::mrz_information(app.document.number, app.holder.date_of_birth.yymmdd(),
                                 app.document.date_of_expiry.yymmdd());
}

/// EF.SOD as the card in the reader holds it: through PACE or BAC with the order's MRZ when the
/// card is locked, in the clear when it is not. nullopt when the card does not give it.
std::optional<Bytes> read_card_sod(card::Transport& card, const card::CardProfile& profile,
                                   const std::string& mrz_information, bool locked) {
  card::ReadLimits limits;
  limits.chunk_plain = profile.read_chunk;
  limits.chunk_sm = profile.read_chunk_sm;
  limits.extended_length = profile.extended_length;
  limits.max_file_size = profile.max_file_size;
  card::ChipSession session(card, limits);
  try {
    if (locked) {
      auto card_access = session.read_card_access();
      if (card_access) {
        session.open_pace(*card_access, mrz_information, secure::PacePassword::Mrz);
        session.select_application(profile.select_applet);
      } else {
        session.select_application(profile.select_applet);
        session.open_bac(secure::bac_keys(mrz_information));
      }
    } else {
      session.select_application(profile.select_applet);
    }
    return session.read_file(lds::file_by_name("EF.SOD")->fid, "EF.SOD");
  } catch (const card::CardError&) {
    throw;
  } catch (const Error&) {
    return std::nullopt;  // access refused or no EF.SOD: not this order's card
  }
}

class Batch {
 public:
  Batch(const BatchConfig& config, Journal& journal, const OrderSet& orders, const BatchObserver& observer)
      : config_(config), journal_(journal), orders_(orders), observer_(observer), ids_(orders.ids()) {
    if (!config_.profile.retention.keep_input_images) {
      eraser_.emplace(orders_, [this](const std::string& id) {
        auto o = journal_.find(id);
        return o && o->state == OrderState::Issued;
      });
    }
  }

  BatchSummary run() {
    auto start = Clock::now();
    auto before = journal_.counts(ids_);
    review_foreign_readers();
    std::vector<std::thread> workers;
    workers.reserve(config_.readers.size());
    for (const auto& reader : config_.readers) workers.emplace_back([this, reader] { worker(reader); });
    for (auto& w : workers) w.join();
    BatchSummary summary;
    summary.counts = journal_.counts(ids_);
    summary.issued_now = summary.counts.issued - before.issued;
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    summary.interrupted = stopping();
    summary.idle = idle_;
    summary.images_erased = images_erased_;
    for (const auto& o : journal_.in_flight_of(config_.station)) {
      if (orders_.find(o.order_id) != nullptr) ++summary.in_flight_here;
    }
    std::lock_guard lock(fatal_mutex_);
    summary.fatal = fatal_;
    return summary;
  }

 private:
  bool stopping() const { return config_.stop != nullptr && config_.stop->load(); }
  bool halted() const { return stopping() || idle_ || has_fatal_; }

  void emit(BatchEvent::Kind kind, const std::string& reader, const std::string& order_id,
            const std::string& document_number, const std::string& message) const {
    if (observer_.event) observer_.event({kind, reader, order_id, document_number, message});
  }
  void activity(const std::string& reader, ReaderActivity a, const std::string& order_id = {}) const {
    if (observer_.activity) observer_.activity(reader, a, order_id);
  }
  Actor actor(const std::string& reader) const { return {config_.station, reader, config_.operator_name}; }

  /// Nothing left for this station: no order of the set pending, none in flight here, and none in
  /// flight at another station either, or those waited for as long as the configuration says.
  bool finished() {
    StateCounts counts = journal_.counts(ids_);
    bool own_in_flight = false;
    if (counts.pending == 0) {
      for (const auto& o : journal_.in_flight_of(config_.station)) {
        if (orders_.find(o.order_id) != nullptr) own_in_flight = true;
      }
    }
    std::lock_guard lock(others_mutex_);
    if (counts.pending != 0 || own_in_flight || counts.in_flight == 0) {
      others_since_.reset();  // the wait starts again when only others' orders are left again
      return counts.pending == 0 && !own_in_flight;
    }
    if (!others_since_) {
      others_since_ = Clock::now();
      emit(BatchEvent::Kind::Note, "", "", "",
           std::to_string(counts.in_flight) +
               " order(s) of this batch in flight at another station: waiting up to " +
               std::to_string(static_cast<int>(config_.others_wait_seconds)) + " s for them");
    }
    return std::chrono::duration<double>(Clock::now() - *others_since_).count() > config_.others_wait_seconds;
  }

  /// In-flight orders of this station on readers this run does not use cannot be checked.
  void review_foreign_readers() {
    for (const auto& o : journal_.in_flight_of(config_.station)) {
      if (std::find(config_.readers.begin(), config_.readers.end(), o.reader) != config_.readers.end())
        continue;
      std::string why =
          "left in flight on reader " + o.reader + ", which this run does not use; check its card";
      journal_.transition(o.order_id, OrderState::InFlight, OrderState::Review, actor(o.reader), why);
      emit(BatchEvent::Kind::Review, o.reader, o.order_id, o.document_number, why);
    }
  }

  std::vector<OrderRecord> left_in_flight(const std::string& reader) {
    std::vector<OrderRecord> out;
    for (auto& o : journal_.in_flight_of(config_.station)) {
      if (o.reader == reader) out.push_back(std::move(o));
    }
    return out;
  }

  void move(const OrderRecord& o, OrderState to, const std::string& reader, BatchEvent::Kind kind,
            const std::string& why) {
    journal_.transition(o.order_id, OrderState::InFlight, to, actor(reader), why);
    emit(kind, reader, o.order_id, o.document_number, why);
    if (to == OrderState::Issued) after_issued(o, reader);
  }

  /// Only now, with the card verified and locked, are the order's input images done with.
  void after_issued(const OrderRecord& o, const std::string& reader) {
    if (!eraser_) return;
    try {
      images_erased_ += eraser_->order_issued(o.order_id).size();
    } catch (const Error& e) {
      emit(BatchEvent::Kind::Note, reader, o.order_id, o.document_number,
           std::string("its input images could not be erased: ") + e.what());
    }
  }

  /// The QA page of a card just issued: what was written, which the read-back matched and verified.
  void write_report_page(const OrderRecord& o, const std::string& reader, const ChipImage& written,
                         const inspection::VerifyReport& verification) {
    if (config_.html_dir.empty()) return;
    try {
      inspection::HtmlReportContext context;
      context.source =
          "order " + o.order_id + ", card in reader " + reader + " (the image written, as read back)";
      write_file_atomic(std::filesystem::path(config_.html_dir) / (o.order_id + ".html"),
                        as_bytes(inspection::render_html_report(written, verification, context)), true);
    } catch (const Error& e) {
      emit(BatchEvent::Kind::Note, reader, o.order_id, o.document_number,
           std::string("its QA page could not be written: ") + e.what());
    }
  }

  /// An attempt that failed without spoiling a card: retried while --retries allows.
  void failed_attempt(const OrderRecord& o, const std::string& reader, const std::string& why) {
    OrderState to = after_failed_attempt(o, config_.retries);
    move(
        o, to, reader, to == OrderState::Pending ? BatchEvent::Kind::Retry : BatchEvent::Kind::Failed,
        why + (to == OrderState::Pending ? " (attempt " + std::to_string(o.attempts) + ", will retry)"
                                         : " (attempt " + std::to_string(o.attempts) + ", no retries left)"));
  }

  /// An order this station left in flight on `reader` (a crash, or the card pulled while it was
  /// being locked), resolved against the card now in the reader (nullptr: the reader is empty).
  /// The lock is sent only after the SOD hash is committed, so without one no card can be locked.
  void resolve_left(const OrderRecord& o, const std::string& reader, card::PcscCard* card) {
    if (o.sod_sha256.empty()) {
      failed_attempt(o, reader,
                     "interrupted before its card was verified; that card was never locked (a torn card is "
                     "erased when it is used again)");
      return;
    }
    if (card == nullptr) {
      move(o, OrderState::Review, reader, BatchEvent::Kind::Review,
           "verified and being locked when the run stopped, and its card is not in " + reader +
               ": find the card and check it (rcverify), then rcperso journal resolve");
      return;
    }
    const OrderInput* input = orders_.find(o.order_id);
    std::optional<Bytes> sod;
    card::CardState state = card::probe_card(*card, config_.card_profile);
    if (input != nullptr && state != card::CardState::Blank) {
      Application app = parse_order(*input, config_.profile);
      sod = read_card_sod(*card, config_.card_profile, mrz_information_of(app),
                          state == card::CardState::Locked);
    }
    if (sod && pki::sha256_hex(*sod) == o.sod_sha256) {
      if (state == card::CardState::Locked) {
        move(o, OrderState::Issued, reader, BatchEvent::Kind::Recovered,
             "recovered: the card in the reader holds this order's EF.SOD and is locked");
      } else {
        failed_attempt(o, reader,
                       "recovered: its card was verified but not locked; it is erased and written again");
      }
      return;
    }
    move(o, OrderState::Review, reader, BatchEvent::Kind::Review,
         std::string("verified and being locked when the run stopped, but the card in the reader (") +
             card::card_state_name(state) + ") is not its card: find the card and check it");
  }

  /// A card put back into the reader where an order under review was being locked (it was out
  /// when the run restarted, or another card was in its place). Holding that order's EF.SOD and
  /// locked: the order is issued after all (true: the card is done with). Holding it unlocked:
  /// the lock never took, so the order goes back to be written again, and this card, erased, can
  /// take it or another.
  bool recognise_reviewed(const std::string& reader, card::PcscCard& card, card::CardState state) {
    const bool locked = state == card::CardState::Locked;
    for (const auto& o : journal_.list(OrderState::Review)) {
      if (o.station != config_.station || o.reader != reader || o.sod_sha256.empty()) continue;
      const OrderInput* input = orders_.find(o.order_id);
      if (input == nullptr) continue;
      Application app = parse_order(*input, config_.profile);
      auto sod = read_card_sod(card, config_.card_profile, mrz_information_of(app), locked);
      card::probe_card(card, config_.card_profile);  // a fresh start for what comes next
      if (!sod || pki::sha256_hex(*sod) != o.sod_sha256) continue;
      if (!locked) {
        OrderState to = after_failed_attempt(o, config_.retries);
        std::string why =
            "recovered: its card came back verified but not locked; it is erased and written again";
        if (to != OrderState::Pending)
          why = "its card came back verified but not locked, and no retries are left";
        journal_.transition(o.order_id, OrderState::Review, to, actor(reader), why);
        emit(to == OrderState::Pending ? BatchEvent::Kind::Retry : BatchEvent::Kind::Failed, reader,
             o.order_id, o.document_number, why + " (attempt " + std::to_string(o.attempts) + ")");
        return false;
      }
      journal_.transition(o.order_id, OrderState::Review, OrderState::Issued, actor(reader),
                          "recovered: its locked card came back and holds this order's EF.SOD");
      emit(BatchEvent::Kind::Recovered, reader, o.order_id, o.document_number,
           "recovered: its locked card came back to the reader and holds this order's EF.SOD");
      after_issued(o, reader);
      return true;
    }
    return false;
  }

  bool wait_for_card(card::PcscContext& context, const std::string& reader) {
    auto since = Clock::now();
    while (!halted()) {
      if (context.wait_for_card(reader, kPollMs)) return true;
      if (finished()) return false;
      if (config_.idle_exit_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - since).count() > config_.idle_exit_seconds) {
        emit(BatchEvent::Kind::Note, reader, "", "",
             "no card for " + std::to_string(static_cast<int>(config_.idle_exit_seconds)) +
                 " s: stopping (--idle-exit)");
        idle_ = true;
        return false;
      }
    }
    return false;
  }

  void wait_for_removal(card::PcscContext& context, const std::string& reader) {
    activity(reader, ReaderActivity::RemoveCard);
    // The batch may end meanwhile (another reader issued the last order): the card is taken out later.
    while (!halted() && !context.wait_for_removal(reader, kPollMs) && !finished()) {
    }
  }

  void worker(const std::string& reader) {
    try {
      work(reader);
    } catch (const std::exception& e) {
      std::lock_guard lock(fatal_mutex_);
      if (fatal_.empty()) fatal_ = reader + ": " + e.what();
      has_fatal_ = true;
    }
    activity(reader, ReaderActivity::Done);
  }

  void work(const std::string& reader) {
    activity(reader, ReaderActivity::Starting);
    card::PcscContext context;
    auto signer = pki::open_signer(config_.signer);
    const std::string ds_certificate = "sha256:" + pki::sha256_hex(signer->certificate_der());
    // Startup recovery: an empty reader settles what it can now.
    if (!context.card_present(reader)) {
      for (const auto& o : left_in_flight(reader)) resolve_left(o, reader, nullptr);
    }
    while (!halted()) {
      activity(reader, ReaderActivity::WaitingForCard);
      if (!wait_for_card(context, reader)) break;
      std::unique_ptr<card::PcscCard> card;
      try {
        card = std::make_unique<card::PcscCard>(context, reader);
        if (!serve_card(reader, *card, *signer, ds_certificate)) continue;  // card already gone
      } catch (const card::CardError& e) {
        emit(BatchEvent::Kind::Note, reader, "", "", std::string("card or reader: ") + e.what());
      } catch (const card::PersoError& e) {
        emit(BatchEvent::Kind::CardSkipped, reader, "", "", std::string(e.what()) + "; remove the card");
      }
      card.reset();
      if (finished()) break;  // the last card is taken out after the run
      wait_for_removal(context, reader);
    }
  }

  /// Issues orders onto the card in the reader (more than one if preparation of one fails before
  /// the card is touched). False if the card was gone before anything happened.
  bool serve_card(const std::string& reader, card::PcscCard& card, pki::Signer& signer,
                  const std::string& ds_certificate) {
    const Bytes atr = card.atr();
    const std::string card_id = card::card_identifier(card, atr);
    for (const auto& o : left_in_flight(reader)) resolve_left(o, reader, &card);
    card::CardState state = card::probe_card(card, config_.card_profile);
    if (state == card::CardState::Locked) {
      if (!recognise_reviewed(reader, card, state))
        emit(BatchEvent::Kind::CardSkipped, reader, "", "", "the card is locked (issued before): remove it");
      return true;
    }
    if (state == card::CardState::Personalized) recognise_reviewed(reader, card, state);
    if (state == card::CardState::Personalized && !config_.card_profile.erase) {
      emit(BatchEvent::Kind::CardSkipped, reader, "", "",
           "the card holds files from an interrupted run and card profile " + config_.card_profile.name +
               " cannot erase it: the card is spoiled; set it aside");
      return true;
    }
    for (;;) {
      if (halted()) return true;
      auto claimed = journal_.claim_next(actor(reader), ids_);
      if (!claimed) {
        if (finished()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));  // a retry may come back
        continue;
      }
      if (issue(reader, card, *claimed, signer, ds_certificate, card_id)) return true;
    }
  }

  /// One order onto the card. True when the card is done with (issued, torn or spoiled); false
  /// when it is still blank and can take the next order.
  bool issue(const std::string& reader, card::PcscCard& card, const OrderRecord& order, pki::Signer& signer,
             const std::string& ds_certificate, const std::string& card_id) {
    activity(reader, ReaderActivity::Preparing, order.order_id);
    const OrderInput* input = orders_.find(order.order_id);
    ChipImage chip;
    try {
      if (input == nullptr) throw Error("the order is not in " + orders_.path);
      Application app = parse_order(*input, config_.profile);
      PrepareOptions options;
      options.production = config_.production;
      options.cvca_certificate = config_.cvca_certificate;
      options.keys_on_chip = config_.keys_on_chip;
      chip = prepare(app, config_.profile, signer, options);
    } catch (const Error& e) {
      move(order, OrderState::Failed, reader, BatchEvent::Kind::Failed,
           std::string("preparation: ") + e.what());
      return false;
    }
    card::PersoOptions options;
    options.verify = config_.verify;
    options.seal = [&](ChipImage& image, const ChipPublicKeys& keys) {
      seal_chip_image(image, config_.profile, signer, keys, std::time(nullptr), config_.production);
    };
    card::PersoStage stage = card::PersoStage::Probe;
    options.on_stage = [&](card::PersoStage s) {
      stage = s;
      activity(reader,
               s == card::PersoStage::Lock       ? ReaderActivity::Locking
               : s == card::PersoStage::ReadBack ? ReaderActivity::Verifying
                                                 : ReaderActivity::Writing,
               order.order_id);
    };
    ChipImage written_image;  // the files only (no chip keys), for the QA page
    options.before_lock = [&](const ChipImage& written) {
      if (!config_.html_dir.empty()) written_image.files = written.files;
      const Bytes* sod = written.file("EF.SOD");
      if (sod == nullptr) throw Error("the written image has no EF.SOD");
      journal_.record_card(order.order_id, card_id, pki::sha256_hex(*sod), ds_certificate);
    };
    journal_.record_card(order.order_id, card_id, "", ds_certificate);
    card::PersoReport perso;
    try {
      perso = card::personalize(card, config_.card_profile, chip, options);
    } catch (const card::CardError& e) {
      if (stage == card::PersoStage::Lock) {
        // It may or may not have taken the lock: the card itself must say (resolve_left).
        emit(BatchEvent::Kind::Note, reader, order.order_id, order.document_number,
             std::string("the card went away while being locked (") + e.what() +
                 "); the order stays in flight until the card is back in this reader");
      } else {
        failed_attempt(order, reader,
                       std::string(stage == card::PersoStage::Probe ? "" : "card torn: ") + e.what());
      }
      return true;
    } catch (const card::PersoError& e) {
      if (stage == card::PersoStage::ReadBack || stage == card::PersoStage::Lock) {
        move(order, OrderState::Spoiled, reader, BatchEvent::Kind::Spoiled,
             std::string("written but not proven, never locked as good: destroy the card: ") + e.what());
      } else {
        failed_attempt(order, reader, std::string("the card refused it: ") + e.what());
      }
      return true;
    } catch (const card::AccessDenied& e) {
      move(order, OrderState::Spoiled, reader, BatchEvent::Kind::Spoiled,
           std::string("written but its access control failed: destroy the card: ") + e.what());
      return true;
    } catch (const Error& e) {
      if (stage == card::PersoStage::Probe) {  // the image does not fit the card profile
        move(order, OrderState::Failed, reader, BatchEvent::Kind::Failed, e.what());
        return false;
      }
      throw;  // the journal or something else that is not the card's: stop the batch
    }
    write_report_page(order, reader, written_image, perso.verification);
    move(order, OrderState::Issued, reader, BatchEvent::Kind::Issued,
         "written, read back, verified and locked");
    return true;
  }

  const BatchConfig& config_;
  Journal& journal_;
  const OrderSet& orders_;
  const BatchObserver& observer_;
  const std::vector<std::string> ids_;
  std::optional<InputImageEraser> eraser_;
  std::atomic<std::size_t> images_erased_{0};
  std::atomic<bool> idle_{false};
  std::atomic<bool> has_fatal_{false};
  std::mutex fatal_mutex_;
  std::mutex others_mutex_;
  std::optional<Clock::time_point> others_since_;  // when only other stations' orders were left
  std::string fatal_;
};

}  // namespace

std::string batch_summary_html(Journal& journal, const OrderSet& orders, const std::string& html_dir) {
  std::vector<inspection::HtmlSummaryRow> rows;
  for (const auto& input : orders.orders) {
    inspection::HtmlSummaryRow row;
    row.order = input.order_id;
    row.document_number = input.document_number;
    if (auto o = journal.find(input.order_id)) {
      row.reader = o->reader;
      row.state = order_state_name(o->state);
      if (o->state != OrderState::Issued) row.detail = o->failure;
    }
    std::error_code ec;
    std::string page = input.order_id + ".html";
    if (std::filesystem::is_regular_file(std::filesystem::path(html_dir) / page, ec)) row.report = page;
    rows.push_back(std::move(row));
  }
  inspection::HtmlReportContext context;
  context.source = "batch " + orders.path;
  return inspection::render_html_summary("Batch " + orders.path, rows, context);
}

BatchSummary run_batch(const BatchConfig& config, Journal& journal, const OrderSet& orders,
                       const BatchObserver& observer) {
  journal.import_orders(orders.for_journal());
  Batch batch(config, journal, orders, observer);
  return batch.run();
}

}  // namespace rcperso::issuance
