// A PKCS#11 module that stands for what SoftHSM2 cannot show: a token whose
// user PIN is locked (SoftHSM2 never locks a PIN). One slot, one token
// "fake-locked"; C_Login answers CKR_PIN_LOCKED. Only the functions the
// signer calls before logging in are filled in; the rest stay null.
#include <p11-kit/pkcs11.h>

#include <cstring>

namespace {

void blank_padded(unsigned char* field, std::size_t size, const char* text) {
  std::memset(field, ' ', size);
  std::memcpy(field, text, std::strlen(text));
}

CK_RV initialize(void*) { return CKR_OK; }
CK_RV finalize(void*) { return CKR_OK; }
CK_RV get_slot_list(CK_BBOOL, CK_SLOT_ID* list, CK_ULONG* count) {
  if (list != nullptr) {
    if (*count < 1) return CKR_BUFFER_TOO_SMALL;
    list[0] = 7;
  }
  *count = 1;
  return CKR_OK;
}
CK_RV get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  *info = CK_SLOT_INFO{};
  blank_padded(info->slotDescription, sizeof info->slotDescription, "fake slot");
  blank_padded(info->manufacturerID, sizeof info->manufacturerID, "rcperso tests");
  info->flags = CKF_TOKEN_PRESENT;
  return CKR_OK;
}
CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  *info = CK_TOKEN_INFO{};
  blank_padded(info->label, sizeof info->label, "fake-locked");
  blank_padded(info->manufacturerID, sizeof info->manufacturerID, "rcperso tests");
  blank_padded(info->model, sizeof info->model, "fake");
  blank_padded(info->serialNumber, sizeof info->serialNumber, "0001");
  info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
  return CKR_OK;
}
CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS, void*, CK_NOTIFY, CK_SESSION_HANDLE* session) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  *session = 1;
  return CKR_OK;
}
CK_RV close_session(CK_SESSION_HANDLE) { return CKR_OK; }
CK_RV login(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR*, CK_ULONG) { return CKR_PIN_LOCKED; }

CK_FUNCTION_LIST functions = [] {
  CK_FUNCTION_LIST f{};
  f.version = {2, 40};
  f.C_Initialize = initialize;
  f.C_Finalize = finalize;
  f.C_GetSlotList = get_slot_list;
  f.C_GetSlotInfo = get_slot_info;
  f.C_GetTokenInfo = get_token_info;
  f.C_OpenSession = open_session;
  f.C_CloseSession = close_session;
  f.C_Login = login;
  return f;
}();

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
  *list = &functions;
  return CKR_OK;
}
