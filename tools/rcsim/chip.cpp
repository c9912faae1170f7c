#include "rcsim/chip.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "rcsim/chip_keygen.hpp"

namespace rcsim {

namespace {

constexpr std::uint16_t kOk = 0x9000;
constexpr std::array<std::uint8_t, 7> kEmrtdAid = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

std::string hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto v : b) {
    s.push_back(d[v >> 4]);
    s.push_back(d[v & 15]);
  }
  return s;
}

Bytes unhex(const std::string& s) {
  if (s.size() % 2 != 0) throw std::runtime_error("odd hex");
  Bytes out;
  for (std::size_t i = 0; i < s.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

// One BER-TLV at `pos` (1- or 2-byte tag, definite length); false if malformed.
bool next_tlv(const Bytes& b, std::size_t& pos, std::uint32_t& tag, Bytes& value) {
  if (pos >= b.size()) return false;
  tag = b[pos++];
  if ((tag & 0x1F) == 0x1F) {
    if (pos >= b.size()) return false;
    tag = (tag << 8) | b[pos++];
  }
  if (pos >= b.size()) return false;
  std::size_t len = b[pos++];
  if (len == 0x81 || len == 0x82) {
    std::size_t n = len & 0x7F;
    if (pos + n > b.size()) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | b[pos++];
  } else if (len > 0x80) {
    return false;
  }
  if (len > b.size() - pos) return false;
  value.assign(b.begin() + static_cast<std::ptrdiff_t>(pos),
               b.begin() + static_cast<std::ptrdiff_t>(pos + len));
  pos += len;
  return true;
}

void put_tlv(Bytes& out, std::uint32_t tag, const Bytes& value) {
  if (tag > 0xFF) out.push_back(static_cast<std::uint8_t>(tag >> 8));
  out.push_back(static_cast<std::uint8_t>(tag));
  if (value.size() < 0x80) {
    out.push_back(static_cast<std::uint8_t>(value.size()));
  } else if (value.size() < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(value.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(value.size()));
  }
  out.insert(out.end(), value.begin(), value.end());
}

std::size_t be(const Bytes& b) {
  std::size_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v;
}

int check_digit(const std::string& s) {
  static const int kWeights[] = {7, 3, 1};
  int sum = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 0;
    sum += v * kWeights[i % 3];
  }
  return sum % 10;
}

}  // namespace

const char* lifecycle_name(Lifecycle l) {
  switch (l) {
    case Lifecycle::Blank:
      return "blank";
    case Lifecycle::Personalized:
      return "personalized";
    case Lifecycle::Locked:
      return "locked";
  }
  return "?";
}

Chip::Chip(ChipOptions options) : options_(std::move(options)) {
  if (!options_.date.empty() && !parse_iso_date(options_.date))
    throw std::invalid_argument("chip date: YYYY-MM-DD expected, got " + options_.date);
  if (!options_.state_file.empty()) load();
  if (ic_serial_.empty()) {
    // Not from options_.random, whose sequence replays worked examples.
    ic_serial_ = random_bytes(6);
    save();  // a blank card keeps its serial number when it is pulled and put back
  }
}

int Chip::current_date() const {
  int clock = options_.date.empty() ? system_date() : *parse_iso_date(options_.date);
  return std::max(clock, learnt_date_);
}

Bytes Chip::atr() const {
  // T=1, historical bytes "rcsim-v1".
  Bytes atr = {0x3B, 0x88, 0x80, 0x01, 'r', 'c', 's', 'i', 'm', '-', 'v', '1'};
  std::uint8_t tck = 0;
  for (std::size_t i = 1; i < atr.size(); ++i) tck ^= atr[i];
  atr.push_back(tck);
  return atr;
}

void Chip::power_on() {
  pending_response_.clear();
  pace_.reset();
  applet_selected_ = false;
  selected_.reset();
  session_.reset();
  ca_pending_.reset();
  next_session_.reset();
  rnd_ic_.clear();
  reset_ta(true);
}

std::optional<Chip::Command> Chip::parse(const Bytes& a) {
  if (a.size() < 4) return std::nullopt;
  Command c{a[0], a[1], a[2], a[3], {}, std::nullopt, false};
  std::size_t n = a.size() - 4;
  if (n == 0) return c;
  if (n == 1) {
    c.le = a[4] == 0 ? 256 : a[4];
    return c;
  }
  if (a[4] != 0) {
    std::size_t lc = a[4];
    if (n == 1 + lc || n == 2 + lc) {
      c.data.assign(a.begin() + 5, a.begin() + 5 + static_cast<std::ptrdiff_t>(lc));
      if (n == 2 + lc) c.le = a.back() == 0 ? 256 : a.back();
      return c;
    }
    return std::nullopt;
  }
  c.extended = true;
  if (n == 3) {
    std::size_t le = (static_cast<std::size_t>(a[5]) << 8) | a[6];
    c.le = le == 0 ? 65536 : le;
    return c;
  }
  if (n < 3) return std::nullopt;
  std::size_t lc = (static_cast<std::size_t>(a[5]) << 8) | a[6];
  if (lc == 0 || (n != 3 + lc && n != 5 + lc)) return std::nullopt;
  c.data.assign(a.begin() + 7, a.begin() + 7 + static_cast<std::ptrdiff_t>(lc));
  if (n == 5 + lc) {
    std::size_t le = (static_cast<std::size_t>(a[a.size() - 2]) << 8) | a.back();
    c.le = le == 0 ? 65536 : le;
  }
  return c;
}

Bytes Chip::process(const Bytes& apdu) {
  ++apdus_;
  if (options_.vanish_after >= 0 && apdus_ > options_.vanish_after) {
    vanished_ = true;
    return {};
  }
  auto starts_with = [&apdu](const Bytes& prefix) {
    return !prefix.empty() && apdu.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), apdu.begin());
  };
  if (starts_with(options_.vanish_before)) {  // pulled out before the command reached the chip
    vanished_ = true;
    return {};
  }
  if (starts_with(options_.vanish_on)) {
    process_command(apdu);  // done, and saved, but the answer never reaches the reader
    vanished_ = true;
    return {};
  }
  if (options_.response_chunk == 0) return process_command(apdu);
  if (apdu.size() >= 2 && apdu[1] == 0xC0) return get_response(apdu);
  pending_response_.clear();
  Bytes full = process_command(apdu);
  if (full.size() <= 2 + options_.response_chunk) return full;
  pending_response_ = full;
  return {0x61, static_cast<std::uint8_t>(std::min<std::size_t>(full.size() - 2, 256) & 0xFF)};
}

Bytes Chip::get_response(const Bytes& apdu) {
  if (pending_response_.size() <= 2 || apdu.size() != 5) {
    pending_response_.clear();
    return {0x69, 0x85};
  }
  std::size_t le = apdu[4] == 0 ? 256 : apdu[4];
  std::size_t available = pending_response_.size() - 2;
  std::size_t n = std::min({le, options_.response_chunk, available});
  Bytes out(pending_response_.begin(), pending_response_.begin() + static_cast<std::ptrdiff_t>(n));
  pending_response_.erase(pending_response_.begin(),
                          pending_response_.begin() + static_cast<std::ptrdiff_t>(n));
  if (pending_response_.size() > 2) {
    out.push_back(0x61);
    out.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(pending_response_.size() - 2, 256) & 0xFF));
  } else {
    out.insert(out.end(), pending_response_.begin(), pending_response_.end());
    pending_response_.clear();
  }
  return out;
}

