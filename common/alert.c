/* alert: see alert.h. */
#include "common/alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"

int alert_new_id(char out[ALERT_ID_LEN + 1])
{
    unsigned char raw[ALERT_ID_LEN / 2];
    if (crypto_random_bytes(raw, sizeof(raw)) != 0)
        return -1;
    crypto_hex_encode(raw, sizeof(raw), out);
    return 0;
}

static void add_arg(struct alert_xadd *cmd, const char *s)
{
    cmd->argv[cmd->argc] = s;
    cmd->lens[cmd->argc] = strlen(s);
    cmd->argc++;
}

static void add_field(struct alert_xadd *cmd, const char *name, const char *value)
{
    add_arg(cmd, name);
    add_arg(cmd, value ? value : "");
}

int alert_xadd_build(const struct alert *a, const char *prefix, struct alert_xadd *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->details_json = a->details ? jsonutil_dump(a->details) : strdup("{}");
    if (!cmd->details_json)
        return -1;
    snprintf(cmd->stream, sizeof(cmd->stream), "%salerts", prefix);
    snprintf(cmd->numbers[0], sizeof(cmd->numbers[0]), "%lld", (long long)a->user_id);
    snprintf(cmd->numbers[1], sizeof(cmd->numbers[1]), "%lld", (long long)a->channel_id);
    snprintf(cmd->numbers[2], sizeof(cmd->numbers[2]), "%lld", (long long)a->monitor_id);
    time_format_iso(a->time_ms, cmd->time);

    add_arg(cmd, "XADD");
    add_arg(cmd, cmd->stream);
    add_arg(cmd, "MAXLEN");
    add_arg(cmd, "~");
    add_arg(cmd, ALERT_STREAM_MAXLEN);
    add_arg(cmd, "*");
    add_field(cmd, "alert_id", a->alert_id);
    add_field(cmd, "kind", a->kind);
    add_field(cmd, "user_id", cmd->numbers[0]);
    add_field(cmd, "channel_id", cmd->numbers[1]);
    add_field(cmd, "monitor_id", cmd->numbers[2]);
    add_field(cmd, "monitor_name", a->monitor_name);
    add_field(cmd, "url", a->url);
    add_field(cmd, "time", cmd->time);
    add_field(cmd, "details", cmd->details_json);
    return 0;
}

void alert_xadd_free(struct alert_xadd *cmd)
{
    free(cmd->details_json);
    cmd->details_json = NULL;
}

int alert_publish(struct redis *redis, const char *prefix, const struct alert *a)
{
    struct alert_xadd cmd;
    redisReply *reply;
    int rc = -1;

    if (alert_xadd_build(a, prefix, &cmd) != 0)
        return -1;
    reply = redis_command_argv(redis, cmd.argc, cmd.argv, cmd.lens);
    if (reply && reply->type == REDIS_REPLY_STRING)
        rc = 0;
    else
        log_warn("alert %s (%s): not published: %s", a->alert_id, a->kind,
                 reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply")
                       : redis_last_error(redis));
    freeReplyObject(reply);
    alert_xadd_free(&cmd);
    return rc;
}
