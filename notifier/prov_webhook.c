/* prov_webhook: see prov_webhook.h. */
#include "notifier/prov_webhook.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/crypto.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/target_guard.h"
#include "common/timeutil.h"
#include "notifier/httpc.h"
#include "notifier/notifier.h"

#define RESPONSE_MAX (16 * 1024) /* the receiver's answer is only logged */

struct wh_req {
    struct delivery *d;
    webhook_done_fn done;
    void *arg;
    int allow_private;
    char blocked[96]; /* why the guard refused the address, "" when it did not */
};

char *webhook_body(const struct alert_event *ev, const char *text)
{
    char when[TIME_ISO_BUFSZ];
    json_t *o = json_object(), *mon;
    char *s = NULL;

    if (!o)
        return NULL;
    time_format_iso(ev->time_ms, when);
    json_object_set_new(o, "alert_id", json_string(ev->alert_id));
    json_object_set_new(o, "kind", json_string(ev->kind));
    json_object_set_new(o, "time", json_string(when));
    if (ev->monitor_id > 0) {
        mon = json_object();
        json_object_set_new(mon, "id", json_integer(ev->monitor_id));
        json_object_set_new(mon, "name", json_string(ev->monitor_name));
        json_object_set_new(mon, "url", json_string(ev->url));
        json_object_set_new(o, "monitor", mon);
    } else {
        json_object_set_new(o, "monitor", json_null());
    }
    json_object_set(o, "details", ev->details ? ev->details : json_object());
    json_object_set_new(o, "text", json_string(text ? text : ""));
    s = jsonutil_dump(o);
    json_decref(o);
    return s;
}

void webhook_signature(const char *secret, const char *body, size_t len, char out[72])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
    memcpy(out, "sha256=", 7);
    crypto_hex_encode(mac, sizeof(mac), out + 7);
}

/* The address libcurl is about to connect to: refuse private ones here, where DNS
 * rebinding cannot slip past (the name was resolved already, this is the real peer). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct wh_req *r = clientp;
    if (!r->allow_private) {
        const char *why = target_guard_blocked(&addr->addr);
        if (why) {
            snprintf(r->blocked, sizeof(r->blocked), "%s", why);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static void on_done(const struct httpc_result *res, void *arg)
{
    struct wh_req *r = arg;
    struct send_outcome o = {.kind = OUTCOME_SUCCESS};

    if (r->blocked[0]) {
        /* Also when another address of the name connected: a name that mixes public and
         * private addresses is refused as a whole, as for monitors. */
        o.kind = OUTCOME_FAIL;
        snprintf(o.error, sizeof(o.error), "webhook address refused: %s", r->blocked);
    } else if (res->code != CURLE_OK && !(res->truncated && res->status)) {
        /* A malformed URL or an unsupported scheme will not improve; the rest may. */
        int permanent = res->code == CURLE_URL_MALFORMAT || res->code == CURLE_UNSUPPORTED_PROTOCOL;
        o.kind = permanent ? OUTCOME_FAIL : OUTCOME_RETRY;
        snprintf(o.error, sizeof(o.error), "webhook: %s", res->error);
    } else if (res->status >= 200 && res->status < 300) {
        o.kind = OUTCOME_SUCCESS;
    } else {
        int again = res->status == 408 || res->status == 429 || res->status >= 500;
        o.kind = again ? OUTCOME_RETRY : OUTCOME_FAIL;
        snprintf(o.error, sizeof(o.error), "webhook answered HTTP %ld%s", res->status,
                 res->status >= 300 && res->status < 400 ? " (redirects are not followed)" : "");
    }
    struct delivery *d = r->d;
    webhook_done_fn done = r->done;
    void *darg = r->arg;
    free(r);
    done(d, &o, darg);
}

int webhook_send(struct notifier *n, struct delivery *d, webhook_done_fn done, void *arg)
{
    struct wh_req *r;
    CURL *easy;
    struct curl_slist *h = NULL, *t;
    char sig[96], line[160];

    if (!d->target || !d->target[0] || !d->body) {
        struct send_outcome o = {.kind = OUTCOME_FAIL};
        snprintf(o.error, sizeof(o.error), "webhook channel has no url");
        done(d, &o, arg);
        return 0;
    }
    r = calloc(1, sizeof(*r));
    easy = curl_easy_init();
    if (!r || !easy) {
        free(r);
        if (easy)
            curl_easy_cleanup(easy);
        return -1;
    }
    r->d = d;
    r->done = done;
    r->arg = arg;
    r->allow_private = n->cfg->allow_private_targets;

    h = curl_slist_append(h, "Content-Type: application/json");
    if (h && (t = curl_slist_append(h, "User-Agent: StatusHawk/" STATUSHAWK_VERSION)))
        h = t;
    snprintf(line, sizeof(line), "X-StatusHawk-Event: %s", d->kind);
    if (h && (t = curl_slist_append(h, line)))
        h = t;
    snprintf(line, sizeof(line), "X-StatusHawk-Delivery: %.64s", d->alert_id);
    if (h && (t = curl_slist_append(h, line)))
        h = t;
    if (d->secret && d->secret[0]) {
        char mac[72];
        webhook_signature(d->secret, d->body, strlen(d->body), mac);
        snprintf(sig, sizeof(sig), "X-StatusHawk-Signature: %s", mac);
        if (h && (t = curl_slist_append(h, sig)))
            h = t;
    }
    /* The body is borrowed by libcurl: d outlives the transfer (it is freed after done). */
    curl_easy_setopt(easy, CURLOPT_URL, d->target);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body));
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)n->cfg->send_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, r);
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*"); /* a proxy would hide the real peer */
    if (httpc_start(n->http, easy, h, RESPONSE_MAX, on_done, r) == 0) {
        free(r);
        return -1;
    }
    return 0;
}