Bytes Chip::process_command(const Bytes& apdu) {
  std::uint16_t sw = kOk;
  Bytes out;
  auto parsed = parse(apdu);
  if (!parsed || (parsed->extended && !options_.extended_length)) {
    sw = 0x6700;
  } else {
    Command c = *parsed;
    bool protected_apdu = (c.cla & 0x0C) == 0x0C;
    if (protected_apdu && !sm_unwrap(c, sw)) {
      Bytes r;
      r.push_back(static_cast<std::uint8_t>(sw >> 8));
      r.push_back(static_cast<std::uint8_t>(sw));
      return r;
    }
    // Command chaining for PUT DATA (a CVCA certificate on a card without extended length): the
    // pieces are collected and the last one, without the chaining bit, carries them all.
    if (c.ins == 0xDA && (c.cla & 0x10) != 0) {
      if (chained_ && (chained_->p1 != c.p1 || chained_->p2 != c.p2)) chained_.reset();
      if (!chained_)
        chained_ = Command{static_cast<std::uint8_t>(c.cla & ~0x10), c.ins, c.p1, c.p2, {}, {}, false};
      chained_->data.insert(chained_->data.end(), c.data.begin(), c.data.end());
      if (chained_->data.size() > 4096) chained_.reset();
      Bytes ok = {0x90, 0x00};
      return protected_apdu ? sm_wrap({}, kOk) : ok;
    }
    if (chained_) {
      if (c.ins == 0xDA && c.p1 == chained_->p1 && c.p2 == chained_->p2) {
        chained_->data.insert(chained_->data.end(), c.data.begin(), c.data.end());
        c.data = std::move(chained_->data);
      }
      chained_.reset();
    }
    // Fault injection matches the plain command.
    Bytes plain = {static_cast<std::uint8_t>(c.cla & ~0x0C), c.ins, c.p1, c.p2};
    plain.insert(plain.end(), c.data.begin(), c.data.end());
    for (const auto& [prefix, forced] : options_.fail_on) {
      if (plain.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), plain.begin())) {
        Bytes r = {static_cast<std::uint8_t>(forced >> 8), static_cast<std::uint8_t>(forced)};
        return protected_apdu && session_ ? sm_wrap({}, forced) : r;
      }
    }
    // Access control itself (BAC, PACE), SELECT of the application and of EF.CardAccess stay open.
    bool bac_command = c.ins == 0x84 || c.ins == 0x82 || c.ins == 0x22 || c.ins == 0x86 ||
                       (c.ins == 0xA4 && c.p1 == 0x04) || (c.ins == 0xA4 && !applet_selected_) ||
                       (c.ins == 0xA4 && c.p1 == 0x00) ||
                       (c.ins == 0xB0 && !applet_selected_ && selected_ == 0x011C) ||
                       (c.ins == 0xCA && !applet_selected_);  // the card manager's CPLC
    bool perso_command = c.ins == 0xE0 || c.ins == 0xD6 || c.ins == 0xD7 || c.ins == 0xDA || c.ins == 0x46;
    if (lifecycle_ == Lifecycle::Locked && perso_command) {
      sw = 0x6985;  // like the JMRTD applet: personalization is over
    } else if (lifecycle_ == Lifecycle::Locked && !protected_apdu && !bac_command) {
      sw = 0x6982;  // after the lock, everything but BAC needs secure messaging
    } else {
      protected_command_ = protected_apdu;
      out = dispatch(c, sw);
      protected_command_ = false;
    }
    if (protected_apdu) {
      Bytes response = sm_wrap(out, sw);
      if (next_session_) {
        session_ = std::exchange(next_session_, std::nullopt);
        // Chip Authentication is done once its answer went out: Terminal Authentication may follow.
        reset_ta(false);
        ta_.chip_authenticated = ca_terminal_comp_pending_.has_value();
        ta_.terminal_comp = ca_terminal_comp_pending_.value_or(Bytes{});
      }
      ca_terminal_comp_pending_.reset();
      return response;
    }
    next_session_.reset();
    ca_terminal_comp_pending_.reset();
  }
  out.push_back(static_cast<std::uint8_t>(sw >> 8));
  out.push_back(static_cast<std::uint8_t>(sw));
  return out;
}

Bytes Chip::dispatch(const Command& c, std::uint16_t& sw) {
  switch (c.ins) {
    case 0xA4:
      return select(c, sw);
    case 0xE0:
      return create_file(c, sw);
    case 0xD6:
    case 0xD7:
      return update_binary(c, sw);
    case 0xB0:
    case 0xB1:
      return read_binary(c, sw);
    case 0xDA:
      return put_data(c, sw);
    case 0x46:
      return generate_key_pair(c, sw);
    case 0x84:
      if (protected_command_) return ta_get_challenge(c, sw);
      if (k_enc_.empty()) {
        sw = 0x6985;
        return {};
      }
      rnd_ic_ = options_.random(8);
      return rnd_ic_;
    case 0x82:
      if (protected_command_) return ta_external_authenticate(c, sw);
      return external_authenticate(c, sw);
    case 0x2A:
      return ta_verify_certificate(c, sw);
    case 0x22:
      return manage_security_environment(c, sw);
    case 0x86:
      return general_authenticate(c, sw);
    case 0x88:
      return internal_authenticate(c, sw);
    case 0xCA:
      return get_cplc(c, sw);
    default:
      sw = 0x6D00;
      return {};
  }
}

Bytes Chip::get_cplc(const Command& c, std::uint16_t& sw) {
  if (applet_selected_ || (c.cla & 0x80) == 0) {
    sw = 0x6D00;  // the eMRTD application has no GET DATA; only the card manager answers it (CLA 80)
    return {};
  }
  if (c.p1 != 0x9F || c.p2 != 0x7F) {
    sw = 0x6A88;
    return {};
  }
  // IC fabricator, IC type, OS identifier, OS release date and level, IC fabrication date (YDDD),
  // IC serial number, IC batch identifier; the module, embedding and perso fields left zero.
  Bytes cplc = {0x9F, 0x7F, 0x2A, 0x52, 0x43, 0x00, 0x01, 0x52, 0x53, 0x60, 0x01, 0x01, 0x00, 0x63, 0x35};
  cplc.insert(cplc.end(), ic_serial_.begin(), ic_serial_.end());
  cplc.resize(3 + 0x2A, 0x00);
  return cplc;
}

Bytes Chip::select(const Command& c, std::uint16_t& sw) {
  // GlobalPlatform's card manager (the issuer security domain): GET DATA for the CPLC goes to it.
  static const Bytes kCardManagerAid = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  if (c.p1 == 0x04 && c.data == kCardManagerAid) {
    applet_selected_ = false;
    selected_.reset();
    reset_ta(false);
    return {};
  }
  if (c.p1 == 0x04) {
    if (!std::equal(c.data.begin(), c.data.end(), kEmrtdAid.begin(), kEmrtdAid.end())) {
      sw = 0x6A82;
      return {};
    }
    applet_selected_ = true;
    selected_.reset();
    reset_ta(false);  // a new selection of the application ends Terminal Authentication
    return {};
  }
  if (c.p1 == 0x00 && (c.data.empty() || c.data == Bytes{0x3F, 0x00}) && !options_.jmrtd_applet) {  // the MF
    applet_selected_ = false;
    selected_.reset();
    return {};
  }
  if (c.p1 == 0x02 || c.p1 == 0x00) {
    if (c.data.size() != 2) {
      sw = 0x6700;
      return {};
    }
    auto fid = static_cast<std::uint16_t>(be(c.data));
    if (current_files().count(fid) == 0) {
      sw = 0x6A82;
      return {};
    }
    if (!file_readable(fid)) {
      sw = 0x6982;  // DG3/DG4 of a locked chip: only after Terminal Authentication with the right
      return {};
    }
    selected_ = fid;
    return {};
  }
  sw = 0x6A86;
  return {};
}

Bytes Chip::create_file(const Command& c, std::uint16_t& sw) {
  if (lifecycle_ == Lifecycle::Locked) {
    sw = 0x6985;
    return {};
  }
  std::size_t size = 0;
  std::uint16_t fid = 0;
  bool found_size = false, found_fid = false;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  if (!next_tlv(c.data, pos, tag, value) || pos != c.data.size()) {
    sw = 0x6A80;
    return {};
  }
  if (tag == 0x62 && options_.jmrtd_applet) {
    sw = 0x6A80;  // the JMRTD applet knows only its own template
    return {};
  }
  if (tag == 0x62) {  // ISO 7816-4 FCP template
    std::size_t p = 0;
    std::uint32_t t = 0;
    Bytes v;
    while (p < value.size()) {
      if (!next_tlv(value, p, t, v)) {
        sw = 0x6A80;
        return {};
      }
      if (t == 0x80 && !v.empty() && v.size() <= 3) {
        size = be(v);
        found_size = true;
      } else if (t == 0x83 && v.size() == 2) {
        fid = static_cast<std::uint16_t>(be(v));
        found_fid = true;
      }
    }
  } else if (tag == 0x63 && value.size() == 4) {  // JMRTD applet form: size(2) fid(2)
    size = be(Bytes(value.begin(), value.begin() + 2));
    fid = static_cast<std::uint16_t>(be(Bytes(value.begin() + 2, value.end())));
    found_size = found_fid = true;
  }
  if (!found_size || !found_fid || size == 0) {
    sw = 0x6A80;
    return {};
  }
  if (current_files().count(fid) != 0) {
    sw = 0x6A89;  // file already exists
    return {};
  }
  if (size > options_.max_file_size || used_memory() + size > options_.memory) {
    sw = 0x6A84;
    return {};
  }
  current_files()[fid] = File{size, Bytes(size, 0)};
  selected_ = fid;
  lifecycle_ = Lifecycle::Personalized;
  save();
  return {};
}

