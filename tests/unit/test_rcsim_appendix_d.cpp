// The ICAO 9303-11 Appendix D worked example on the chip side: rcsim (its own
// Crypto++ code) loaded with the example's MRZ and EF.COM, and given the
// example's RND.IC and K.IC, must answer every command of the example with
// exactly the example's bytes.
#include <doctest/doctest.h>

#include <deque>

#include "core/bytes.hpp"
#include "rcsim/chip.hpp"
#include "rcsim/chip_crypto.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_rcsim_appendix_d {

using rcperso::from_hex;
using rcperso::to_hex_upper;

namespace {

std::string send(rcsim::Chip& chip, const std::string& apdu) {
  return to_hex_upper(chip.process(from_hex(apdu)));
}

}  // namespace

TEST_CASE("rcsim's primitives reproduce Appendix D key derivation") {
  rcsim::Bytes seed = rcsim::sha1(rcsim::Bytes{'L', '8', '9', '8', '9', '0', '2', 'C', '<', '3', '6', '9',
                                               '0', '8', '0', '6', '1', '9', '4', '0', '6', '2', '3', '6'});
  seed.resize(16);
  CHECK(to_hex_upper(seed) == "239AB9CB282DAF66231DC5A4DF6BFBAE");
  CHECK(to_hex_upper(rcsim::kdf_3des(seed, 1)) == "AB94FDECF2674FDFB9B391F85D7F76F2");
  CHECK(to_hex_upper(rcsim::kdf_3des(seed, 2)) == "7962D9ECE03D1ACD4C76089DCE131543");
}

TEST_CASE("rcsim answers the whole Appendix D exchange byte for byte") {
  std::deque<rcsim::Bytes> randomness = {from_hex("4608F91988702212"),                   // RND.IC
                                         from_hex("0B4F80323EB3191CB04970CB4052790B")};  // K.IC
  rcsim::ChipOptions options;
  options.random = [&](std::size_t n) {
    REQUIRE(!randomness.empty());
    rcsim::Bytes next = randomness.front();
    randomness.pop_front();
    REQUIRE(next.size() == n);
    return next;
  };
  rcsim::Chip chip(options);
  chip.power_on();

  // Personalize it with the example's data: EF.COM and the MRZ of L898902C.
  CHECK(send(chip, "00A4040C07A0000002471001") == "9000");
  CHECK(send(chip, "00E000000A6208800200168302011E") == "9000");
  CHECK(send(chip,
             "00D6000016"
             "60145F0104303130365F36063034303030305C026175") == "9000");
  CHECK(send(chip,
             "00DA00621D621B0409"
             "4C383938393032433C"
             "0406"
             "363930383036"
             "0406"
             "393430363233") == "9000");

  // D.3: GET CHALLENGE, then EXTERNAL AUTHENTICATE with the example's E.IFD || M.IFD.
  CHECK(send(chip, "0084000008") == "4608F919887022129000");
  CHECK(send(chip,
             "0082000028"
             "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
             "5F1448EEA8AD90A7"
             "28") ==
        "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"
        "9000");

  // D.4: the protected SELECT EF.COM and the two READ BINARY.
  CHECK(send(chip, "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800") ==
        "990290008E08FA855A5D4C50A8ED9000");
  CHECK(send(chip, "0CB000000D9701048E08ED6705417E96BA5500") ==
        "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000");
  CHECK(send(chip, "0CB000040D9701128E082EA28A70F3C7B53500") ==
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000");
  CHECK(randomness.empty());

  // A command with a wrong MAC ends the session; the next protected command is refused.
  CHECK(send(chip, "0CB000040D9701128E082EA28A70F3C7B53600").substr(0, 4) == "6988");
  CHECK(send(chip, "0CB000040D9701128E082EA28A70F3C7B53500") == "6882");
}

}  // namespace test_rcsim_appendix_d
