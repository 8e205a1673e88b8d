/* telegram_webhook: the api's side of Telegram linking (API.md, "Notifications").
 *
 * GET /notifications/telegram-link/ gives the signed "magic link"
 * https://t.me/<TELEGRAM_BOT_NAME>?start=<token> (common/tglink.h); 503 when
 * TELEGRAM_BOT_NAME or SECRET_KEY is not configured.
 *
 * POST /notifications/webhook/telegram/ is where Telegram delivers updates (set with
 * setWebhook and secret_token). 403 unless X-Telegram-Bot-Api-Secret-Token equals
 * TELEGRAM_WEBHOOK_SECRET (also when none is configured). "/start <token>" messages go
 * to common/tg_start.h; its reply is sent with sendMessage on the work pool, and the
 * answer is 200 {"status":"ok"} whether or not that reply got through, or
 * {"status":"ignored"} for an update without a text message, so Telegram never retries. */
#ifndef STATUSHAWK_API_TELEGRAM_WEBHOOK_H
#define STATUSHAWK_API_TELEGRAM_WEBHOOK_H

struct api_request;

void telegram_link(struct api_request *r);    /* GET  /notifications/telegram-link */
void telegram_webhook(struct api_request *r); /* POST /notifications/webhook/telegram */

#endif
