/* channels: the user's notification channels (API.md, "Notifications"): list, read,
 * create (console and webhook; Telegram channels come from the magic link), change the
 * name, the active flag and the alert template, delete, and send a test alert through
 * the notifiers. Only the caller's channels exist for them: any other id is 404.
 *
 * A channel is {"id","provider","name","created_at"} plus "is_active" and "config", a
 * view of the stored configuration without secrets: "template" (or null), a Telegram
 * channel's "chat_id", a webhook's "url" cut to its origin ("https://host/…") and
 * "secret_set". Webhook URLs are checked like monitor targets; the SSRF guard's DNS
 * look-up runs on the work pool. */
#ifndef STATUSHAWK_API_CHANNELS_H
#define STATUSHAWK_API_CHANNELS_H

struct api_request;

void channels_list(struct api_request *r);   /* GET    /notifications/channels */
void channels_create(struct api_request *r); /* POST   /notifications/channels */
void channels_get(struct api_request *r);    /* GET    /notifications/channels/{id} */
void channels_update(struct api_request *r); /* PATCH  /notifications/channels/{id} */
void channels_delete(struct api_request *r); /* DELETE /notifications/channels/{id} */
void channels_test(struct api_request *r);   /* POST   /notifications/channels/{id}/test */

#endif
