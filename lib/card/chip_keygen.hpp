// Chip key pairs generated on the chip (ISO/IEC 7816-8 GENERATE ASYMMETRIC
// KEY PAIR) through a card profile's "generate_keys": the host sends which
// key and its domain parameters, the chip keeps the private key and answers
// with the public key, which is checked here before DG14/DG15 publish it.
#pragma once

#include "card/card_profile.hpp"
#include "card/transport.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/prepare.hpp"

namespace rcperso::card {

/// Throws rcperso::Error, before any card is touched, when the card profile cannot generate every key
/// pair the chip image awaits (no generate_keys entry for it), naming the missing entry.
void check_keys_on_chip_supported(const CardProfile& profile, const issuance::ChipImage& image);

/// Generates every key pair the chip image awaits and returns the public keys for seal_chip_image.
/// Throws PersoError when the card refuses or answers with a key that is not what was asked for
/// (wrong curve, a point off the curve, an RSA modulus of another size), CardError when the card
/// goes away.
issuance::ChipPublicKeys generate_keys_on_chip(Transport& card, const CardProfile& profile,
                                               const issuance::ChipImage& image);

/// personalize() for a chip image that awaits the chip's own keys: the card is made blank as
/// personalize() would (a torn card erased where the profile can, otherwise spoiled), the key pairs
/// are generated, options.seal builds DG14/DG15, EF.COM and EF.SOD from the public keys, and the
/// sealed image is written, read back, verified (Chip and Active Authentication with the generated
/// keys) and locked as any other. The card is issued only when this returns.
struct PersoOptions;
struct PersoReport;
PersoReport personalize_with_keys_on_chip(Transport& card, const CardProfile& profile,
                                          const issuance::ChipImage& image, const PersoOptions& options);

/// GENERATE ASYMMETRIC KEY PAIR's data field for each key (exposed for tests): the curve's explicit
/// domain parameters 81 p, 82 a, 83 b, 84 G, 85 order, 87 cofactor; 80 curve name, 81 hash number
/// (1 SHA-1 .. 5 SHA-512); 80 modulus bits (2 bytes).
Bytes generate_ca_ec_data(const std::string& curve);
Bytes generate_aa_data(const std::string& aa_spec);

}  // namespace rcperso::card
