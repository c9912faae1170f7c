#include "card/pcsc.hpp"

#include <winscard.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.hpp"

namespace rcperso::card {

using iso7816::CommandApdu;
using iso7816::ResponseApdu;

std::string pcsc_error(long code) {
  switch (code) {
    case SCARD_E_NO_SERVICE:
      return "the PC/SC service (pcscd) is not running";
    case SCARD_E_NO_READERS_AVAILABLE:
      return "no smart card reader is connected";
    case SCARD_E_NO_SMARTCARD:
      return "no card in the reader";
    case SCARD_W_REMOVED_CARD:
      return "the card was removed";
    case SCARD_E_READER_UNAVAILABLE:
      return "the reader is no longer available";
    case SCARD_W_UNRESPONSIVE_CARD:
      return "the card does not respond";
    case SCARD_W_RESET_CARD:
      return "the card was reset";
    case SCARD_E_TIMEOUT:
      return "timed out";
    case SCARD_E_SHARING_VIOLATION:
      return "the card is in use by another program";
    default:
      return pcsc_stringify_error(code);
  }
}

namespace {
SCARDCONTEXT ctx_of(std::uintptr_t h) { return static_cast<SCARDCONTEXT>(h); }

DWORD reader_state(const PcscContext& context, const std::string& reader, DWORD current, int timeout_ms) {
  SCARD_READERSTATE state{};
  state.szReader = reader.c_str();
  state.dwCurrentState = current;
  LONG rc = SCardGetStatusChange(ctx_of(context.handle()), static_cast<DWORD>(timeout_ms), &state, 1);
  if (rc == SCARD_E_TIMEOUT) return state.dwCurrentState;
  if (rc != SCARD_S_SUCCESS) throw CardError(reader + ": " + pcsc_error(rc));
  return state.dwEventState;
}
}  // namespace

PcscContext::PcscContext() {
  SCARDCONTEXT c = 0;
  LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &c);
  if (rc != SCARD_S_SUCCESS) throw CardError("PC/SC: " + pcsc_error(rc));
  context_ = static_cast<std::uintptr_t>(c);
}

PcscContext::~PcscContext() { SCardReleaseContext(ctx_of(context_)); }

std::vector<std::string> PcscContext::readers() const {
  DWORD len = 0;
  LONG rc = SCardListReaders(ctx_of(context_), nullptr, nullptr, &len);
  if (rc == SCARD_E_NO_READERS_AVAILABLE) return {};
  if (rc != SCARD_S_SUCCESS) throw CardError("PC/SC: " + pcsc_error(rc));
  std::string buf(len, '\0');
  rc = SCardListReaders(ctx_of(context_), nullptr, buf.data(), &len);
  if (rc != SCARD_S_SUCCESS) throw CardError("PC/SC: " + pcsc_error(rc));
  std::vector<std::string> out;
  for (const char* p = buf.c_str(); *p != '\0'; p += std::strlen(p) + 1) out.emplace_back(p);
  return out;
}

std::string PcscContext::resolve(const std::string& spec) const {
  auto all = readers();
  std::string list;
  for (std::size_t i = 0; i < all.size(); ++i) list += "\n  " + std::to_string(i) + ": " + all[i];
  if (all.empty()) throw CardError("no smart card reader is connected");
  if (spec.empty()) {
    if (all.size() == 1) return all[0];
    throw Error("several readers are connected; choose one with --reader:" + list);
  }
  if (std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; }) && spec.size() < 4) {
    std::size_t i = std::stoul(spec);
    if (i < all.size()) return all[i];
    throw Error("there is no reader " + spec + "; readers:" + list);
  }
  for (const auto& r : all) {
    if (r == spec) return r;
  }
  std::vector<std::string> matches;
  for (const auto& r : all) {
    if (r.find(spec) != std::string::npos) matches.push_back(r);
  }
  if (matches.size() == 1) return matches[0];
  throw Error((matches.empty() ? "no reader matches \"" : "several readers match \"") + spec +
              "\"; readers:" + list);
}

bool PcscContext::card_present(const std::string& reader) const {
  return (reader_state(*this, reader, SCARD_STATE_UNAWARE, 0) & SCARD_STATE_PRESENT) != 0;
}

bool PcscContext::wait_for_card(const std::string& reader, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  DWORD state = reader_state(*this, reader, SCARD_STATE_UNAWARE, 0);
  while ((state & SCARD_STATE_PRESENT) == 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) return false;
    state = reader_state(*this, reader, state & ~SCARD_STATE_CHANGED, static_cast<int>(left));
  }
  return true;
}

