// PACE Integrated Mapping and Chip Authentication Mapping on the host:
// ICAO 9303-11 Appendix H.1 (ECDH-IM, brainpoolP256r1), H.2 (DH-IM, MODP
// 1024/160) and Appendix I (ECDH-CAM) step by step, with every intermediate
// value the examples publish, then the refusals.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "lds/card_access.hpp"
#include "secure/crypto.hpp"
#include "secure/pace.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_pace_im_cam {

using namespace rcperso;
using namespace rcperso::secure;

namespace {
using test::hex;
using test::secret;

constexpr const char* kEcdhIm128 = "0.4.0.127.0.7.2.2.4.4.2";
constexpr const char* kDhIm128 = "0.4.0.127.0.7.2.2.4.3.2";
constexpr const char* kEcdhCam128 = "0.4.0.127.0.7.2.2.4.6.2";

// Appendix I.
constexpr const char* kCamNonceZ = "CB60E8E0D85B76A9BD304747C2AD42E2";
constexpr const char* kCamChipMappingPublic =
    "04A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B304F365713A356E65A451E165ECC9AC0AC46E37"
    "7134"
    "2C8FE5AEDD092685338E23";
constexpr const char* kCamChipEphemeralPublic =
    "0402AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA993333111C3B9B4C2287789BD137E7F8AA882E2A3C633"
    "CCD6"
    "ECC2C63C57AD401A09C2E1";
constexpr const char* kCamEncryptedData =
    "1EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F92";
// The static key from the appendix's ChipAuthenticationPublicKeyInfo (EF.CardSecurity).
constexpr const char* kCamChipStaticPublic =
    "041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC8"
    "84D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F";

/// Appendix I up to the chip's token, with the example's terminal keys.
PaceInitiator cam_example_until_token() {
  auto protocol = pace_protocol(kEcdhCam128);
  PaceInitiator pace(protocol, 13,
                     pace_password_key("C11T002JM496081222310314", PacePassword::Mrz, protocol));
  pace.receive_encrypted_nonce(from_hex(kCamNonceZ));
  (void)pace.mapping_public_key(secret("5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC"));
  pace.receive_chip_mapping_key(from_hex(kCamChipMappingPublic));
  (void)pace.ephemeral_public_key(secret("76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120"));
  pace.receive_chip_ephemeral_key(from_hex(kCamChipEphemeralPublic));
  (void)pace.finish(from_hex("8596CF055C67C1A3"));
  return pace;
}
}  // namespace