Bytes Chip::update_binary(const Command& c, std::uint16_t& sw) {
  if (lifecycle_ == Lifecycle::Locked) {
    sw = 0x6985;
    return {};
  }
  if (!selected_) {
    sw = 0x6986;
    return {};
  }
  std::size_t offset = 0;
  Bytes data;
  if (c.ins == 0xD6) {
    if ((c.p1 & 0x80) != 0) {
      sw = 0x6A86;  // short file identifiers are not supported here
      return {};
    }
    offset = (static_cast<std::size_t>(c.p1) << 8) | c.p2;
    data = c.data;
  } else {
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    Bytes v;
    bool have_offset = false, have_data = false;
    while (pos < c.data.size()) {
      if (!next_tlv(c.data, pos, tag, v)) {
        sw = 0x6A80;
        return {};
      }
      if (tag == 0x54 && !v.empty() && v.size() <= 3) {
        offset = be(v);
        have_offset = true;
      } else if (tag == 0x53) {
        data = v;
        have_data = true;
      }
    }
    if (!have_offset || !have_data) {
      sw = 0x6A80;
      return {};
    }
  }
  if (data.size() > options_.max_chunk) {
    sw = 0x6700;
    return {};
  }
  File& f = current_files()[*selected_];
  if (offset > f.size || data.size() > f.size - offset) {
    sw = 0x6A84;
    return {};
  }
  std::copy(data.begin(), data.end(), f.data.begin() + static_cast<std::ptrdiff_t>(offset));
  save();
  return {};
}

Bytes Chip::read_binary(const Command& c, std::uint16_t& sw) {
  if (!selected_) {
    sw = 0x6986;
    return {};
  }
  if (!file_readable(*selected_)) {
    sw = 0x6982;
    return {};
  }
  std::size_t offset = 0;
  if (c.ins == 0xB0) {
    if ((c.p1 & 0x80) != 0) {
      sw = 0x6A86;
      return {};
    }
    offset = (static_cast<std::size_t>(c.p1) << 8) | c.p2;
  } else {
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    Bytes v;
    if (!next_tlv(c.data, pos, tag, v) || tag != 0x54 || v.empty() || v.size() > 3) {
      sw = 0x6A80;
      return {};
    }
    offset = be(v);
  }
  const File& f = current_files().at(*selected_);
  if (offset > f.size) {
    sw = 0x6B00;
    return {};
  }
  std::size_t want = c.le.value_or(0);
  if (want > options_.max_chunk) {
    sw = 0x6700;
    return {};
  }
  // For B1, Le counts the DO 53 wrapper (at most 4 header bytes) too.
  std::size_t room = c.ins == 0xB1 ? (want > 4 ? want - 4 : 0) : want;
  std::size_t n = std::min(room, f.size - offset);
  if (options_.past_end_6b00 && n < room && c.ins == 0xB0) {
    sw = 0x6B00;
    return {};
  }
  if (options_.exact_le && n < room && n > 0 && c.ins == 0xB0 && n < 256) {
    sw = static_cast<std::uint16_t>(0x6C00 | n);
    return {};
  }
  Bytes data(f.data.begin() + static_cast<std::ptrdiff_t>(offset),
             f.data.begin() + static_cast<std::ptrdiff_t>(offset + n));
  if (c.ins == 0xB1) {
    Bytes wrapped;
    put_tlv(wrapped, 0x53, data);
    return wrapped;
  }
  return data;
}

Bytes Chip::put_data(const Command& c, std::uint16_t& sw) {
  if (lifecycle_ == Lifecycle::Locked) {
    sw = 0x6985;
    return {};
  }
  if (c.p1 == 0xDE && c.p2 == 0xAD) {  // lock
    if (lifecycle_ != Lifecycle::Personalized || k_enc_.empty()) {
      sw = 0x6985;
      return {};
    }
    lifecycle_ = Lifecycle::Locked;
    save();
    return {};
  }
  if (c.p1 == 0xDE && c.p2 == 0xE5 && !options_.jmrtd_applet) {  // erase an unlocked card back to blank
    files_.clear();
    mf_files_.clear();
    k_enc_.clear();
    k_mac_.clear();
    mrz_password_.clear();
    can_.clear();
    ca_key_ = {};
    aa_key_ = {};
    trust_point_der_.clear();
    trust_point_.reset();
    learnt_date_ = 0;
    doc_number_.clear();
    selected_.reset();
    lifecycle_ = Lifecycle::Blank;
    save();
    return {};
  }
  if (c.p1 == 0x00 && c.p2 == 0x62) {  // BAC key seed: 62 { 04 docno, 04 dob, 04 doe }
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    Bytes value;
    if (!next_tlv(c.data, pos, tag, value) || tag != 0x62 || pos != c.data.size()) {
      sw = 0x6A80;
      return {};
    }
    std::vector<std::string> fields;
    std::size_t p = 0;
    Bytes v;
    while (p < value.size() && next_tlv(value, p, tag, v) && tag == 0x04)
      fields.emplace_back(v.begin(), v.end());
    if (fields.size() != 3 || fields[1].size() != 6 || fields[2].size() != 6) {
      sw = 0x6A80;
      return {};
    }
    // Like the JMRTD applet, the chip adds the check digits itself.
    std::string info;
    for (const auto& f : fields) info += f + static_cast<char>('0' + check_digit(f));
    doc_number_ = fields[0] + static_cast<char>('0' + check_digit(fields[0]));
    Bytes seed = sha1(Bytes(info.begin(), info.end()));
    mrz_password_ = seed;  // PACE's MRZ password is the whole SHA-1
    seed.resize(16);
    k_enc_ = kdf_3des(seed, 1);
    k_mac_ = kdf_3des(seed, 2);
    if (lifecycle_ == Lifecycle::Blank) lifecycle_ = Lifecycle::Personalized;
    save();
    return {};
  }
  if (c.p1 == 0x00 && c.p2 == 0x63) return load_chip_auth_key(c, sw);
  if (c.p1 == 0x00 && c.p2 == 0x67) return load_chip_auth_dh_key(c, sw);
  if (c.p2 == 0x64) return load_trust_point(c, sw);
  if (c.p1 == 0x00 && (c.p2 == 0x60 || c.p2 == 0x61 || c.p2 == 0x66)) return load_active_auth_key(c, sw);
  if (c.p1 == 0x00 && c.p2 == 0x65) {  // PACE CAN: 65 { 04 digits }
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    Bytes value, digits;
    std::size_t p = 0;
    if (!next_tlv(c.data, pos, tag, value) || tag != 0x65 || pos != c.data.size() ||
        !next_tlv(value, p, tag, digits) || tag != 0x04 || p != value.size() || digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](std::uint8_t d) { return d >= '0' && d <= '9'; })) {
      sw = 0x6A80;
      return {};
    }
    can_ = digits;
    save();
    return {};
  }
  sw = 0x6A88;
  return {};
}

std::optional<int> Chip::card_access_parameter_id(const Bytes& oid) const {
  // EF.CardAccess: SET { SEQUENCE { 06 oid, 02 version, 02 parameterId } ... }
  auto file = mf_files_.find(0x011C);
  if (file == mf_files_.end()) return std::nullopt;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes set;
  if (!next_tlv(file->second.data, pos, tag, set) || tag != 0x31) return std::nullopt;
  std::size_t p = 0;
  Bytes seq;
  while (p < set.size() && next_tlv(set, p, tag, seq)) {
    std::size_t q = 0;
    Bytes id, version, param;
    if (tag != 0x30 || !next_tlv(seq, q, tag, id) || tag != 0x06 || id != oid) continue;
    if (!next_tlv(seq, q, tag, version) || tag != 0x02) continue;
    if (q < seq.size() && next_tlv(seq, q, tag, param) && tag == 0x02 && param.size() == 1) return param[0];
  }
  return std::nullopt;
}

