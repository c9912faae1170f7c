// ASN.1 DER primitives on top of the TLV layer: the universal types the
// LDS security objects use (INTEGER, OID, OCTET STRING, SEQUENCE, SET,
// PrintableString, BOOLEAN).
#pragma once

#include <cstdint>
#include <string>

#include "tlv/tlv.hpp"

namespace rcperso::der {

inline constexpr tlv::Tag kBoolean = 0x01;
inline constexpr tlv::Tag kInteger = 0x02;
inline constexpr tlv::Tag kBitString = 0x03;
inline constexpr tlv::Tag kOctetString = 0x04;
inline constexpr tlv::Tag kNull = 0x05;
inline constexpr tlv::Tag kOid = 0x06;
inline constexpr tlv::Tag kUtf8String = 0x0C;
inline constexpr tlv::Tag kPrintableString = 0x13;
inline constexpr tlv::Tag kSequence = 0x30;
inline constexpr tlv::Tag kSet = 0x31;

/// Non-negative INTEGER in minimal two's complement form.
Bytes integer(std::uint64_t value);
/// Decodes a non-negative INTEGER value (the content bytes); throws on negative, non-minimal or > 64 bits.
std::uint64_t parse_integer(ByteView content, const std::string& context);

/// Dotted text ("2.23.136.1.1.1") to DER content bytes, and back.
Bytes oid_content(const std::string& dotted);
std::string oid_text(ByteView content, const std::string& context);
/// Whole OID TLV.
Bytes oid(const std::string& dotted);

Bytes octet_string(ByteView value);
Bytes printable_string(const std::string& value);
Bytes sequence(ByteView content);
Bytes set(ByteView content);

}  // namespace rcperso::der