TEST_CASE("PACE IM and CAM: protocol OIDs, nonce lengths and PACEInfo in EF.CardAccess") {
  auto im = pace_protocol(kEcdhIm128);
  CHECK(im.mapping == PaceMapping::Integrated);
  CHECK(im.ecdh);
  CHECK(im.key_bits == 128);
  auto dh_im = pace_protocol(kDhIm128);
  CHECK(dh_im.mapping == PaceMapping::Integrated);
  CHECK_FALSE(dh_im.ecdh);
  for (const char* oid : {"0.4.0.127.0.7.2.2.4.6.2", "0.4.0.127.0.7.2.2.4.6.3", "0.4.0.127.0.7.2.2.4.6.4"}) {
    auto cam = pace_protocol(oid);
    CHECK(cam.mapping == PaceMapping::ChipAuthentication);
    CHECK(cam.ecdh);
    CHECK(cam.cipher == SmCipher::Aes);
  }
  CHECK(pace_protocol("0.4.0.127.0.7.2.2.4.6.4").key_bits == 256);

  // t has the key's length (16 for 3DES), s the next multiple of the block size.
  CHECK(pace_im_terminal_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.4.1")) == 16);
  CHECK(pace_im_chip_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.4.1")) == 16);
  CHECK(pace_im_terminal_nonce_bytes(im) == 16);
  CHECK(pace_im_chip_nonce_bytes(im) == 16);
  CHECK(pace_im_terminal_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.4.3")) == 24);
  CHECK(pace_im_chip_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.4.3")) == 32);
  CHECK(pace_im_terminal_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.3.4")) == 32);
  CHECK(pace_im_chip_nonce_bytes(pace_protocol("0.4.0.127.0.7.2.2.4.3.4")) == 32);

  // The PACEInfo of Appendix I, and one for H.1; the decoded OIDs are PACE protocols the host runs.
  auto i1 = lds::CardAccess::decode(from_hex("31143012060A04007F0007020204060202010202010D"));
  REQUIRE(i1.pace.size() == 1);
  CHECK(i1.pace[0].protocol == kEcdhCam128);
  CHECK(i1.pace[0].parameter_id == 13);
  CHECK(to_hex_upper(i1.encode()) == "31143012060A04007F0007020204060202010202010D");
  auto h = lds::CardAccess::decode(
      from_hex("31283012060A04007F0007020204040202010202010D3012060A04007F00070202040302020102020100"));
  REQUIRE(h.pace.size() == 2);
  CHECK(pace_protocol(h.pace[0].protocol).mapping == PaceMapping::Integrated);
  CHECK(h.pace[1].protocol == kDhIm128);
  CHECK(h.pace[1].parameter_id == 0);
  CHECK_NOTHROW(PaceInitiator(pace_protocol(h.pace[0].protocol), *h.pace[0].parameter_id, SecureBytes(16)));
  CHECK_NOTHROW(PaceInitiator(pace_protocol(i1.pace[0].protocol), *i1.pace[0].parameter_id, SecureBytes(16)));
}

TEST_CASE("H.1 PACE ECDH Integrated Mapping (brainpoolP256r1, AES-128), step by step") {
  auto protocol = pace_protocol(kEcdhIm128);
  // The appendix gives K_pi only; it is the CAN (or PIN) 123456.
  SecureBytes k_pi = pace_password_key("123456", PacePassword::Can, protocol);
  CHECK(hex(k_pi) == "591468CDA83D65219CCCB8560233600F");

  PaceInitiator pace(protocol, 13, k_pi);
  CHECK(to_hex_upper(pace.mse_set_at_data(PacePassword::Can, false)) == "800A04007F00070202040402830102");
  pace.receive_encrypted_nonce(from_hex("143DC40C08C8E891FBED7DEDB92B64AD"));
  CHECK(to_hex_upper(pace.nonce()) == "2923BE84E16CD6AE529049F1F1BBE9EB");

  Bytes t = from_hex("5DD4CBFC96F5453B130D890A1CDBAE32");
  SecureBytes r = pace_im_pseudo_random(pace.nonce(), t, protocol, pace.group().prime_bits());
  CHECK(pace.group().prime_bits() == 256);
  CHECK(hex(r) ==
        "E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322");
  CHECK(hex(pace.group().reduce_modulo_prime(r)) ==
        "A2F8FF2DF50E52C6599F386ADCB595D229F6A167ADE2BE5F2C3296ADD5B7430E");

  CHECK(to_hex_upper(pace.integrated_mapping_nonce(t)) == "5DD4CBFC96F5453B130D890A1CDBAE32");
  CHECK(to_hex_upper(pace.group().generator()) ==
        "048E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D4274C1AE14BD0C3DBAC0C871B7F3608169364"
        "437"
        "CA30AC243A089D3F266C1E60FAD");
  CHECK_NOTHROW(pace.receive_integrated_mapping_response({}));
  CHECK_THROWS_WITH_AS(pace.receive_integrated_mapping_response(Bytes{0x00}), doctest::Contains("empty"),
                       Error);

  SecureBytes terminal = secret("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595");
  CHECK(to_hex_upper(pace.ephemeral_public_key(terminal)) ==
        "0489CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D46755DE9B7B778280B6BEBD57439ADFEB0E"
        "21F"
        "D4ED6DF42578C13418A59B34C37");
  Bytes chip_eph = from_hex(
      "0467F78E5F7F7686082B293E8D087E056916D0F74BC01A5F8957D0DE45691E51E8932B69A962B52A0985AD2C0A271EE6A13A8A"
      "DD"
      "DCD1A3A994B9DED257F4D22753");
  CHECK(hex(pace.group().shared_secret(terminal, chip_eph)) ==
        "4F150FDE1D4F0E38E95017B891BAE17133A0DF45B0D3E18B60BA7BEAFDC2C713");
  pace.receive_chip_ephemeral_key(chip_eph);
  CHECK(to_hex_upper(pace.terminal_token()) == "450F02B86F6A0909");
  SessionKeys keys = pace.finish(from_hex("75D4D96E8D5B0308"));
  CHECK(hex(keys.ks_enc) == "0D3FEB33251A6370893D62AE8DAAF51B");
  CHECK(hex(keys.ks_mac) == "B01E89E3D9E8719E586B50B4A7506E0B");
  CHECK(to_hex_upper(keys.ssc) == "00000000000000000000000000000000");
  CHECK_THROWS_WITH_AS(pace.finish(from_hex("75D4D96E8D5B0309")), doctest::Contains("token is wrong"), Error);

  // Another t maps the same s to another generator.
  PaceInitiator other(protocol, 13, k_pi);
  other.receive_encrypted_nonce(from_hex("143DC40C08C8E891FBED7DEDB92B64AD"));
  (void)other.integrated_mapping_nonce(from_hex("5DD4CBFC96F5453B130D890A1CDBAE33"));
  CHECK(other.group().generator() != pace.group().generator());
}

TEST_CASE("H.2 PACE DH Integrated Mapping (RFC 5114 1024/160, AES-128), step by step") {
  auto protocol = pace_protocol(kDhIm128);
  PaceInitiator pace(protocol, 0, pace_password_key("123456", PacePassword::Can, protocol));
  pace.receive_encrypted_nonce(from_hex("9ABB8864CA0FF1551E620D1EF4E13510"));
  CHECK(to_hex_upper(pace.nonce()) == "FA5B7E3E49753A0DB9178B7B9BD898C8");

  Bytes t = from_hex("B3A6DB3C870C3E99245E0D1C06B747DE");
  SecureBytes r = pace_im_pseudo_random(pace.nonce(), t, protocol, pace.group().prime_bits());
  CHECK(hex(r) ==
        "EAB98D13E09052952AA729907C3C946184DEA0FE74AD2B3AF506F0A83018459C38099CD1F7FF4EA0A078DB1FAC1365505E3D"
        "C855"
        "00EF95E20B4EEF2E88489233BEE0546B472F994B618D168702406791DEEF3CB4810932EC278F3533FDB860EB4835C36FA4F1"
        "BF3F"
        "A0B828A718C96BDE88FBA38A3E6C35AAA10959251EB5FC710FC187258995944C0F926E249373F485");
  CHECK(hex(pace.group().reduce_modulo_prime(r)) ==
        "A0C7C50C002061A51CC87D254EF38068607417B6EE1B36473CFB800D2D2E5FA2B6980F01105D24FAB22ACD1BFA5C8A4C093E"
        "CDFA"
        "FE6D7125D42A843E338603835CF19AFAFF75EFE21DC5F6AA1F9AE46C25087E7368166FB08C1E4627AFED7D93570417B790FF"
        "7F74"
        "7E57F432B04E1236819E0DFEF5B6E77CA4999925328182D2");
  (void)pace.integrated_mapping_nonce(t);
  CHECK(to_hex_upper(pace.group().generator()) ==
        "1D7D767F11E333BCD6DBAEF40E799E7A926B96973550656FF3C830726D118D61C276CDCC61D475CF03A98E0C0E79CAEBA5BE"
        "2557"
        "8BD4551D0B10903236F0B0F976852FA78EEA14EA0ACA87D1E91F688FE0DFF897BBE35A472621D343564B262F34223AE8FC59"
        "B664"
        "BFEDFA2BFE7516CA5510A6BBB633D517EC25D4E0BBAA16C2");
  pace.receive_integrated_mapping_response({});

  // The example's private keys are 1024-bit exponents, larger than q; the arithmetic takes them as given.
  SecureBytes terminal = secret(
      "4BD0E54740F9A028E6A515BFDAF967848C4F5F5FFF65AA0915947FFD1A0DF2FA6981271BC905F3551457B7E03AC3B8066DE4AA"
      "40"
      "6C1171FB43DD939C4BA16175103BA3DEE16419AA248118F90CC36A3D6F4C373652E0C3CCE7F0F1D0C5425B3600F0F0D6A67F00"
      "4C"
      "8BBA33F2B4733C7252445C1DFC4F1107203F71D2EFB28161");
  CHECK(to_hex_upper(pace.ephemeral_public_key(terminal)) ==
        "0F0CC62945A8029251FB7EF3C094E12EC68E4EF07F27CB9D9CD04C5C4250FAE0E4F8A951557E929AEB48E5C6DD47F2F5CD7C"
        "351A"
        "9BD2CD722C07EDE166770F08FFCB370262CF308DD7B07F2E0DA9CAAA1492344C852906919538C98A4BA4187E76CE9D878323"
        "86D3"
        "19CE2E043C3343AEAE6EDBA1A9894DC5094D22F7FE1351D5");
  Bytes chip_eph = from_hex(
      "928D9A0F9DBA450F13FC859C6F290D1D36E42431138A4378500BEB4E0401854CFF111F71CB6DC1D0335807A11388CC8EAA87B0"
      "79"
      "07AAD9FBA6B169AF6D8C26AF8DDDC39ADC3AD2E3FF882B84D23E9768E95A80E4746FB07A9767679FE92133B4D379935C771BD7"
      "FB"
      "ED6C7BB4B1708B275EA75679524CDC9C6A91370CC662A2F3");
  CHECK(hex(pace.group().shared_secret(terminal, chip_eph)) ==
        "419410D6C0A17A4C07C54872CE1CBCEB0A2705C1A434C8A89A4CFE41F1D78124CA7EC52BDE7615E5345E48AB1ABB6E7D1D59"
        "A57F"
        "3174084D3CA4570397C1F62228BDFDB2DA191EA2239E2C060DBE3BBC23C2FCD0AF12E0F9E0B99FCF91FF1959011D5798B2FC"
        "BC1F"
        "14FCC24E441F4C8F9B08D977E9498560E63E7FFAB3134EA7");
  pace.receive_chip_ephemeral_key(chip_eph);
  CHECK(to_hex_upper(pace.terminal_token()) == "55D61977CBF5307E");
  SessionKeys keys = pace.finish(from_hex("C2F04230187E1525"));
  CHECK(hex(keys.ks_enc) == "01AFC10CF87BE36D8179E87370171F07");
  CHECK(hex(keys.ks_mac) == "23F0FBD05FD6C7B8B88F4C8309669061");
}

TEST_CASE("Appendix I PACE-CAM (ECDH brainpoolP256r1, AES-128), step by step") {
  auto protocol = pace_protocol(kEcdhCam128);
  SecureBytes k_pi = pace_password_key("C11T002JM496081222310314", PacePassword::Mrz, protocol);
  CHECK(hex(k_pi) == "4E6F6FBF7BE748B932C7B74161BBA9DF");
  PaceInitiator pace(protocol, 13, k_pi);
  CHECK(to_hex_upper(pace.mse_set_at_data(PacePassword::Mrz, false)) == "800A04007F00070202040602830101");
  pace.receive_encrypted_nonce(from_hex(kCamNonceZ));
  CHECK(to_hex_upper(pace.nonce()) == "658B860BC94DF6F044FCE6D5C82CF8E5");
  CHECK_THROWS_AS((void)pace.integrated_mapping_nonce(), Error);  // CAM maps like GM

  SecureBytes map_private = secret("5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC");
  CHECK(to_hex_upper(pace.mapping_public_key(map_private)) ==
        "047F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE1AB889104A27DB6D842B019020FBF3CEAC"
        "B0D"
        "C627F7BDCAC29969E19D0E553C1");
  CHECK(to_hex_upper(pace.group().multiply(map_private, from_hex(kCamChipMappingPublic))) ==
        "042C1DCC1773346492C6636A36EE4B965E292E9AAE7EE37736EF58B9D0A043F348403A8CF33CA7DC0D9DF61D0889CE24424F"
        "F97C1"
        "AAD48A5CA2A554B071EF7638D");  // H
  pace.receive_chip_mapping_key(from_hex(kCamChipMappingPublic));
  CHECK(to_hex_upper(pace.group().generator()) ==
        "0489F0B5EABF3BE293C75903A3986131925C9F5B515CA95AF485DC7E886F03245D44BEFB2DD3A0DBD71CB5E618971CF4747F"
        "12B79"
        "E548379A40E45963BAAF3E829");

  SecureBytes terminal = secret("76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120");
  CHECK(to_hex_upper(pace.ephemeral_public_key(terminal)) ==
        "04446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F955483400BFF60BF0C5929270009277DC2A5"
        "15E12"
        "575010AD9BA916CF1BF86FEFC");
  CHECK(hex(pace.group().shared_secret(terminal, from_hex(kCamChipEphemeralPublic))) ==
        "67950559D0C06B4D4B86972D14460837461087F8419FDBC36AAF6CEAAC462832");
  pace.receive_chip_ephemeral_key(from_hex(kCamChipEphemeralPublic));
  CHECK(to_hex_upper(pace.terminal_token()) == "E86BD06018A1CD3B");
  SessionKeys keys = pace.finish(from_hex("8596CF055C67C1A3"));
  CHECK(hex(keys.ks_enc) == "0A9DA4DB03BDDE39FC5202BC44B2E89E");
  CHECK(hex(keys.ks_mac) == "4B1C06491ED5140CA2B537D344C6C0B1");

  // The IV of the CA data, then CA_IC, then the check against the static key of EF.CardSecurity.
  CHECK(to_hex_upper(aes_ecb_encrypt_block(keys.ks_enc, Bytes(16, 0xFF))) ==
        "F6A3B75A1E933941DD7A13E2520779DF");
  CHECK(hex(pace.chip_authentication_data(from_hex(kCamEncryptedData))) ==
        "85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3");
  Bytes static_public = from_hex(kCamChipStaticPublic);
  CHECK(to_hex_upper(from_hex("30620609"
                              "04007F0007020201023052300C060704007F0007010202010D034200"
                              "041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC8"
                              "84D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F02010D"))
            .find(to_hex_upper(static_public)) != std::string::npos);
  CHECK_NOTHROW(pace.verify_chip_authentication(from_hex(kCamEncryptedData), static_public));
}

TEST_CASE("PACE-CAM refuses chip authentication data that does not match the static key") {
  PaceInitiator pace = cam_example_until_token();
  Bytes static_public = from_hex(kCamChipStaticPublic);
  Bytes encrypted = from_hex(kCamEncryptedData);

  // Another chip's key (a valid point on the curve: the G.1 chip's mapping key).
  Bytes other_key = from_hex(
      "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A"
      "0A"
      "0C709A49DC63719363CCD13C54");
  CHECK_THROWS_WITH_AS(pace.verify_chip_authentication(encrypted, other_key),
                       doctest::Contains("does not match"), Error);
  // The chip's own mapping key as "static" key: CA_IC · PK_map is not PK_map.
  CHECK_THROWS_WITH_AS(pace.verify_chip_authentication(encrypted, from_hex(kCamChipMappingPublic)),
                       doctest::Contains("does not match"), Error);
  // A static key off the curve, or not uncompressed.
  Bytes off = static_public;
  off.back() ^= 0x01;
  CHECK_THROWS_WITH_AS(pace.verify_chip_authentication(encrypted, off),
                       doctest::Contains("static public key"), Error);
  CHECK_THROWS_AS(
      pace.verify_chip_authentication(encrypted, Bytes(static_public.begin(), static_public.begin() + 33)),
      Error);

  // Tampered ciphertext: the last block breaks the padding, the first one CA_IC itself.
  Bytes last = encrypted;
  last.back() ^= 0x01;
  CHECK_THROWS_WITH_AS(pace.verify_chip_authentication(last, static_public), doctest::Contains("padding"),
                       Error);
  Bytes first = encrypted;
  first[0] ^= 0x01;
  CHECK_THROWS_AS(pace.verify_chip_authentication(first, static_public), Error);
  // Wrong lengths: one block only (CA_IC must have the order's 32 bytes), or not whole blocks.
  CHECK_THROWS_AS(
      pace.verify_chip_authentication(Bytes(encrypted.begin(), encrypted.begin() + 32), static_public),
      Error);
  CHECK_THROWS_WITH_AS(pace.chip_authentication_data(Bytes(encrypted.begin(), encrypted.begin() + 47)),
                       doctest::Contains("wrong length"), Error);
  CHECK_THROWS_AS(pace.chip_authentication_data({}), Error);

  // CAM data is not accepted from a run of another mapping.
  auto gm = pace_protocol("0.4.0.127.0.7.2.2.4.2.2");
  PaceInitiator generic(gm, 13, pace_password_key("123456", PacePassword::Can, gm));
  CHECK_THROWS_WITH_AS(generic.chip_authentication_data(encrypted),
                       doctest::Contains("not a Chip Authentication"), Error);
}

TEST_CASE("PACE IM refuses steps out of order, wrong lengths and unusable curves") {
  auto protocol = pace_protocol(kEcdhIm128);
  SecureBytes k_pi = pace_password_key("123456", PacePassword::Can, protocol);
  PaceInitiator pace(protocol, 13, k_pi);
  CHECK_THROWS_WITH_AS((void)pace.integrated_mapping_nonce(), doctest::Contains("out of order"), Error);
  CHECK_THROWS_WITH_AS(pace.receive_encrypted_nonce(Bytes(32, 0x11)), doctest::Contains("wrong length"),
                       Error);
  pace.receive_encrypted_nonce(from_hex("143DC40C08C8E891FBED7DEDB92B64AD"));
  CHECK_THROWS_WITH_AS((void)pace.mapping_public_key(), doctest::Contains("nonce, not a key"), Error);
  CHECK_THROWS_WITH_AS((void)pace.ephemeral_public_key(), doctest::Contains("before the mapping"), Error);
  CHECK_THROWS_WITH_AS((void)pace.integrated_mapping_nonce(Bytes(24, 0x01)),
                       doctest::Contains("wrong length"), Error);
  Bytes t = pace.integrated_mapping_nonce();  // random
  CHECK(t.size() == 16);
  CHECK_THROWS_WITH_AS((void)pace.integrated_mapping_nonce(), doctest::Contains("out of order"), Error);

  // The point encoding needs p = 3 mod 4: NIST P-224 (parameter 10) has p = 1 mod 4.
  PaceInitiator p224(protocol, 10, k_pi);
  p224.receive_encrypted_nonce(from_hex("143DC40C08C8E891FBED7DEDB92B64AD"));
  CHECK_THROWS_WITH_AS((void)p224.integrated_mapping_nonce(), doctest::Contains("p = 3 mod 4"), Error);

  // Field elements 0 and +-1 have no image; R mod p of 0 neither in the MODP group.
  auto curve = PaceGroup::standard(13);
  CHECK_THROWS_AS(curve->map_integrated(SecureBytes(32, 0)), Error);
  SecureBytes one(32, 0);
  one.back() = 1;
  CHECK_THROWS_WITH_AS(curve->map_integrated(one), doctest::Contains("degenerate"), Error);
  auto modp = PaceGroup::standard(0);
  CHECK_THROWS_AS(modp->map_integrated(SecureBytes(128, 0)), Error);
  CHECK_THROWS_AS(modp->map_integrated(one), Error);  // 1^((p-1)/q) = 1
  CHECK_THROWS_WITH_AS((void)modp->chip_authentication_mapping_holds(one, {}, {}),
                       doctest::Contains("ECDH only"), Error);

  // AES-256: t of 32 bytes and s of 32; the output has ceil((256 + 64) / 256) = 2 blocks of 32 bytes.
  auto aes256 = pace_protocol("0.4.0.127.0.7.2.2.4.4.4");
  CHECK(pace_im_pseudo_random(Bytes(32, 1), Bytes(32, 2), aes256, 256).size() == 64);
  CHECK_THROWS_AS(pace_im_pseudo_random(Bytes(16, 1), Bytes(32, 2), aes256, 256), Error);
  // 3DES: t and s of 16 bytes, blocks of 16 bytes: ceil((1024 + 64) / 128) = 9.
  auto tdes = pace_protocol("0.4.0.127.0.7.2.2.4.3.1");
  CHECK(pace_im_pseudo_random(Bytes(16, 1), Bytes(16, 2), tdes, 1024).size() == 144);
}

}  // namespace test_pace_im_cam
