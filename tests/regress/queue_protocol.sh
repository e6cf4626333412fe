#!/bin/sh
# queue_protocol.sh - the bk_v1 functions as a panel or worker in any
# language would call them, with plain redis-cli against a real
# redis-server: per-user gate, priorities, retries with backoff, fencing,
# hand-back without spending an attempt, malformed records, cancel.
. "$(dirname "$0")/../lib/common.sh"
t_setup
start_redis || { echo "not ok 1 - redis-server starts"; exit 1; }

cat >"$T/pb.conf" <<CONF
REDIS_URL=$REDIS_URL
OUTBOUND_ALLOW=127.0.0.0/8,::1
NODE=t1
USERS_DIR=$T/users
CONF
mkdir -p "$T/users"
r() { redis-cli -p "$REDIS_PORT" "$@"; }
P='bk:{t1}:'
fc() { fn=$1; shift; r FCALL "$fn" 1 "$P" t1 "$@"; }

# Loading the library happens on first use by any program.
backup-worker --config "$T/pb.conf" --help >/dev/null
backupctl --config "$T/pb.conf" stats >/dev/null 2>&1
r FCALL bk_version 0 | grep -qx 4
ok $? "bk_v1 function library is loaded by the first program"

# Per-user gate: one runnable, later requests join the waiting one.
id1=$(fc bk_enqueue alice m.alice.1 0 3 | head -1)
id2=$(fc bk_enqueue alice m.alice.2 0 3 | head -1)
[ "$id1" = m.alice.1 ] && [ "$id2" = m.alice.1 ]
ok $? "a second request for a waiting user joins the waiting job ($id2)"
fc bk_enqueue bob m.bob.1 0 3 >/dev/null

# Priorities: manual before retry before scheduled.
r ZADD "${P}sched" 100 carol >/dev/null
fc bk_fire carol 100 200 0 3 | grep -qx queued
ok $? "a due schedule fires a job"
fc bk_fire carol 100 200 0 3 | grep -qx stale
ok $? "the same due time fired again (another replica) is stale"
[ "$(r HGET "${P}job:s.carol.100" trigger)" = scheduled ]
ok $? "scheduled job carries trigger=scheduled"

d1=$(fc bk_dequeue w1 tok1 5000 86400000 | head -1)
d2=$(fc bk_dequeue w1 tok2 5000 86400000 | head -1)
d3=$(fc bk_dequeue w1 tok3 5000 86400000 | head -1)
[ "$d1" = m.alice.1 ] && [ "$d2" = m.bob.1 ] && [ "$d3" = s.carol.100 ]
ok $? "manual jobs start before scheduled ones, FIFO inside ($d1 $d2 $d3)"

# One running job per user: a new request parks behind the running one.
id3=$(fc bk_enqueue alice m.alice.3 0 3 | head -1)
[ "$(r HGET "${P}job:$id3" state)" = queued ] &&
    [ "$(r ZSCORE "${P}parked" "$id3")" != "" ] &&
    [ -z "$(fc bk_dequeue w1 tok4 5000 86400000)" ]
ok $? "a job of a user whose backup runs waits and is not handed out"
id4=$(fc bk_enqueue alice m.alice.4 0 3 | head -1)
[ "$id4" = "$id3" ]
ok $? "at most one job waits behind the running one"

# Fencing: a stale token cannot write.
[ "$(fc bk_heartbeat m.alice.1 wrong 5000 archive 1 1)" = lost ]
ok $? "heartbeat with a stale token is refused (lost)"
[ "$(fc bk_finish m.alice.1 wrong ok 0 '' '[]' 1 1 1000 86400000)" = stale ]
ok $? "finish with a stale token is a no-op (stale)"
[ "$(fc bk_heartbeat m.alice.1 tok1 5000 archive 10 5)" = ok ] &&
    [ "$(r HGET "${P}job:m.alice.1" phase)" = archive ] &&
    [ "$(r HGET "${P}job:m.alice.1" bytes_in)" = 10 ]
ok $? "heartbeat records phase and bytes"

# Finish releases the user's slot: the parked job becomes runnable.
fc bk_finish m.alice.1 tok1 ok 0 '' '["backup-x.tar.gz"]' 10 5 1000 86400000 >/dev/null
[ "$(r HGET "${P}job:m.alice.1" state)" = succeeded ] &&
    [ "$(r ZSCORE "${P}q" "$id3")" != "" ]
ok $? "success frees the user's slot and the waiting job becomes runnable"

