/* tglink: see tglink.h. */
#include "common/tglink.h"

#include <string.h>

#include "common/crypto.h"

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The first TGLINK_MAC_LEN bytes of HMAC-SHA256(key, head). */
static void tglink_mac(const char *key, const unsigned char head[8],
                       unsigned char out[TGLINK_MAC_LEN])
{
    unsigned char full[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, strlen(key), head, 8, full);
    memcpy(out, full, TGLINK_MAC_LEN);
}

int tglink_make(const char *key, uint32_t user_id, int64_t now_s, char out[TGLINK_TOKEN_LEN + 1])
{
    unsigned char raw[TGLINK_RAW_LEN];

    if (!key || key[0] == '\0' || now_s < 0 || now_s > (int64_t)UINT32_MAX)
        return -1;
    put_be32(raw, user_id);
    put_be32(raw + 4, (uint32_t)now_s);
    tglink_mac(key, raw, raw + 8);
    return crypto_b64url_encode(raw, sizeof(raw), out, TGLINK_TOKEN_LEN + 1) == TGLINK_TOKEN_LEN
               ? 0
               : -1;
}

enum tglink_status tglink_verify(const char *key, const char *token, int64_t now_s,
                                 uint32_t *user_id, uint32_t *issued_at)
{
    unsigned char raw[TGLINK_RAW_LEN], mac[TGLINK_MAC_LEN];
    uint32_t uid, issued;
    size_t len;

    if (!key || key[0] == '\0' || !token)
        return TGLINK_FORGED;
    /* strnlen: an over-long input is refused without reading all of it. */
    len = strnlen(token, TGLINK_TOKEN_LEN + 1);
    if (len != TGLINK_TOKEN_LEN)
        return TGLINK_FORGED;
    /* The decoder refuses padding of the wrong form, foreign characters and
     * non-canonical trailing bits, so exactly one text stands for each token. */
    if (crypto_b64url_decode(token, len, raw, sizeof(raw)) != TGLINK_RAW_LEN)
        return TGLINK_FORGED;
    tglink_mac(key, raw, mac);
    if (!crypto_ct_equal(mac, raw + 8, TGLINK_MAC_LEN))
        return TGLINK_FORGED;

    uid = get_be32(raw);
    issued = get_be32(raw + 4);
    if (user_id)
        *user_id = uid;
    if (issued_at)
        *issued_at = issued;
    if ((int64_t)issued > now_s + TGLINK_SKEW_S)
        return TGLINK_FUTURE;
    if (now_s - (int64_t)issued > TGLINK_VALID_S)
        return TGLINK_EXPIRED;
    return TGLINK_OK;
}

const char *tglink_status_name(enum tglink_status st)
{
    switch (st) {
    case TGLINK_OK:
        return "ok";
    case TGLINK_EXPIRED:
        return "expired";
    case TGLINK_FUTURE:
        return "future";
    case TGLINK_FORGED:
        break;
    }
    return "forged";
}
