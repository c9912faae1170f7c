#include "iso7816/apdu.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace rcperso::iso7816 {

bool CommandApdu::needs_extended() const { return extended || data.size() > 255 || (le && *le > 256); }

Bytes CommandApdu::encode() const {
  if (data.size() > 65535) throw Error("command data longer than 65535 bytes");
  if (le && *le > 65536) throw Error("Le larger than 65536");
  Bytes out{cla, ins, p1, p2};
  bool ext = needs_extended();
  if (!data.empty()) {
    if (ext) {
      out.push_back(0);
      put_be(out, data.size(), 2);
    } else {
      out.push_back(static_cast<std::uint8_t>(data.size()));
    }
    append(out, data);
  }
  if (le) {
    std::size_t v = *le;
    if (ext) {
      if (data.empty()) out.push_back(0);
      put_be(out, v == 65536 || v == 0 ? 0 : v, 2);
    } else {
      out.push_back(static_cast<std::uint8_t>(v == 256 || v == 0 ? 0 : v));
    }
  }
  return out;
}

CommandApdu CommandApdu::decode(ByteView raw) {
  if (raw.size() < 4) throw DecodeError("command APDU shorter than 4 bytes");
  CommandApdu c;
  c.cla = raw[0];
  c.ins = raw[1];
  c.p1 = raw[2];
  c.p2 = raw[3];
  ByteView body = raw.subspan(4);
  if (body.empty()) return c;  // case 1
  if (body.size() == 1) {      // case 2S
    c.le = body[0] == 0 ? 256 : body[0];
    return c;
  }
  if (body[0] != 0) {  // short: 3S or 4S
    std::size_t lc = body[0];
    if (body.size() == 1 + lc) {
      c.data.assign(body.begin() + 1, body.end());
      return c;
    }
    if (body.size() == 2 + lc) {
      c.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<std::ptrdiff_t>(lc));
      c.le = body.back() == 0 ? 256 : body.back();
      return c;
    }
    throw DecodeError("command APDU length does not match Lc");
  }
  // Extended.
  c.extended = true;
  if (body.size() == 3) {  // case 2E
    std::size_t le = get_be(body, 1, 2);
    c.le = le == 0 ? 65536 : le;
    return c;
  }
  if (body.size() < 3) throw DecodeError("truncated extended APDU");
  std::size_t lc = get_be(body, 1, 2);
  if (lc == 0) throw DecodeError("extended Lc of zero");
  if (body.size() == 3 + lc) {
    c.data.assign(body.begin() + 3, body.end());
    return c;
  }
  if (body.size() == 5 + lc) {
    c.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<std::ptrdiff_t>(lc));
    std::size_t le = get_be(body, 3 + lc, 2);
    c.le = le == 0 ? 65536 : le;
    return c;
  }
  throw DecodeError("extended command APDU length does not match Lc");
}

Bytes ResponseApdu::encode() const {
  Bytes out = data;
  put_be(out, sw, 2);
  return out;
}

ResponseApdu ResponseApdu::decode(ByteView raw) {
  if (raw.size() < 2) throw DecodeError("response APDU shorter than its status word");
  ResponseApdu r;
  r.data.assign(raw.begin(), raw.end() - 2);
  r.sw = static_cast<std::uint16_t>(get_be(raw, raw.size() - 2, 2));
  return r;
}

std::string status_text(std::uint16_t sw) {
  char code[8];
  std::snprintf(code, sizeof code, "%04X", sw);
  const char* meaning = nullptr;
  switch (sw) {
    case 0x9000:
      meaning = "success";
      break;
    case 0x6282:
      meaning = "end of file reached before Le bytes";
      break;
    case 0x6300:
      meaning = "authentication failed";
      break;
    case 0x6581:
      meaning = "memory failure";
      break;
    case 0x6A89:
      meaning = "file already exists";
      break;
    case 0x6700:
      meaning = "wrong length";
      break;
    case 0x6882:
      meaning = "secure messaging not supported";
      break;
    case 0x6982:
      meaning = "security status not satisfied";
      break;
    case 0x6983:
      meaning = "authentication method blocked";
      break;
    case 0x6984:
      meaning = "reference data not usable";
      break;
    case 0x6985:
      meaning = "conditions of use not satisfied";
      break;
    case 0x6987:
      meaning = "expected secure messaging data objects missing";
      break;
    case 0x6988:
      meaning = "incorrect secure messaging data objects";
      break;
    case 0x6A80:
      meaning = "incorrect parameters in the data field";
      break;
    case 0x6A82:
      meaning = "file not found";
      break;
    case 0x6A84:
      meaning = "not enough memory space in the file";
      break;
    case 0x6A86:
      meaning = "incorrect parameters P1-P2";
      break;
    case 0x6A88:
      meaning = "referenced data not found";
      break;
    case 0x6B00:
      meaning = "wrong parameters (offset outside the file)";
      break;
    case 0x6D00:
      meaning = "instruction not supported";
      break;
    case 0x6E00:
      meaning = "class not supported";
      break;
    default:
      break;
  }
  if (meaning == nullptr) {
    if ((sw & 0xFF00) == 0x6100) return std::string(code) + " (more data available)";
    if ((sw & 0xFF00) == 0x6C00) return std::string(code) + " (wrong Le)";
    return code;
  }
  return std::string(code) + " (" + meaning + ")";
}

}  // namespace rcperso::iso7816