# Retries with exponential backoff, then failed.
fc bk_finish m.bob.1 tok2 error 1 'upload: timed out' '[]' 0 0 1000 86400000 | grep -qx retrying
ok $? "a transient error is retried"
st=$(r HGET "${P}job:m.bob.1" state); nr=$(r HGET "${P}job:m.bob.1" next_retry_at)
[ "$st" = retrying ] && [ -n "$nr" ]
ok $? "job shows state retrying with next_retry_at"
[ -z "$(fc bk_dequeue w1 tok5 5000 86400000 | grep m.bob.1)" ]
ok $? "a retry is not handed out before its backoff"
wait_for 5 sh -c "redis-cli -p $REDIS_PORT FCALL bk_dequeue 1 '$P' t1 w1 tok6 5000 86400000 | grep -q m.bob.1"
ok $? "the retry is handed out after the backoff"
[ "$(r HGET "${P}job:m.bob.1" attempts)" = 2 ]
ok $? "the second attempt is counted"
fc bk_finish m.bob.1 tok6 error 1 'upload: timed out' '[]' 0 0 1000 86400000 >/dev/null
b1=$(r HGET "${P}job:m.bob.1" next_retry_at)
now=$(r TIME | head -1)
[ $((b1 / 1000 - now)) -ge 1 ]
ok $? "the backoff doubles (second retry waits about 2 s)"
wait_for 6 sh -c "redis-cli -p $REDIS_PORT FCALL bk_dequeue 1 '$P' t1 w1 tok7 5000 86400000 | grep -q m.bob.1"
fc bk_finish m.bob.1 tok7 error 1 'upload: timed out' '[]' 0 0 1000 86400000 | grep -qx failed
ok $? "after JOB_MAX_ATTEMPTS the job is failed"
[ "$(r HGET "${P}job:m.bob.1" error)" = 'upload: timed out' ]
ok $? "the failed job keeps its error"

# Permanent errors are not retried.
fc bk_enqueue dave m.dave.1 0 3 >/dev/null
fc bk_dequeue w1 tok8 5000 86400000 >/dev/null
[ "$(fc bk_finish m.dave.1 tok8 error 0 'BACKUP_COMPRESSION: bad value' '[]' 0 0 1000 86400000)" = failed ]
ok $? "a permanent error fails at once"

# Hand-back (SIGTERM path) does not spend an attempt.
fc bk_enqueue erin m.erin.1 0 3 >/dev/null
fc bk_dequeue w1 tok9 5000 86400000 >/dev/null
fc bk_requeue m.erin.1 tok9 >/dev/null
[ "$(r HGET "${P}job:m.erin.1" attempts)" = 0 ] &&
    [ "$(r HGET "${P}job:m.erin.1" state)" = queued ]
ok $? "a job handed back is queued again with its attempt not spent"

# Lease expiry: the reaper retries the job of a dead worker.
fc bk_enqueue frank m.frank.1 0 3 >/dev/null
while out=$(fc bk_dequeue w1 tokA 300 86400000 | head -1) && [ -n "$out" ] && [ "$out" != m.frank.1 ]; do :; done
# (other jobs taken by the loop above expire too: wait for frank's.)
wait_for 5 sh -c "redis-cli -p $REDIS_PORT FCALL bk_reap 1 '$P' t1 1000 86400000 >/dev/null; [ \"\$(redis-cli -p $REDIS_PORT HGET '${P}job:m.frank.1' state)\" = retrying ]"
ok $? "an expired lease is reaped"
[ "$(r HGET "${P}job:m.frank.1" error_class)" = lease_lost ] &&
    [ "$(fc bk_heartbeat m.frank.1 tokA 5000 archive 0 0)" = lost ]
ok $? "the reaped job is retried and the old worker's heartbeat is refused"

# A malformed record is set aside as failed; the queue goes on.
r ZADD "${P}q" 0 junk >/dev/null
r HSET "${P}job:junk" foo bar >/dev/null
fc bk_enqueue gina m.gina.1 0 3 >/dev/null
got=$(fc bk_dequeue w1 tokB 5000 86400000 | head -1)
[ "$got" = m.gina.1 ] && [ "$(r HGET "${P}job:junk" state)" = failed ] &&
    r HGET "${P}job:junk" error | grep -q malformed
ok $? "a malformed job is set aside as failed with an error, the next is served"

# Cancel: a queued job at once.
fc bk_enqueue hank m.hank.1 0 3 >/dev/null
[ "$(fc bk_cancel m.hank.1 86400000)" = canceled ] &&
    [ "$(r HGET "${P}job:m.hank.1" error)" = "canceled by request" ] &&
    [ -z "$(r ZSCORE "${P}q" m.hank.1)" ] &&
    [ "$(r HGET "${P}job:m.hank.1" state)" = canceled ] &&
    [ -n "$(r ZSCORE "${P}canceled" m.hank.1)" ] &&
    [ -z "$(r ZSCORE "${P}failed" m.hank.1)" ]
ok $? "canceling a queued job removes it; it ends canceled (its own state and index, not failed)"
[ "$(fc bk_cancel m.gina.1 86400000)" = canceling ] &&
    [ "$(fc bk_heartbeat m.gina.1 tokB 5000 archive 0 0)" = cancel ]
ok $? "canceling a running job tells its worker at the next heartbeat"

# Events for the notifier and the panel.
r XRANGE "${P}events" - + | grep -qx retrying &&
    r XRANGE "${P}events" - + | grep -qx succeeded &&
    r XRANGE "${P}events" - + | grep -qx failed
ok $? "the events stream carries queued/started/succeeded/retrying/failed"
t_done
