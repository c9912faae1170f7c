#include <doctest/doctest.h>

#include "core/date.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_tlv {

using namespace rcperso;

TEST_CASE("TLV encodes and decodes ICAO two-byte tags") {
  Bytes mrz(90, '<');
  Bytes dg1 = tlv::Writer().add(0x5F1F, mrz).wrap(0x61);
  CHECK(to_hex_upper(ByteView(dg1).first(4)) == "615D5F1F");
  auto outer = tlv::decode_single(dg1, 0x61, "DG1");
  tlv::Reader r(outer.value, "DG1", {}, 2);
  auto inner = r.expect(0x5F1F);
  r.expect_end();
  CHECK(inner.value.size() == 90);
  CHECK(inner.offset == 2);
}

TEST_CASE("TLV lengths use the minimal long form") {
  Bytes out;
  tlv::encode_length(out, 0x7F);
  tlv::encode_length(out, 0x80);
  tlv::encode_length(out, 0x1234);
  CHECK(to_hex(out) == "7f8180821234");
}

TEST_CASE("TLV decoder refuses lies and truncation") {
  CHECK_THROWS_AS(tlv::decode_single(from_hex("6105AABB"), 0x61, "t"), DecodeError);
  CHECK_THROWS_AS(tlv::decode_single(from_hex("6180"), 0x61, "t"), DecodeError);
  CHECK_THROWS_AS(tlv::decode_single(from_hex("618102AABB"), 0x61, "t"), DecodeError);  // non-minimal
  CHECK_NOTHROW(tlv::decode_single(from_hex("618102AABB"), 0x61, "t", {.allow_non_minimal_length = true}));
  CHECK_THROWS_AS(tlv::decode_single(from_hex("6185FFFFFFFFFF"), 0x61, "t"), DecodeError);
  CHECK_THROWS_AS(tlv::decode_single(from_hex("5F"), 0x5F, "t"), DecodeError);
  CHECK_THROWS_AS(tlv::decode_single(from_hex("6100FF"), 0x61, "t"), DecodeError);  // trailing byte
  CHECK_THROWS_WITH_AS(tlv::decode_single(from_hex("6201AA"), 0x61, "DG1"),
                       doctest::Contains("expected tag 61 but found 62"), DecodeError);
}

TEST_CASE("DER INTEGER and OID") {
  CHECK(to_hex(der::integer(0)) == "020100");
  CHECK(to_hex(der::integer(128)) == "02020080");
  CHECK(to_hex(der::oid("2.23.136.1.1.1")) == "0606678108010101");
  CHECK(der::oid_text(der::oid_content("0.4.0.127.0.7.2.2.1.2"), "t") == "0.4.0.127.0.7.2.2.1.2");
  CHECK(der::oid_text(der::oid_content("1.2.840.113549.1.7.2"), "t") == "1.2.840.113549.1.7.2");
  CHECK(der::parse_integer(from_hex("0080"), "t") == 128);
  CHECK_THROWS_AS(der::parse_integer(from_hex("0001"), "t"), DecodeError);
  CHECK_THROWS_AS(der::parse_integer(from_hex("80"), "t"), DecodeError);
}

TEST_CASE("Dates are strict and ages count whole years") {
  CHECK(Date::parse_iso("2024-02-29").has_value());
  CHECK_FALSE(Date::parse_iso("2023-02-29").has_value());
  CHECK_FALSE(Date::parse_iso("2023-13-01").has_value());
  CHECK_FALSE(Date::parse_iso("23-01-01").has_value());
  CHECK_FALSE(Date::parse_iso("2023-1-01").has_value());
  Date birth = *Date::parse_iso("2019-06-15");
  CHECK(Date{2025, 6, 14}.years_since(birth) == 5);
  CHECK(Date{2025, 6, 15}.years_since(birth) == 6);
  CHECK(Date{2024, 2, 29}.plus_years(1) == Date{2025, 2, 28});
  CHECK(Date{1970, 1, 1}.days_since_epoch() == 0);
}

}  // namespace test_tlv
