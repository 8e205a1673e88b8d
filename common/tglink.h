/* tglink: the signed token of the Telegram "magic link" (https://t.me/<bot>?start=<token>).
 *
 *   token = base64url without padding of
 *           user_id (uint32 BE) || issued_at (uint32 BE, unix seconds)
 *           || HMAC-SHA256(SECRET_KEY, those 8 bytes)[:20]
 *
 * 28 bytes, 38 characters: within Telegram's 64-character start parameter. A token is
 * valid for TGLINK_VALID_S seconds after issued_at; one dated more than TGLINK_SKEW_S
 * seconds in the future (clocks of two api replicas disagreeing, or a forgery made with
 * a stolen key) is refused. The MAC is compared in constant time, and before any time
 * check, so "expired" is only ever said of a token this service really issued. */
#ifndef STATUSHAWK_COMMON_TGLINK_H
#define STATUSHAWK_COMMON_TGLINK_H

#include <stdint.h>

#define TGLINK_MAC_LEN 20
#define TGLINK_RAW_LEN (8 + TGLINK_MAC_LEN)
#define TGLINK_TOKEN_LEN 38 /* base64url of TGLINK_RAW_LEN bytes, no padding */
#define TGLINK_VALID_S 600
#define TGLINK_SKEW_S 30

enum tglink_status {
    TGLINK_OK = 0,
    TGLINK_EXPIRED, /* genuine, issued more than TGLINK_VALID_S seconds ago */
    TGLINK_FUTURE,  /* genuine MAC, but dated beyond TGLINK_SKEW_S in the future */
    TGLINK_FORGED,  /* malformed, wrong length, bad MAC, or no key configured */
};

/* Writes the token for user_id issued at now_s (unix seconds) into out, NUL-terminated.
 * key is the SECRET_KEY text. 0, or -1 when key is empty or now_s does not fit 32 bits. */
int tglink_make(const char *key, uint32_t user_id, int64_t now_s, char out[TGLINK_TOKEN_LEN + 1]);

/* Checks token (NUL-terminated, untrusted) at now_s. On TGLINK_OK, TGLINK_EXPIRED and
 * TGLINK_FUTURE the decoded user id and issue time are stored through user_id and
 * issued_at (either may be NULL); on TGLINK_FORGED they are left untouched. */
enum tglink_status tglink_verify(const char *key, const char *token, int64_t now_s,
                                 uint32_t *user_id, uint32_t *issued_at);

/* "ok", "expired", "future", "forged": for logs. */
const char *tglink_status_name(enum tglink_status st);

#endif
