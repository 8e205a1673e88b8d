/* health: see health.h. */
#include "api/health.h"

#include "api/request.h"
#include "common/db.h"
#include "common/redis.h"

void health_live(struct api_request *r)
{
    api_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static int redis_answers(struct redis *redis)
{
    redisReply *reply = redis_command(redis, "PING");
    int ok = reply && reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    return ok;
}

void health_ready(struct api_request *r)
{
    int pg = db_ping(r->worker->db) == DB_OK;
    int rd = redis_answers(r->worker->redis);

    api_reply_json(r, pg && rd ? 200 : 503,
                   json_pack("{s:s, s:s, s:s}", "status", pg && rd ? "ok" : "unavailable",
                             "postgres", pg ? "ok" : "unavailable", "redis",
                             rd ? "ok" : "unavailable"));
}