Bytes Chip::manage_security_environment(const Command& c, std::uint16_t& sw) {
  pace_.reset();
  ca_pending_.reset();
  if (c.p1 == 0x81 && c.p2 == 0xB6) return ta_set_dst(c, sw);
  if (c.p1 == 0x81 && c.p2 == 0xA4) return ta_set_at(c, sw);
  if (c.p1 == 0x41 && c.p2 == 0xA6) return chip_authentication_kat(c, sw);
  if (c.p1 == 0x41 && c.p2 == 0xA4) {
    std::size_t pos = 0;
    std::uint32_t tag = 0;
    Bytes oid;
    if (!next_tlv(c.data, pos, tag, oid) || tag != 0x80) {
      sw = 0x6A80;
      return {};
    }
    return chip_authentication_set_at(c, oid, sw);
  }
  if (c.p1 != 0xC1 || c.p2 != 0xA4) {
    sw = 0x6A86;  // PACE, Chip Authentication only
    return {};
  }
  Bytes oid, ref, param;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes v;
  while (pos < c.data.size()) {
    if (!next_tlv(c.data, pos, tag, v)) {
      sw = 0x6A80;
      return {};
    }
    if (tag == 0x80)
      oid = v;
    else if (tag == 0x83)
      ref = v;
    else if (tag == 0x84)
      param = v;
  }
  // id-PACE-{DH,ECDH}-{GM,IM}-AES-CBC-CMAC-128/192/256 and id-PACE-ECDH-CAM-AES-CBC-CMAC-*:
  // 04 00 7F 00 07 02 02 04 {01 DH-GM, 02 ECDH-GM, 03 DH-IM, 04 ECDH-IM, 06 ECDH-CAM} {02,03,04}
  static const Bytes kPace = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04};
  auto listed = card_access_parameter_id(oid);
  if (oid.size() != 10 || !std::equal(kPace.begin(), kPace.end(), oid.begin()) || oid[8] < 1 || oid[8] > 6 ||
      oid[8] == 5 || oid[9] < 2 || oid[9] > 4 || !listed || (param.size() == 1 && param[0] != *listed) ||
      param.size() > 1 || ref.size() != 1) {
    sw = 0x6A80;  // not a PACE protocol this chip offers
    return {};
  }
  Bytes password = ref[0] == 0x01 ? mrz_password_ : ref[0] == 0x02 ? can_ : Bytes{};
  if (password.empty()) {
    sw = 0x6A88;  // no such password on this chip
    return {};
  }
  Pace pace;
  pace.oid = oid;
  pace.mapping = oid[8] <= 2   ? PaceMapping::Generic
                 : oid[8] <= 4 ? PaceMapping::Integrated
                               : PaceMapping::ChipAuthentication;
  pace.parameter_id = *listed;
  pace.key_bytes = oid[9] == 2 ? 16 : oid[9] == 3 ? 24 : 32;
  pace.k_pi = kdf_aes(password, 3, pace.key_bytes);
  try {
    pace.curve = PaceDomain::standard(pace.parameter_id);
  } catch (const std::invalid_argument&) {
    sw = 0x6A80;
    return {};
  }
  if (pace.curve->elliptic() != (oid[8] % 2 == 0)) {
    sw = 0x6A80;  // a DH protocol on a curve, or the reverse
    return {};
  }
  if (pace.mapping == PaceMapping::ChipAuthentication && cam_static_key(pace).empty()) {
    sw = 0x6A88;  // CAM needs the static key on the PACE curve: referenced data not found
    return {};
  }
  pace_ = std::move(pace);
  session_.reset();
  reset_ta(true);
  return {};
}

Bytes Chip::general_authenticate(const Command& c, std::uint16_t& sw) {
  auto fail = [&](std::uint16_t code) {
    pace_.reset();
    sw = code;
    return Bytes{};
  };
  if (ca_pending_) return chip_authentication_general_authenticate(c, sw);
  if (!pace_) return fail(0x6985);
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes dyn, inner;
  if (!next_tlv(c.data, pos, tag, dyn) || tag != 0x7C || pos != c.data.size()) return fail(0x6A80);
  std::size_t p = 0;
  std::uint32_t inner_tag = 0;
  if (!dyn.empty() && (!next_tlv(dyn, p, inner_tag, inner) || p != dyn.size())) return fail(0x6A80);
  Pace& pace = *pace_;
  bool last = (c.cla & 0x10) == 0;
  Bytes out;
  auto token = [&](const Bytes& key) {
    Bytes oid_do, input;
    put_tlv(oid_do, 0x06, pace.oid);
    put_tlv(oid_do, pace.curve->elliptic() ? 0x86 : 0x84, key);
    put_tlv(input, 0x7F49, oid_do);
    Bytes t = aes_cmac(pace.ks_mac, input);
    t.resize(8);
    return t;
  };
  switch (pace.step) {
    case 0: {  // encrypted nonce
      if (!dyn.empty() || last) return fail(0x6A80);
      // IM wants s at least as long as the key (9303-11 §4.4.3.3): 32 bytes for AES-192/256.
      pace.nonce = options_.random(pace.mapping == PaceMapping::Integrated && pace.key_bytes > 16 ? 32 : 16);
      put_tlv(out, 0x80, aes_cbc(pace.k_pi, Bytes(16, 0), pace.nonce, true));
      break;
    }
    case 1: {  // mapping
      if (inner_tag != 0x81 || last) return fail(0x6A80);
      if (pace.mapping == PaceMapping::Integrated) {  // 81 carries the terminal's nonce t, 82 stays empty
        if (inner.size() != pace.key_bytes) return fail(0x6A80);
        Bytes r = pace_pseudo_random(pace.nonce, inner, pace.curve->prime_bits());
        if (r.empty() || !pace.curve->map_integrated(r)) return fail(0x6A80);
        put_tlv(out, 0x82, {});
        break;
      }
      pace.map_private = pace.curve->private_key(options_.random);
      Bytes mine = pace.curve->public_key(pace.map_private);
      Bytes h = pace.curve->multiply(pace.map_private, inner);
      if (h.empty() || inner == mine || !pace.curve->map_generic(pace.nonce, h)) return fail(0x6A80);
      put_tlv(out, 0x82, mine);
      break;
    }
    case 2: {  // key agreement on the mapped generator
      if (inner_tag != 0x83 || last) return fail(0x6A80);
      pace.eph_private = pace.curve->private_key(options_.random);
      pace.eph_public = pace.curve->public_key(pace.eph_private);
      Bytes shared = pace.curve->multiply(pace.eph_private, inner);
      if (shared.empty() || inner == pace.eph_public) return fail(0x6A80);
      Bytes x = pace.curve->shared_secret(shared);
      pace.ks_enc = kdf_aes(x, 1, pace.key_bytes);
      pace.ks_mac = kdf_aes(x, 2, pace.key_bytes);
      pace.terminal_eph_public = inner;
      put_tlv(out, 0x84, pace.eph_public);
      break;
    }
    case 3: {  // mutual authentication
      if (inner_tag != 0x85 || !last) return fail(0x6A80);
      if (!equal_constant_time(token(pace.eph_public), inner)) return fail(0x6300);
      put_tlv(out, 0x86, token(pace.terminal_eph_public));
      if (pace.mapping == PaceMapping::ChipAuthentication) {
        // A_IC = E(KS_enc, CA_IC), AES-CBC with IV = E(KS_enc, -1), padding method 2 (§4.4.3.5).
        Bytes static_key = cam_static_key(pace);
        // A clone copied DG14 but not its private key: it answers with a key of its own.
        if (options_.cloned) static_key = pace.curve->private_key(options_.random);
        Bytes ca = pace.curve->chip_authentication_data(static_key, pace.map_private);
        if (ca.empty()) return fail(0x6985);
        Bytes iv = aes_ecb_block(pace.ks_enc, Bytes(16, 0xFF));
        put_tlv(out, 0x8A, aes_cbc(pace.ks_enc, iv, pad_block(ca, 16), true));
      }
      session_ = Session{pace.ks_enc, pace.ks_mac, Bytes(16, 0), true};
      reset_ta(true);
      // ID_PICC for Terminal Authentication: Comp(the chip's ephemeral PACE key).
      auto comp = [&](const Bytes& key) {
        if (!pace.curve->elliptic()) return sha1(key);
        return Bytes(key.begin() + 1, key.begin() + 1 + static_cast<std::ptrdiff_t>((key.size() - 1) / 2));
      };
      id_picc_ = comp(pace.eph_public);
      if (pace.mapping == PaceMapping::ChipAuthentication) {  // PACE-CAM authenticated the chip
        ta_.chip_authenticated = true;
        ta_.terminal_comp = comp(pace.terminal_eph_public);
      }
      pace_.reset();
      Bytes wrapped;
      put_tlv(wrapped, 0x7C, out);
      return wrapped;
    }
    default:
      return fail(0x6985);
  }
  ++pace.step;
  Bytes wrapped;
  put_tlv(wrapped, 0x7C, out);
  return wrapped;
}

namespace {

/// Reads a key's TLV fields, each tag at most once and only the tags given; false on anything else.
bool read_key_fields(const Bytes& data, std::initializer_list<std::pair<std::uint32_t, Bytes*>> fields) {
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  while (pos < data.size()) {
    if (!next_tlv(data, pos, tag, value)) return false;
    Bytes* field = nullptr;
    for (const auto& [wanted, target] : fields) {
      if (wanted == tag) field = target;
    }
    if (field == nullptr || !field->empty()) return false;
    *field = value;
  }
  return true;
}

}  // namespace

