/* routes: the api's route table. Every path answers with and without a trailing
 * slash (see router.c). */
#include "api/accounts.h"
#include "api/channels.h"
#include "api/health.h"
#include "api/metrics.h"
#include "api/monitors.h"
#include "api/router.h"
#include "api/stats.h"
#include "api/telegram_webhook.h"

const struct route api_routes[] = {
    {EVHTTP_REQ_GET, "/health", 0, health_live},
    {EVHTTP_REQ_GET, "/ready", 0, health_ready},
    {EVHTTP_REQ_GET, "/metrics", 0, metrics_handler},

    {EVHTTP_REQ_POST, "/api/v1/accounts/signup", 0, accounts_signup},
    {EVHTTP_REQ_POST, "/api/v1/accounts/login", 0, accounts_login},
    {EVHTTP_REQ_POST, "/api/v1/accounts/logout", ROUTE_AUTH, accounts_logout},
    {EVHTTP_REQ_GET, "/api/v1/accounts/me", ROUTE_AUTH, accounts_me},

    /* notifications: channels (api/channels.c), Telegram link and webhook
     * (api/telegram_webhook.c) */
    {EVHTTP_REQ_GET, "/api/v1/notifications/channels", ROUTE_AUTH, channels_list},
    {EVHTTP_REQ_POST, "/api/v1/notifications/channels", ROUTE_AUTH, channels_create},
    {EVHTTP_REQ_GET, "/api/v1/notifications/channels/{id}", ROUTE_AUTH, channels_get},
    {EVHTTP_REQ_PATCH, "/api/v1/notifications/channels/{id}", ROUTE_AUTH, channels_update},
    {EVHTTP_REQ_DELETE, "/api/v1/notifications/channels/{id}", ROUTE_AUTH, channels_delete},
    {EVHTTP_REQ_POST, "/api/v1/notifications/channels/{id}/test", ROUTE_AUTH, channels_test},
    {EVHTTP_REQ_GET, "/api/v1/notifications/telegram-link", ROUTE_AUTH, telegram_link},
    {EVHTTP_REQ_POST, "/api/v1/notifications/webhook/telegram", 0, telegram_webhook},
    /* end notifications */

    /* monitors (api/monitors.c) */
    {EVHTTP_REQ_GET, "/api/v1/monitors", ROUTE_AUTH, monitors_list},
    {EVHTTP_REQ_POST, "/api/v1/monitors", ROUTE_AUTH, monitors_create},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}", ROUTE_AUTH, monitors_get},
    {EVHTTP_REQ_PUT, "/api/v1/monitors/{id}", ROUTE_AUTH, monitors_replace},
    {EVHTTP_REQ_PATCH, "/api/v1/monitors/{id}", ROUTE_AUTH, monitors_patch},
    {EVHTTP_REQ_DELETE, "/api/v1/monitors/{id}", ROUTE_AUTH, monitors_delete},
    {EVHTTP_REQ_POST, "/api/v1/monitors/{id}/check", ROUTE_AUTH, monitors_check},
    /* end monitors */

    /* statistics (api/stats.c, api/stats_history.c); {id} matches digits only, so the
     * two fixed names cannot be taken for a monitor */
    {EVHTTP_REQ_GET, "/api/v1/monitors/dashboard_stats", ROUTE_AUTH, stats_dashboard},
    {EVHTTP_REQ_GET, "/api/v1/monitors/leaderboard", ROUTE_AUTH, stats_leaderboard},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/stats", ROUTE_AUTH, stats_summary},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/history", ROUTE_AUTH, stats_history},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/incidents", ROUTE_AUTH, stats_incidents},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/anomalies", ROUTE_AUTH, stats_anomalies},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/heatmap", ROUTE_AUTH, stats_heatmap},
    /* end statistics */
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
