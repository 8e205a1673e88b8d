/* stats: the statistics routes of API.md (all need a token and see only the caller's
 * monitors; another user's or an unknown monitor is 404 {"detail":"Not found."}).
 * Each request is one call of a SQL function of migrations/0003_rollup.sql, which reads
 * the hourly rollup below the watermark and the raw results from it on; docs/api.md
 * ("Statistics") gives the exact shapes and the choices made. */
#ifndef STATUSHAWK_API_STATS_H
#define STATUSHAWK_API_STATS_H

struct api_request;

/* stats.c */
void stats_summary(struct api_request *r);     /* GET /monitors/{id}/stats?period= */
void stats_heatmap(struct api_request *r);     /* GET /monitors/{id}/heatmap?days= */
void stats_leaderboard(struct api_request *r); /* GET /monitors/leaderboard?period=&by=&limit= */
void stats_dashboard(struct api_request *r);   /* GET /monitors/dashboard_stats */

/* stats_history.c: paginated (?page=&size=), newest first */
void stats_history(struct api_request *r);   /* GET /monitors/{id}/history?period= */
void stats_incidents(struct api_request *r); /* GET /monitors/{id}/incidents */
void stats_anomalies(struct api_request *r); /* GET /monitors/{id}/anomalies */

#endif
