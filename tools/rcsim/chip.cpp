#include "rcsim/chip.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

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
  if (!options_.state_file.empty()) load();
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
  applet_selected_ = false;
  selected_.reset();
  session_.reset();
  rnd_ic_.clear();
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
    // Fault injection matches the plain command.
    Bytes plain = {static_cast<std::uint8_t>(c.cla & ~0x0C), c.ins, c.p1, c.p2};
    plain.insert(plain.end(), c.data.begin(), c.data.end());
    for (const auto& [prefix, forced] : options_.fail_on) {
      if (plain.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), plain.begin())) {
        Bytes r = {static_cast<std::uint8_t>(forced >> 8), static_cast<std::uint8_t>(forced)};
        return protected_apdu && session_ ? sm_wrap({}, forced) : r;
      }
    }
    bool bac_command = c.ins == 0x84 || c.ins == 0x82 || (c.ins == 0xA4 && c.p1 == 0x04);
    bool perso_command = c.ins == 0xE0 || c.ins == 0xD6 || c.ins == 0xD7 || c.ins == 0xDA;
    if (lifecycle_ == Lifecycle::Locked && perso_command) {
      sw = 0x6985;  // like the JMRTD applet: personalization is over
    } else if (lifecycle_ == Lifecycle::Locked && !protected_apdu && !bac_command) {
      sw = 0x6982;  // after the lock, everything but BAC needs secure messaging
    } else {
      out = dispatch(c, sw);
    }
    if (protected_apdu) return sm_wrap(out, sw);
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
    case 0x84:
      if (k_enc_.empty()) {
        sw = 0x6985;
        return {};
      }
      rnd_ic_ = options_.random(8);
      return rnd_ic_;
    case 0x82:
      return external_authenticate(c, sw);
    default:
      sw = 0x6D00;
      return {};
  }
}

Bytes Chip::select(const Command& c, std::uint16_t& sw) {
  if (c.p1 == 0x04) {
    if (!std::equal(c.data.begin(), c.data.end(), kEmrtdAid.begin(), kEmrtdAid.end())) {
      sw = 0x6A82;
      return {};
    }
    applet_selected_ = true;
    selected_.reset();
    return {};
  }
  if (c.p1 == 0x02 || c.p1 == 0x00) {
    if (c.data.size() != 2) {
      sw = 0x6700;
      return {};
    }
    auto fid = static_cast<std::uint16_t>(be(c.data));
    if (files_.count(fid) == 0) {
      sw = 0x6A82;
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
  if (files_.count(fid) != 0) {
    sw = 0x6A89;  // file already exists
    return {};
  }
  if (size > options_.max_file_size || used_memory() + size > options_.memory) {
    sw = 0x6A84;
    return {};
  }
  files_[fid] = File{size, Bytes(size, 0)};
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
  File& f = files_[*selected_];
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
  const File& f = files_[*selected_];
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
    k_enc_.clear();
    k_mac_.clear();
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
    Bytes seed = sha1(Bytes(info.begin(), info.end()));
    seed.resize(16);
    k_enc_ = kdf_3des(seed, 1);
    k_mac_ = kdf_3des(seed, 2);
    if (lifecycle_ == Lifecycle::Blank) lifecycle_ = Lifecycle::Personalized;
    save();
    return {};
  }
  sw = 0x6A88;
  return {};
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
  Session session{kdf_3des(seed, 1), kdf_3des(seed, 2), {}};
  session.ssc.assign(rnd_ic_.begin() + 4, rnd_ic_.end());
  session.ssc.insert(session.ssc.end(), rnd_ifd.begin() + 4, rnd_ifd.end());
  session_ = session;
  rnd_ic_.clear();
  return out;
}

bool Chip::sm_unwrap(Command& c, std::uint16_t& sw) {
  auto fail = [&](std::uint16_t code) {
    session_.reset();  // a broken SM session is over
    sw = code;
    return false;
  };
  if (!session_) return fail(0x6882);
  for (std::size_t i = 8; i > 0; --i) {
    if (++session_->ssc[i - 1] != 0) break;
  }
  Bytes do87, do97, do8e, do85;
  std::size_t pos = 0;
  std::uint32_t tag = 0;
  Bytes value;
  Bytes mac_input = session_->ssc;
  Bytes header = pad8({c.cla, c.ins, c.p1, c.p2});
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
  if (!equal_constant_time(retail_mac(session_->ks_mac, mac_input), do8e)) return fail(0x6988);
  Command inner{static_cast<std::uint8_t>(c.cla & ~0x0C), c.ins, c.p1, c.p2, {}, std::nullopt, c.extended};
  if (!do87.empty()) {
    if (do87[0] != 0x01 || (do87.size() - 1) % 8 != 0) return fail(0x6988);
    inner.data = tdes_cbc(session_->ks_enc, Bytes(do87.begin() + 1, do87.end()), false);
    if (!unpad(inner.data)) return fail(0x6988);
  } else if (!do85.empty()) {
    if (do85.size() % 8 != 0) return fail(0x6988);
    inner.data = tdes_cbc(session_->ks_enc, do85, false);
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
  for (std::size_t i = 8; i > 0; --i) {
    if (++session_->ssc[i - 1] != 0) break;
  }
  Bytes body;
  if (!data.empty()) {
    Bytes v = {0x01};
    Bytes enc = tdes_cbc(session_->ks_enc, pad8(data), true);
    v.insert(v.end(), enc.begin(), enc.end());
    put_tlv(body, 0x87, v);
  }
  put_tlv(body, 0x99, {static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw)});
  Bytes mac_input = session_->ssc;
  mac_input.insert(mac_input.end(), body.begin(), body.end());
  put_tlv(body, 0x8E, retail_mac(session_->ks_mac, mac_input));
  body.push_back(static_cast<std::uint8_t>(sw >> 8));
  body.push_back(static_cast<std::uint8_t>(sw));
  return body;
}

std::size_t Chip::used_memory() const {
  std::size_t n = 0;
  for (const auto& [fid, f] : files_) n += f.size;
  return n;
}

void Chip::save() const {
  if (options_.state_file.empty()) return;
  nlohmann::json j;
  j["lifecycle"] = lifecycle_name(lifecycle_);
  j["files"] = nlohmann::json::object();
  for (const auto& [fid, f] : files_) {
    char name[8];
    std::snprintf(name, sizeof name, "%04X", fid);
    j["files"][name] = {{"size", f.size}, {"data", hex(f.data)}};
  }
  // The simulated EEPROM holds the BAC keys like a real chip; the state file is private (0600).
  if (!k_enc_.empty()) j["bac"] = {{"k_enc", hex(k_enc_)}, {"k_mac", hex(k_mac_)}};
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
  for (const auto& [name, f] : j["files"].items()) {
    File file{f.at("size").get<std::size_t>(), unhex(f.at("data").get<std::string>())};
    if (file.data.size() != file.size) throw std::runtime_error("state file: inconsistent file " + name);
    files_[static_cast<std::uint16_t>(std::stoul(name, nullptr, 16))] = std::move(file);
  }
  if (j.contains("bac")) {
    k_enc_ = unhex(j["bac"].at("k_enc").get<std::string>());
    k_mac_ = unhex(j["bac"].at("k_mac").get<std::string>());
  }
}

}  // namespace rcsim