bool PcscContext::wait_for_removal(const std::string& reader, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  DWORD state = reader_state(*this, reader, SCARD_STATE_UNAWARE, 0);
  while ((state & SCARD_STATE_PRESENT) != 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) return false;
    state = reader_state(*this, reader, state & ~SCARD_STATE_CHANGED, static_cast<int>(left));
  }
  return true;
}

PcscCard::PcscCard(const PcscContext& context, const std::string& reader) : reader_(reader) {
  SCARDHANDLE h = 0;
  DWORD proto = 0;
  LONG rc = SCardConnect(ctx_of(context.handle()), reader.c_str(), SCARD_SHARE_EXCLUSIVE,
                         SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
  if (rc != SCARD_S_SUCCESS) throw CardError(reader + ": cannot connect to the card: " + pcsc_error(rc));
  card_ = static_cast<std::uintptr_t>(h);
  protocol_ = proto;
  BYTE atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr, state = 0, name_len = 0;
  if (SCardStatus(h, nullptr, &name_len, &state, &proto, atr, &atr_len) == SCARD_S_SUCCESS) {
    atr_.assign(atr, atr + atr_len);
  }
}

PcscCard::~PcscCard() { SCardDisconnect(static_cast<SCARDHANDLE>(card_), SCARD_LEAVE_CARD); }

ResponseApdu PcscCard::raw(const CommandApdu& command) {
  Bytes out = command.encode();
  Bytes in(65538);
  DWORD in_len = static_cast<DWORD>(in.size());
  const SCARD_IO_REQUEST* pci = protocol_ == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  if (log_) log_->command(command);
  LONG rc = SCardTransmit(static_cast<SCARDHANDLE>(card_), pci, out.data(), static_cast<DWORD>(out.size()),
                          nullptr, in.data(), &in_len);
  if (rc != SCARD_S_SUCCESS) throw CardError(reader_ + ": " + pcsc_error(rc));
  in.resize(in_len);
  ++stats_.apdus;
  stats_.bytes_sent += out.size();
  stats_.bytes_received += in.size();
  ResponseApdu r;
  try {
    r = ResponseApdu::decode(in);
  } catch (const DecodeError&) {
    throw CardError(reader_ + ": the card sent a response without a status word");
  }
  if (log_) log_->response(r, command.ins == 0x84 || (command.cla & 0x0C) == 0x0C);
  return r;
}

ResponseApdu PcscCard::transmit(const CommandApdu& command) {
  ResponseApdu r = raw(command);
  // Wrong Le: repeat with the length the card asks for. Not under secure
  // messaging: the repeated command would carry a stale MAC; the session
  // layer re-wraps it instead.
  if (r.sw1() == 0x6C && command.le && (command.cla & 0x0C) != 0x0C) {
    CommandApdu again = command;
    again.le = r.sw2() == 0 ? 256 : r.sw2();
    r = raw(again);
  }
  Bytes data = r.data;
  for (int guard = 0; r.sw1() == 0x61 && guard < 256; ++guard) {  // more data: GET RESPONSE
    CommandApdu get{
        static_cast<std::uint8_t>(command.cla & 0x03), 0xC0, 0x00, 0x00, {}, r.sw2() == 0 ? 256 : r.sw2()};
    r = raw(get);
    append(data, r.data);
  }
  r.data = std::move(data);
  return r;
}

ApduLog::ApduLog(const std::string& path) : out_(path, std::ios::app) {
  if (!out_) throw Error(path + ": cannot open the APDU log");
}

void ApduLog::command(const CommandApdu& c) {
  char head[32];
  std::snprintf(head, sizeof head, "> %02X %02X %02X %02X", c.cla, c.ins, c.p1, c.p2);
  out_ << head;
  bool show = c.ins == 0xA4 || c.ins == 0x84 || (c.cla & 0x0C) == 0x0C;  // protected data is encrypted
  if (!c.data.empty())
    out_ << (show ? " " + to_hex_upper(c.data) : " [" + std::to_string(c.data.size()) + " bytes]");
  if (c.le) out_ << " Le=" << *c.le;
  out_ << "\n";
}

void ApduLog::response(const ResponseApdu& r, bool show_data) {
  out_ << "< "
       << (r.data.empty()
               ? ""
               : (show_data ? to_hex_upper(r.data) : "[" + std::to_string(r.data.size()) + " bytes]") + " ")
       << iso7816::status_text(r.sw) << "\n";
  out_.flush();
}

}  // namespace rcperso::card
