/* tgapi: see tgapi.h. */
#include "notifier/tgapi.h"

#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "notifier/httpc.h"
#include "notifier/notifier.h"

#define ANSWER_MAX (4 * 1024 * 1024) /* getUpdates with 100 updates stays far below */

struct call {
    tgapi_done_fn fn;
    void *arg;
};

static void on_done(const struct httpc_result *r, void *arg)
{
    struct call *c = arg;
    struct telegram_result res;

    if (r->code != CURLE_OK) {
        memset(&res, 0, sizeof(res));
        res.outcome = TELEGRAM_TRANSPORT;
        res.http_status = r->status;
        snprintf(res.description, sizeof(res.description), "%s", r->error);
    } else {
        telegram_parse_response(r->status, r->body, r->body_len, &res);
    }
    c->fn(&res, c->arg);
    telegram_result_clear(&res);
    free(c);
}

unsigned long tgapi_call(struct notifier *n, const char *method, const json_t *params,
                         long timeout_ms, tgapi_done_fn fn, void *arg)
{
    struct telegram_api api = {.base = n->cfg->telegram_api_base,
                               .token = n->cfg->telegram_bot_token};
    char url[TELEGRAM_URL_MAX];
    struct curl_slist *h = NULL;
    struct call *c = NULL;
    char *body = NULL;
    CURL *easy = NULL;
    json_t *empty = NULL;

    if (telegram_method_url(&api, method, url, sizeof(url)) != 0)
        return 0;
    if (!params)
        params = empty = json_object();
    body = params ? jsonutil_dump(params) : NULL;
    json_decref(empty);
    c = calloc(1, sizeof(*c));
    easy = curl_easy_init();
    h = curl_slist_append(NULL, "Content-Type: application/json");
    if (!body || !c || !easy || !h)
        goto fail;
    c->fn = fn;
    c->arg = arg;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "StatusHawk/" STATUSHAWK_VERSION);
    free(body);
    body = NULL;
    unsigned long id = httpc_start(n->http, easy, h, ANSWER_MAX, on_done, c);
    if (id == 0)
        free(c); /* httpc took easy and h */
    return id;
fail:
    free(body);
    free(c);
    if (easy)
        curl_easy_cleanup(easy);
    curl_slist_free_all(h);
    return 0;
}

void tgapi_cancel(struct notifier *n, unsigned long id)
{
    free(httpc_cancel(n->http, id)); /* the struct call, which on_done would have freed */
}