Bytes Chip::load_chip_auth_key(const Command& c, std::uint16_t& sw) {
  // 81 prime, 82 a, 83 b, 84 generator, 85 order, 86 private key, 87 cofactor (a prime-curve
  // form of the JMRTD applet's EAC key TLVs; that applet itself takes binary curves only).
  ChipAuthKey key;
  if (!read_key_fields(c.data, {{0x81, &key.prime},
                                {0x82, &key.a},
                                {0x83, &key.b},
                                {0x84, &key.generator},
                                {0x85, &key.order},
                                {0x86, &key.private_key},
                                {0x87, &key.cofactor}}) ||
      options_.jmrtd_applet || !valid_chip_auth_key(key)) {
    sw = 0x6A80;
    return {};
  }
  ca_key_ = std::move(key);
  save();
  return {};
}

Bytes Chip::load_chip_auth_dh_key(const Command& c, std::uint16_t& sw) {
  // 81 prime p, 82 order q, 83 generator g, 84 private exponent x (docs/card-profiles.md).
  ChipAuthKey key;
  key.dh = true;
  if (!read_key_fields(
          c.data,
          {{0x81, &key.prime}, {0x82, &key.order}, {0x83, &key.generator}, {0x84, &key.private_key}}) ||
      options_.jmrtd_applet || !valid_chip_auth_key(key)) {
    sw = 0x6A80;
    return {};
  }
  ca_key_ = std::move(key);
  save();
  return {};
}

Bytes Chip::chip_authentication_terminal_comp(const Bytes& terminal_key) const {
  // Valid, so for EC uncompressed: Comp() is the x-coordinate; for DH, SHA-1 of y padded to p's length.
  if (ca_key_.dh) return sha1(chip_auth_padded_dh_value(ca_key_, terminal_key));
  return Bytes(terminal_key.begin() + 1,
               terminal_key.begin() + 1 + static_cast<std::ptrdiff_t>((terminal_key.size() - 1) / 2));
}

std::optional<Chip::Session> Chip::chip_authentication_session(const Bytes& terminal_key, bool aes,
                                                               std::size_t key_bytes) const {
  ChipAuthKey key = ca_key_;
  if (options_.cloned) key.private_key = options_.random(key.private_key.size());
  Bytes k = chip_auth_shared_secret(key, terminal_key);
  if (k.empty()) return std::nullopt;
  if (aes) return Session{kdf_aes(k, 1, key_bytes), kdf_aes(k, 2, key_bytes), Bytes(16, 0), true};
  return Session{kdf_3des(k, 1), kdf_3des(k, 2), Bytes(8, 0), false};
}

Bytes Chip::chip_authentication_kat(const Command& c, std::uint16_t& sw) {
  // MSE:Set KAT: 91 ephemeral public key [84 key reference]; the answer still goes out under the old keys.
  if (!session_ || ca_key_.empty()) {
    sw = ca_key_.empty() ? 0x6A88 : 0x6982;
    return {};
  }
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value, terminal_key;
  while (pos < c.data.size()) {
    if (!next_tlv(c.data, pos, tag, value) || (tag != 0x91 && tag != 0x84)) {
      sw = 0x6A80;
      return {};
    }
    if (tag == 0x91) terminal_key = value;
  }
  next_session_ = chip_authentication_session(terminal_key, false, 16);
  if (!next_session_) {
    sw = 0x6A80;
    return {};
  }
  ca_terminal_comp_pending_ = chip_authentication_terminal_comp(terminal_key);
  return {};
}

Bytes Chip::chip_authentication_set_at(const Command& c, const Bytes& oid, std::uint16_t& sw) {
  // id-CA-{DH,ECDH}-AES-CBC-CMAC-128/192/256: 04 00 7F 00 07 02 02 03 {01,02} {02,03,04}
  static const Bytes kCa = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03};
  if (oid.size() != 10 || !std::equal(kCa.begin(), kCa.end(), oid.begin()) || oid[8] < 1 || oid[8] > 2 ||
      oid[9] < 2 || oid[9] > 4) {
    sw = 0x6A80;
    return {};
  }
  const bool dh_protocol = oid[8] == 1;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  while (pos < c.data.size()) {
    if (!next_tlv(c.data, pos, tag, value) || (tag != 0x80 && tag != 0x84)) {
      sw = 0x6A80;
      return {};
    }
  }
  if (ca_key_.empty() || ca_key_.dh != dh_protocol) {
    sw = 0x6A88;  // no Chip Authentication key (of this family) on this chip
    return {};
  }
  if (!session_) {
    sw = 0x6982;  // only inside PACE or BAC
    return {};
  }
  ca_pending_ = PendingChipAuth{oid[9] == 2 ? 16U : oid[9] == 3 ? 24U : 32U};
  return {};
}

Bytes Chip::chip_authentication_general_authenticate(const Command& c, std::uint16_t& sw) {
  // 7C { 80 ephemeral public key } -> 7C {} ; then the new keys.
  PendingChipAuth pending = *ca_pending_;
  ca_pending_.reset();
  std::size_t pos = 0, p = 0;
  std::uint32_t tag = 0, inner_tag = 0;
  Bytes dyn, terminal_key;
  if ((c.cla & 0x10) != 0 || !session_ || !next_tlv(c.data, pos, tag, dyn) || tag != 0x7C ||
      pos != c.data.size() || !next_tlv(dyn, p, inner_tag, terminal_key) || inner_tag != 0x80 ||
      p != dyn.size()) {
    sw = 0x6A80;
    return {};
  }
  next_session_ = chip_authentication_session(terminal_key, true, pending.key_bytes);
  if (!next_session_) {
    sw = 0x6A80;
    return {};
  }
  ca_terminal_comp_pending_ = chip_authentication_terminal_comp(terminal_key);
  return {0x7C, 0x00};
}

Bytes Chip::cam_static_key(const Pace& pace) const {
  // The Chip Authentication key of PUT DATA 63 (DG14's) when it lies on the PACE curve; the test
  // hook's key only on a chip without one.
  if (!ca_key_.empty()) {
    const auto* curve = dynamic_cast<const EcCurve*>(pace.curve.get());
    if (curve != nullptr &&
        curve->has_domain(ca_key_.prime, ca_key_.a, ca_key_.b, ca_key_.generator, ca_key_.order))
      return ca_key_.private_key;
    return {};
  }
  if (!ca_private_.empty() && ca_parameter_id_ == pace.parameter_id) return ca_private_;
  return {};
}

void Chip::set_chip_authentication_key(Bytes private_key, int parameter_id) {
  EcCurve curve(parameter_id);  // throws std::invalid_argument for a MODP or unknown ID
  if (!curve.valid_private_key(private_key)) {
    throw std::invalid_argument("Chip Authentication private key out of range for the curve");
  }
  ca_private_ = std::move(private_key);
  ca_parameter_id_ = parameter_id;
}

Bytes Chip::load_active_auth_key(const Command& c, std::uint16_t& sw) {
  // 60 { 04 modulus } and 61 { 04 private exponent } as the JMRTD applet takes them (RSA);
  // 66 { 80 curve name, 81 hash (1 SHA-1 .. 5 SHA-512), 82 private scalar } for ECDSA (rcsim's own).
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  if (!next_tlv(c.data, pos, tag, value) || tag != c.p2 || pos != c.data.size()) {
    sw = 0x6A80;
    return {};
  }
  std::map<std::uint32_t, Bytes> fields;
  std::size_t p = 0;
  Bytes v;
  while (p < value.size()) {
    if (!next_tlv(value, p, tag, v) || fields.count(tag) != 0) {
      sw = 0x6A80;
      return {};
    }
    fields[tag] = v;
  }
  if (c.p2 == 0x60 || c.p2 == 0x61) {
    if (fields.size() != 1 || fields.count(0x04) == 0 || fields[0x04].empty()) {
      sw = 0x6A80;
      return {};
    }
    Bytes number = fields[0x04];
    if (number.size() > 1 && number[0] == 0x00) number.erase(number.begin());  // as the applet does
    (c.p2 == 0x60 ? aa_key_.rsa_modulus : aa_key_.rsa_private_exponent) = number;
  } else {
    if (options_.jmrtd_applet || fields.size() != 3 || fields.count(0x80) == 0 || fields.count(0x81) == 0 ||
        fields.count(0x82) == 0 || fields[0x81].size() != 1 || fields[0x81][0] < 1 || fields[0x81][0] > 5) {
      sw = 0x6A80;
      return {};
    }
    std::string curve(fields[0x80].begin(), fields[0x80].end());
    try {
      (void)ecdsa_public_point(curve, fields[0x82]);  // an unknown curve or a scalar out of range
    } catch (const std::invalid_argument&) {
      sw = 0x6A80;
      return {};
    }
    aa_key_.ec_curve = curve;
    aa_key_.ec_hash = static_cast<AaHash>(fields[0x81][0] - 1);
    aa_key_.ec_private_key = fields[0x82];
  }
  save();
  return {};
}

Bytes Chip::internal_authenticate(const Command& c, std::uint16_t& sw) {
  if (!aa_key_.ready()) {
    sw = 0x6D00;  // no Active Authentication on this chip
    return {};
  }
  if (c.data.size() != 8) {
    sw = 0x6700;
    return {};
  }
  try {
    if (!aa_key_.ec_private_key.empty())
      return ecdsa_sign_plain(aa_key_.ec_curve, aa_key_.ec_private_key, c.data, aa_key_.ec_hash);
    return iso9796_2_sign(aa_key_.rsa_modulus, aa_key_.rsa_private_exponent, c.data, AaHash::Sha1, true);
  } catch (const std::invalid_argument&) {
    sw = 0x6F00;  // a broken key
    return {};
  }
}

Bytes Chip::external_authenticate(const Command& c, std::uint16_t& sw) {
  if (k_enc_.empty() || rnd_ic_.size() != 8) {
    sw = 0x6985;
    return {};
  }
  if (c.data.size() != 40) {
    sw = 0x6700;
    return {};
  }
  Bytes e_ifd(c.data.begin(), c.data.begin() + 32), m_ifd(c.data.begin() + 32, c.data.end());
  if (!equal_constant_time(retail_mac(k_mac_, e_ifd), m_ifd)) {
    rnd_ic_.clear();
    sw = 0x6300;
    return {};
  }
  Bytes s = tdes_cbc(k_enc_, e_ifd, false);
  if (!std::equal(rnd_ic_.begin(), rnd_ic_.end(), s.begin() + 8)) {
    rnd_ic_.clear();
    sw = 0x6300;
    return {};
  }
  Bytes rnd_ifd(s.begin(), s.begin() + 8), k_ifd(s.begin() + 16, s.end());
  Bytes k_ic = options_.random(16);
  Bytes r = rnd_ic_;
  r.insert(r.end(), rnd_ifd.begin(), rnd_ifd.end());
  r.insert(r.end(), k_ic.begin(), k_ic.end());
  Bytes e_ic = tdes_cbc(k_enc_, r, true);
  Bytes out = e_ic;
  Bytes m_ic = retail_mac(k_mac_, e_ic);
  out.insert(out.end(), m_ic.begin(), m_ic.end());
  Bytes seed(16);
  for (std::size_t i = 0; i < 16; ++i) seed[i] = static_cast<std::uint8_t>(k_ifd[i] ^ k_ic[i]);
  Session session{kdf_3des(seed, 1), kdf_3des(seed, 2), {}, false};
  session.ssc.assign(rnd_ic_.begin() + 4, rnd_ic_.end());
  session.ssc.insert(session.ssc.end(), rnd_ifd.begin() + 4, rnd_ifd.end());
  session_ = session;
  reset_ta(true);
  id_picc_.assign(doc_number_.begin(), doc_number_.end());  // ID_PICC after BAC
  rnd_ic_.clear();
  return out;
}

void Chip::Session::increment() {
  for (std::size_t i = ssc.size(); i > 0; --i) {
    if (++ssc[i - 1] != 0) break;
  }
}

Bytes Chip::Session::mac(const Bytes& data) const {
  if (!aes) return retail_mac(ks_mac, data);
  Bytes full = aes_cmac(ks_mac, pad_block(data, 16));
  full.resize(8);
  return full;
}

Bytes Chip::Session::crypt(const Bytes& data, bool encrypt) const {
  if (!aes) return tdes_cbc(ks_enc, data, encrypt);
  return aes_cbc(ks_enc, aes_ecb_block(ks_enc, ssc), data, encrypt);
}

bool Chip::sm_unwrap(Command& c, std::uint16_t& sw) {
  auto fail = [&](std::uint16_t code) {
    session_.reset();  // a broken SM session is over
    reset_ta(true);
    sw = code;
    return false;
  };
  if (!session_) return fail(0x6882);
  session_->increment();
  const std::size_t block = session_->block();
  Bytes do87, do97, do8e, do85;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  Bytes mac_input = session_->ssc;
  Bytes header = pad_block({c.cla, c.ins, c.p1, c.p2}, block);
  mac_input.insert(mac_input.end(), header.begin(), header.end());
  while (pos < c.data.size()) {
    std::size_t start = pos;
    if (!next_tlv(c.data, pos, tag, value)) return fail(0x6988);
    if (tag == 0x8E) {
      do8e = value;
      continue;
    }
    if (tag == 0x87)
      do87 = value;
    else if (tag == 0x85)
      do85 = value;
    else if (tag == 0x97)
      do97 = value;
    else
      return fail(0x6988);
    mac_input.insert(mac_input.end(), c.data.begin() + static_cast<std::ptrdiff_t>(start),
                     c.data.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  if (do8e.size() != 8) return fail(0x6987);
  if (!equal_constant_time(session_->mac(mac_input), do8e)) return fail(0x6988);
  Command inner{static_cast<std::uint8_t>(c.cla & ~0x0C), c.ins, c.p1, c.p2, {}, std::nullopt, c.extended};
  if (!do87.empty()) {
    if (do87[0] != 0x01 || (do87.size() - 1) % block != 0) return fail(0x6988);
    inner.data = session_->crypt(Bytes(do87.begin() + 1, do87.end()), false);
    if (!unpad(inner.data)) return fail(0x6988);
  } else if (!do85.empty()) {
    if (do85.size() % block != 0) return fail(0x6988);
    inner.data = session_->crypt(do85, false);
    if (!unpad(inner.data)) return fail(0x6988);
  }
  if (!do97.empty()) {
    std::size_t le = be(do97);
    inner.le = le == 0 ? (do97.size() == 1 ? 256 : 65536) : le;
  }
  c = inner;
  return true;
}

Bytes Chip::sm_wrap(const Bytes& data, std::uint16_t sw) {
  if (!session_) return {static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw)};
  session_->increment();
  Bytes body;
  if (!data.empty()) {
    Bytes v = {0x01};
    Bytes enc = session_->crypt(pad_block(data, session_->block()), true);
    v.insert(v.end(), enc.begin(), enc.end());
    put_tlv(body, 0x87, v);
  }
  put_tlv(body, 0x99, {static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw)});
  Bytes mac_input = session_->ssc;
  mac_input.insert(mac_input.end(), body.begin(), body.end());
  put_tlv(body, 0x8E, session_->mac(mac_input));
  body.push_back(static_cast<std::uint8_t>(sw >> 8));
  body.push_back(static_cast<std::uint8_t>(sw));
  return body;
}

std::size_t Chip::used_memory() const {
  std::size_t n = 0;
  for (const auto& [fid, f] : files_) n += f.size;
  for (const auto& [fid, f] : mf_files_) n += f.size;
  return n;
}

void Chip::save() const {
  if (options_.state_file.empty()) return;
  nlohmann::json j;
  j["lifecycle"] = lifecycle_name(lifecycle_);
  j["files"] = nlohmann::json::object();
  j["mf_files"] = nlohmann::json::object();
  for (const auto* dir : {&files_, &mf_files_}) {
    for (const auto& [fid, f] : *dir) {
      char name[8];
      std::snprintf(name, sizeof name, "%04X", fid);
      j[dir == &files_ ? "files" : "mf_files"][name] = {{"size", f.size}, {"data", hex(f.data)}};
    }
  }
  // The simulated EEPROM holds the BAC keys like a real chip; the state file is private (0600).
  if (!k_enc_.empty()) j["bac"] = {{"k_enc", hex(k_enc_)}, {"k_mac", hex(k_mac_)}};
  if (!mrz_password_.empty()) j["pace_mrz"] = hex(mrz_password_);
  if (!can_.empty()) j["pace_can"] = std::string(can_.begin(), can_.end());
  if (aa_key_.ready()) {
    j["active_auth_key"] = {{"rsa_modulus", hex(aa_key_.rsa_modulus)},
                            {"rsa_private_exponent", hex(aa_key_.rsa_private_exponent)},
                            {"ec_curve", aa_key_.ec_curve},
                            {"ec_hash", static_cast<int>(aa_key_.ec_hash)},
                            {"ec_private_key", hex(aa_key_.ec_private_key)}};
  }
  if (!ca_key_.empty()) {
    j["chip_auth_key"] = {{"prime", hex(ca_key_.prime)},
                          {"a", hex(ca_key_.a)},
                          {"b", hex(ca_key_.b)},
                          {"generator", hex(ca_key_.generator)},
                          {"order", hex(ca_key_.order)},
                          {"cofactor", hex(ca_key_.cofactor)},
                          {"private_key", hex(ca_key_.private_key)},
                          {"dh", ca_key_.dh}};
  }
  if (!trust_point_der_.empty()) {
    j["ta_trust_point"] = {{"form", options_.jmrtd_applet ? "body" : "certificate"},
                           {"data", hex(trust_point_der_)}};
  }
  if (learnt_date_ != 0) j["ta_date"] = format_date(learnt_date_);
  if (!doc_number_.empty()) j["document_number"] = doc_number_;
  j["ic_serial"] = hex(ic_serial_);
  std::string text = j.dump();
  std::string tmp = options_.state_file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write state file " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), options_.state_file.c_str()) != 0) {
    throw std::runtime_error("cannot write state file " + options_.state_file);
  }
}

void Chip::load() {
  std::ifstream in(options_.state_file);
  if (!in) return;  // a new, blank card
  nlohmann::json j = nlohmann::json::parse(in);
  std::string lc = j.value("lifecycle", "blank");
  lifecycle_ = lc == "locked"         ? Lifecycle::Locked
               : lc == "personalized" ? Lifecycle::Personalized
                                      : Lifecycle::Blank;
  for (const char* key : {"files", "mf_files"}) {
    if (!j.contains(key)) continue;
    auto& dir = std::string(key) == "files" ? files_ : mf_files_;
    for (const auto& [name, f] : j[key].items()) {
      File file{f.at("size").get<std::size_t>(), unhex(f.at("data").get<std::string>())};
      if (file.data.size() != file.size) throw std::runtime_error("state file: inconsistent file " + name);
      dir[static_cast<std::uint16_t>(std::stoul(name, nullptr, 16))] = std::move(file);
    }
  }
  if (j.contains("pace_mrz")) mrz_password_ = unhex(j["pace_mrz"].get<std::string>());
  if (j.contains("pace_can")) {
    auto text = j["pace_can"].get<std::string>();
    can_.assign(text.begin(), text.end());
  }
  if (j.contains("active_auth_key")) {
    const auto& k = j["active_auth_key"];
    aa_key_.rsa_modulus = unhex(k.at("rsa_modulus").get<std::string>());
    aa_key_.rsa_private_exponent = unhex(k.at("rsa_private_exponent").get<std::string>());
    aa_key_.ec_curve = k.at("ec_curve").get<std::string>();
    aa_key_.ec_hash = static_cast<AaHash>(std::clamp(k.at("ec_hash").get<int>(), 0, 4));
    aa_key_.ec_private_key = unhex(k.at("ec_private_key").get<std::string>());
  }
  if (j.contains("chip_auth_key")) {
    const auto& k = j["chip_auth_key"];
    auto field = [&](const char* name) { return unhex(k.at(name).get<std::string>()); };
    ca_key_ = {field("prime"), field("a"),        field("b"),           field("generator"),
               field("order"), field("cofactor"), field("private_key"), k.value("dh", false)};
    if (!valid_chip_auth_key(ca_key_))
      throw std::runtime_error("state file: invalid Chip Authentication key");
  }
  if (j.contains("ta_trust_point")) {
    const auto& t = j["ta_trust_point"];
    trust_point_der_ = unhex(t.at("data").get<std::string>());
    trust_point_ = t.at("form").get<std::string>() == "body" ? parse_cv_body(trust_point_der_)
                                                             : parse_cv_certificate(trust_point_der_);
    if (!trust_point_ || (!trust_point_->domain && !ta_is_rsa(trust_point_->key_oid)))
      throw std::runtime_error("state file: invalid Terminal Authentication trust point");
  }
  if (j.contains("ta_date")) {
    auto date = parse_iso_date(j["ta_date"].get<std::string>());
    if (!date) throw std::runtime_error("state file: invalid ta_date");
    learnt_date_ = *date;
  }
  if (j.contains("document_number")) doc_number_ = j["document_number"].get<std::string>();
  if (j.contains("ic_serial")) {
    ic_serial_ = unhex(j["ic_serial"].get<std::string>());
    if (ic_serial_.size() != 6) throw std::runtime_error("state file: ic_serial must be 6 bytes");
  }
  if (j.contains("bac")) {
    k_enc_ = unhex(j["bac"].at("k_enc").get<std::string>());
    k_mac_ = unhex(j["bac"].at("k_mac").get<std::string>());
  }
}

// ---------------------------------------------------------------------------
// Terminal Authentication v1 (TR-03110-1 §3.5, TR-03110-3 B.11 and B.14)

void Chip::reset_ta(bool session) {
  bool chip_authenticated = ta_.chip_authenticated;
  Bytes terminal_comp = ta_.terminal_comp;
  ta_ = Ta{};
  if (session) {
    id_picc_.clear();
    ca_terminal_comp_pending_.reset();
  } else {
    ta_.chip_authenticated = chip_authenticated;
    ta_.terminal_comp = std::move(terminal_comp);
  }
}

bool Chip::file_readable(std::uint16_t fid) const {
  if (!applet_selected_ || lifecycle_ != Lifecycle::Locked || !trust_point_) return true;
  if (fid != 0x0103 && fid != 0x0104) return true;
  std::uint8_t right = fid == 0x0103 ? kRightReadDg3 : kRightReadDg4;
  return ta_.authenticated && (ta_.rights & right) != 0;
}

Bytes Chip::load_trust_point(const Command& c, std::uint16_t& sw) {
  // rcsim: P1=00, the whole CVCA certificate 7F21; the JMRTD applet's form: P1=01, the body 7F4E only.
  const bool body_only = options_.jmrtd_applet;
  std::optional<CvCert> cert;
  if (c.p1 == (body_only ? 0x01 : 0x00))
    cert = body_only ? parse_cv_body(c.data) : parse_cv_certificate(c.data);
  // An ECDSA CVCA carries its domain parameters, which DV and terminal keys inherit; an RSA one n and e.
  bool usable = cert && cert->role() == CvRole::Cvca &&
                (ta_is_rsa(cert->key_oid) ? !cert->domain
                                          : cert->domain && valid_cv_domain(*cert->domain) &&
                                                valid_cv_point(*cert->domain, cert->point));
  if (!usable) {
    sw = 0x6A80;
    return {};
  }
  if (!body_only && cert->car == cert->chr &&
      !cv_verify(cert->key_oid, cert->domain ? &*cert->domain : nullptr, cert->point, cert->modulus,
                 cert->exponent, cert->body, cert->signature)) {
    sw = 0x6A80;  // a self-signed CVCA certificate must verify under its own key
    return {};
  }
  trust_point_der_ = c.data;
  trust_point_ = std::move(cert);
  save();
  return {};
}

Bytes Chip::ta_set_dst(const Command& c, std::uint16_t& sw) {
  // 83 CAR: the trust point or a key imported by PSO:Verify Certificate in this session.
  if (!protected_command_ || !ta_.chip_authenticated) {
    sw = 0x6982;
    return {};
  }
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes car;
  if (!next_tlv(c.data, pos, tag, car) || tag != 0x83 || pos != c.data.size() || car.empty() ||
      car.size() > 16) {
    sw = 0x6A80;
    return {};
  }
  ta_.dst.reset();
  if (trust_point_ && trust_point_->chr == car) {
    ta_.dst =
        TaKey{trust_point_->chr,      trust_point_->key_oid, trust_point_->point,   trust_point_->modulus,
              trust_point_->exponent, CvRole::Cvca,          trust_point_->rights()};
    return {};
  }
  auto imported = ta_.imported.find(car);
  if (imported == ta_.imported.end()) {
    sw = 0x6A88;  // referenced data not found
    return {};
  }
  ta_.dst = imported->second;
  return {};
}

Bytes Chip::ta_verify_certificate(const Command& c, std::uint16_t& sw) {
  if (c.p1 != 0x00 || c.p2 != 0xBE) {
    sw = 0x6A86;
    return {};
  }
  if (!protected_command_ || !ta_.chip_authenticated) {
    sw = 0x6982;
    return {};
  }
  if (!ta_.dst || !trust_point_) {
    sw = 0x6985;  // no verification key selected
    return {};
  }
  TaKey issuer = *std::exchange(ta_.dst, std::nullopt);
  auto cert = parse_cv_body_and_signature(c.data);
  const CvDomain* domain = trust_point_->domain ? &*trust_point_->domain : nullptr;
  // The chain keeps the trust point's key type. EC DV and terminal keys inherit its parameters; a
  // link certificate repeats them.
  bool fits =
      cert && ta_is_rsa(cert->key_oid) == ta_is_rsa(trust_point_->key_oid) &&
      (domain == nullptr || ((!cert->domain || (cert->role() == CvRole::Cvca && *cert->domain == *domain)) &&
                             valid_cv_point(*domain, cert->point)));
  if (!fits) {
    sw = 0x6A80;
    return {};
  }
  bool issuer_cvca = issuer.role == CvRole::Cvca;
  bool issuer_dv = issuer.role == CvRole::DvDomestic || issuer.role == CvRole::DvForeign;
  bool order_ok =
      issuer_cvca ? cert->role() != CvRole::Terminal : issuer_dv && cert->role() == CvRole::Terminal;
  if (cert->car != issuer.chr || !order_ok) {
    sw = 0x6300;  // wrong issuer, or not CVCA -> DV -> terminal
    return {};
  }
  if (!cv_verify(issuer.oid, domain, issuer.point, issuer.modulus, issuer.exponent, cert->body,
                 cert->signature)) {
    sw = 0x6300;
    return {};
  }
  // Expired link certificates are accepted (§2.5); DV and terminal certificates are not.
  if (cert->role() != CvRole::Cvca && cert->expiration < current_date()) {
    sw = 0x6300;
    return {};
  }
  // CVCA and DV certificates, and terminal certificates of a domestic DV, are a trusted source of time.
  bool time_source = cert->role() != CvRole::Terminal || issuer.role == CvRole::DvDomestic;
  if (time_source && cert->effective > learnt_date_) {
    learnt_date_ = cert->effective;
    save();
  }
  TaKey key{cert->chr,
            cert->key_oid,
            cert->point,
            cert->modulus,
            cert->exponent,
            cert->role(),
            static_cast<std::uint8_t>(issuer.rights & cert->rights())};
  ta_.imported[key.chr] = key;
  return {};
}

Bytes Chip::ta_set_at(const Command& c, std::uint16_t& sw) {
  // [80 id-TA OID] 83 CHR of a terminal certificate verified in this session.
  if (!protected_command_ || !ta_.chip_authenticated) {
    sw = 0x6982;
    return {};
  }
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value, oid, chr;
  bool have_oid = false, have_chr = false;
  while (pos < c.data.size()) {
    if (!next_tlv(c.data, pos, tag, value)) {
      sw = 0x6A80;
      return {};
    }
    if (tag == 0x80 && !have_oid && !have_chr) {
      oid = value;
      have_oid = true;
    } else if (tag == 0x83 && !have_chr) {
      chr = value;
      have_chr = true;
    } else {
      sw = 0x6A80;
      return {};
    }
  }
  if (!have_chr || chr.empty() || chr.size() > 16 || (have_oid && !ta_algorithm(oid))) {
    sw = 0x6A80;
    return {};
  }
  ta_.at.reset();
  ta_.challenge.clear();
  auto key = ta_.imported.find(chr);
  if (key == ta_.imported.end() || key->second.role != CvRole::Terminal) {
    sw = 0x6A88;
    return {};
  }
  if (have_oid && oid != key->second.oid) {
    sw = 0x6A80;  // not the algorithm of the terminal's key
    return {};
  }
  ta_.at = key->second;
  return {};
}

Bytes Chip::ta_get_challenge(const Command& c, std::uint16_t& sw) {
  if (!ta_.chip_authenticated) {
    sw = 0x6982;
    return {};
  }
  if (c.p1 != 0x00 || c.p2 != 0x00) {
    sw = 0x6A86;
    return {};
  }
  if (!c.data.empty() || c.le != 8) {
    sw = 0x6700;
    return {};
  }
  ta_.challenge = options_.random(8);
  return ta_.challenge;
}

Bytes Chip::ta_external_authenticate(const Command& c, std::uint16_t& sw) {
  if (!ta_.chip_authenticated) {
    sw = 0x6982;
    return {};
  }
  if (c.p1 != 0x00 || c.p2 != 0x00) {
    sw = 0x6A86;
    return {};
  }
  if (!ta_.at || ta_.challenge.size() != 8 || id_picc_.empty() || ta_.terminal_comp.empty() ||
      !trust_point_) {
    sw = 0x6985;  // MSE:Set AT and GET CHALLENGE first
    return {};
  }
  Bytes message = id_picc_;
  message.insert(message.end(), ta_.challenge.begin(), ta_.challenge.end());
  message.insert(message.end(), ta_.terminal_comp.begin(), ta_.terminal_comp.end());
  ta_.challenge.clear();  // one attempt per challenge
  ta_.authenticated = false;
  ta_.rights = 0;
  const CvDomain* domain = trust_point_->domain ? &*trust_point_->domain : nullptr;
  if (!cv_verify(ta_.at->oid, domain, ta_.at->point, ta_.at->modulus, ta_.at->exponent, message, c.data)) {
    sw = 0x6300;
    return {};
  }
  ta_.authenticated = true;
  ta_.rights = ta_.at->rights;
  return {};
}

Bytes Chip::generate_key_pair(const Command& c, std::uint16_t& sw) {
  // GENERATE ASYMMETRIC KEY PAIR (ISO/IEC 7816-8), P2 the key as PUT DATA names it: 63 Chip
  // Authentication (data: the explicit curve, 81-85 and 87), 66 Active Authentication ECDSA (80 curve
  // name, 81 hash 1..5), 60 Active Authentication RSA (80 modulus bits). Answer: 7F49 { 86 point }
  // or 7F49 { 81 modulus, 82 public exponent }.
  if (options_.jmrtd_applet) {
    sw = 0x6D00;
    return {};
  }
  if (c.p1 != 0x00 || (c.p2 != 0x63 && c.p2 != 0x66 && c.p2 != 0x60)) {
    sw = 0x6A86;
    return {};
  }
  // Once DG14, DG15 or the SOD is on the chip the public key is published: it never changes again
  // (an erase of the unlocked card starts over).
  for (std::uint16_t published : {std::uint16_t{0x010E}, std::uint16_t{0x010F}, std::uint16_t{0x011D}}) {
    if (files_.count(published) != 0) {
      sw = 0x6985;
      return {};
    }
  }
  std::map<std::uint32_t, Bytes> fields;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  while (pos < c.data.size()) {
    if (!next_tlv(c.data, pos, tag, value) || fields.count(tag) != 0) {
      sw = 0x6A80;
      return {};
    }
    fields[tag] = value;
  }
  auto only = [&fields](std::initializer_list<std::uint32_t> tags) {
    if (fields.size() != tags.size()) return false;
    for (auto t : tags) {
      if (fields.count(t) == 0 || fields[t].empty()) return false;
    }
    return true;
  };
  Bytes template_body;
  if (c.p2 == 0x63) {
    if (!only({0x81, 0x82, 0x83, 0x84, 0x85, 0x87})) {
      sw = 0x6A80;
      return {};
    }
    ChipAuthKey key{fields[0x81], fields[0x82], fields[0x83], fields[0x84], fields[0x85], fields[0x87], {}};
    key.private_key = random_scalar(key.order, options_.random);
    if (!valid_chip_auth_key(key)) {
      sw = 0x6A80;
      return {};
    }
    put_tlv(template_body, 0x86, chip_auth_public_point(key));
    ca_key_ = std::move(key);
  } else if (c.p2 == 0x66) {
    if (!only({0x80, 0x81}) || fields[0x81].size() != 1 || fields[0x81][0] < 1 || fields[0x81][0] > 5) {
      sw = 0x6A80;
      return {};
    }
    std::string curve(fields[0x80].begin(), fields[0x80].end());
    Bytes point;
    try {
      point = ecdsa_public_point(curve, Bytes{0x01});  // an unknown curve throws
    } catch (const std::invalid_argument&) {
      sw = 0x6A80;
      return {};
    }
    const std::size_t scalar_bytes = (point.size() - 1) / 2;
    Bytes scalar;
    for (int attempt = 0; attempt < 64 && scalar.empty(); ++attempt) {
      Bytes candidate = options_.random(scalar_bytes);
      try {
        point = ecdsa_public_point(curve, candidate);
        scalar = std::move(candidate);
      } catch (const std::invalid_argument&) {  // zero or beyond the order: draw again
      }
    }
    if (scalar.empty()) {
      sw = 0x6F00;
      return {};
    }
    put_tlv(template_body, 0x86, point);
    aa_key_ = {};
    aa_key_.ec_curve = curve;
    aa_key_.ec_hash = static_cast<AaHash>(fields[0x81][0] - 1);
    aa_key_.ec_private_key = std::move(scalar);
  } else {
    if (!only({0x80}) || fields[0x80].size() != 2) {
      sw = 0x6A80;
      return {};
    }
    unsigned bits = (static_cast<unsigned>(fields[0x80][0]) << 8) | fields[0x80][1];
    if ((bits != 1024 && bits != 2048 && bits != 3072 && bits != 4096) ||
        bits > options_.max_rsa_generation_bits) {
      sw = 0x6A80;
      return {};
    }
    RsaKeyPair rsa = rsa_generate(bits);
    put_tlv(template_body, 0x81, rsa.modulus);
    put_tlv(template_body, 0x82, rsa.public_exponent);
    aa_key_ = {};
    aa_key_.rsa_modulus = std::move(rsa.modulus);
    aa_key_.rsa_private_exponent = std::move(rsa.private_exponent);
  }
  save();
  Bytes out;
  put_tlv(out, 0x7F49, template_body);
  return out;
}

}  // namespace rcsim
