#!/usr/bin/python3
"""panel_client.py - the hosting panel's side of docs/redis-protocol.md,
tried as a panel developer would: Debian's python3-redis, the documented
least-privilege ACL user (deploy/redis/panel.acl), real daemons.

Environment (set by tests/regress/panel_client.sh): REDIS_PORT,
PANEL_PASSWORD, NODE, PB_CONF (admin config for backupctl and the
admin-only set-up steps), T (the test folder), PB_BIN.

Prints TAP ("ok N - ...", then "1..N").  Every step the panel does goes
through the panel user; the admin connection only prepares what a real
node would already have (1,100 other jobs, a corrupted backup file).
"""
import json
import os
import re
import subprocess
import sys
import time

import redis

PORT = int(os.environ["REDIS_PORT"])
NODE = os.environ["NODE"]
T = os.environ["T"]
CONF = os.environ["PB_CONF"]
BIN = os.environ["PB_BIN"]
P = "bk:{%s}:" % NODE

n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, what))
    else:
        failed += 1
        print("not ok %d - %s" % (n, what))
    sys.stdout.flush()
    return cond


def note(msg):
    print("# " + str(msg))
    sys.stdout.flush()


panel = redis.Redis(host="127.0.0.1", port=PORT, username="panel",
                    password=os.environ["PANEL_PASSWORD"],
                    decode_responses=True, client_name="panel-test")
admin = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)


# ---- the panel's calls, as docs/redis-protocol.md describes them ----

def request(**fields):
    """XADD a request to the node's inbox; wait for its reply hash."""
    rid = panel.xadd(P + "req", fields)
    end = time.time() + 30
    while time.time() < end:
        rep = panel.hgetall(P + "reply:" + rid)
        if rep:
            return rid, rep
        time.sleep(0.1)
    return rid, {}


def new_id(user):
    return "m.%s.%d.%08x" % (user, int(time.time() * 1000),
                             int.from_bytes(os.urandom(4), "big"))


def job(jid):
    return panel.hgetall(P + "job:" + jid)


def wait_state(jid, states, limit=120):
    end = time.time() + limit
    while time.time() < end:
        j = job(jid)
        if j.get("state") in states:
            return j
        time.sleep(0.2)
    return job(jid)


def events_of(jid, since):
    """Every event of job jid from stream id since on: the recipe that
    cannot miss one (start at the request's id, not at $)."""
    out = []
    for _, fields in panel.xrange(P + "events", min=since):
        if fields.get("job") == jid:
            out.append(fields["event"])
    return out


def ctl(*args):
    return subprocess.run([BIN + "/backupctl", "--config", CONF] +
                          list(args), capture_output=True, text=True)


# 1. Before anything: the library and the node's settings are readable.
ok(panel.execute_command("FCALL_RO", "bk_version", "0") == "4",
   "FCALL_RO bk_version works for the panel user (library loaded by "
   "backupctl queue init / the daemons)")
st = panel.hgetall(P + "settings")
ok(st.get("max_attempts") == "2" and int(st.get("retention_ms", 0)) > 0,
   "the node settings record gives the defaults (%s)" % st)

# 2. The ACL: no direct writes, no writing functions.
for what, cmd in (("SET", ("SET", P + "x", "1")),
                  ("HSET of a job", ("HSET", P + "job:x", "state",
                                     "succeeded")),
                  ("DEL", ("DEL", P + "q")),
                  ("FCALL bk_enqueue", ("FCALL", "bk_enqueue", "1", P, NODE,
                                        "alice", "m.alice.1.0", "0", "1")),
                  ("XADD to the events", ("XADD", P + "events", "*", "a",
                                          "b"))):
    try:
        panel.execute_command(*cmd)
        ok(False, "direct %s refused by the ACL" % what)
    except redis.exceptions.NoPermissionError as e:
        ok(True, "direct %s refused by the ACL (%s)" % (what, e))
    except redis.exceptions.ResponseError as e:
        ok("NOPERM" in str(e) or "can't run" in str(e),
           "direct %s refused by the ACL (%s)" % (what, e))

# 3. Enqueue, follow, events from the request on.
aid = new_id("alice")
rid, rep = request(op="enqueue", user="alice", id=aid)
ok(rep.get("result") == "new" and rep.get("id") == aid,
   "enqueue through the inbox: new job %s" % rep)
j = wait_state(aid, ("succeeded", "failed", "canceled"))
ok(j.get("state") == "succeeded" and j.get("kind") == "backup" and
   json.loads(j.get("backups", "[]")), "alice's backup succeeded (%s)" %
   j.get("error", j.get("state")))
alice_backup = json.loads(j.get("backups", "[\"\"]"))[0]
ev = events_of(aid, rid)
ok(ev[:1] == ["queued"] and "started" in ev and ev[-1] == "succeeded",
   "events read from the request's id on miss nothing: %s" % ev)

# The functions' checks apply to requests too.
rid2, rep2 = request(op="enqueue", user="alice", id=aid)
ok(rep2.get("result") == "error" and "exists" in rep2.get("error", ""),
   "a reused id never overwrites a job: %s" % rep2)
rid3, rep3 = request(op="enqueue", user="alice", id=new_id("alice"),
                     max_attempts="0")
ok(rep3.get("result") == "error" and "max attempts" in rep3.get("error",
                                                                 ""),
   "max attempts 0 refused: %s" % rep3)

# 4. Progress: big's first backup sets the expected total; the second
# shows percent rising and an ETA.
bid = new_id("big")
request(op="enqueue", user="big", id=bid)
j = wait_state(bid, ("succeeded", "failed"), 240)
ok(j.get("state") == "succeeded", "big's first backup (sets the expected "
   "total: last bytes_in) %s" % j.get("error", ""))
bid2 = new_id("big")
request(op="enqueue", user="big", id=bid2)
pcts, etas = [], []
end = time.time() + 240
while time.time() < end:
    raw = ctl("status", "--json", bid2)
    try:
        s = json.loads(raw.stdout)
    except ValueError:
        s = {}
    if s.get("state") == "running" and "percent" in s:
        if not pcts or s["percent"] != pcts[-1]:
            pcts.append(s["percent"])
        if "eta_seconds" in s:
            etas.append(s["eta_seconds"])
    if s.get("state") in ("succeeded", "failed", "canceled"):
        break
    time.sleep(0.3)
ok(len(pcts) >= 3 and pcts == sorted(pcts) and pcts[-1] > pcts[0] and etas,
   "percent rises while the job runs, with eta_seconds: %s" % pcts)
ok(job(bid2).get("state") == "succeeded", "the followed job succeeded")

# 4b. A restore job's progress: its total is the backup's size (exact),
# so percent rises to 100, with eta_seconds while it runs.  big's
# destination reads slowly (DRIP_, tests/lib/faultfs.c).
big_backup = json.loads(job(bid2).get("backups", "[\"\"]"))[0]
big_size = os.path.getsize(os.path.join(T, "arch", "DRIP_big", big_backup))
rpid = new_id("big")
request(op="enqueue", user="big", id=rpid, kind="restore", target=big_backup)
rpcts, retas, rphases = [], [], set()
end = time.time() + 240
s = {}
while time.time() < end:
    try:
        s = json.loads(ctl("status", "--json", rpid).stdout)
    except ValueError:
        s = {}
    if s.get("state") == "running" and "percent" in s:
        rphases.add(s.get("phase"))
        if not rpcts or s["percent"] != rpcts[-1]:
            rpcts.append(s["percent"])
        if "eta_seconds" in s:
            retas.append(s["eta_seconds"])
    if s.get("state") in ("succeeded", "failed", "canceled"):
        break
    time.sleep(0.3)
if s.get("percent") is not None and (not rpcts or rpcts[-1] != s["percent"]):
    rpcts.append(s["percent"])
ok(s.get("state") == "succeeded" and s.get("kind") == "restore",
   "big's restore job succeeded (%s)" % s.get("error", s.get("state")))
ok(len(rpcts) >= 3 and rpcts == sorted(rpcts) and rpcts[-1] == 100 and
   retas and rphases == {"restore"},
   "restore percent rises to 100 with eta_seconds while running: %s, "
   "eta %s" % (rpcts, retas[:3]))
ok(s.get("bytes_in") == big_size,
   "the restore's bytes_in is the backup's size (%s of %d)" %
   (s.get("bytes_in"), big_size))

# 5. History of one user after more than 1,000 other jobs of the node.
pipe = admin.pipeline(transaction=True)
for i in range(1100):
    oid = "m.other%d.%d.00000000" % (i, int(time.time() * 1000))
    pipe.execute_command("FCALL", "bk_enqueue", "1", P, NODE, "other%d" % i,
                         oid, "0", "")
    pipe.execute_command("FCALL", "bk_cancel", "1", P, NODE, oid, "")
pipe.execute()
hist = panel.zrevrange(P + "ujobs:alice", 0, -1)
ok(aid in hist and panel.zcard(P + "canceled") >= 1100,
   "per-user index bk:{N}:ujobs:alice holds alice's job after 1,100 other "
   "jobs (%d canceled on the node)" % panel.zcard(P + "canceled"))
r = ctl("jobs", "--user", "alice", "--json")
ids = [x["id"] for x in json.loads(r.stdout or '{"jobs":[]}')["jobs"]]
ok(aid in ids, "backupctl jobs --user alice --json lists it (%d jobs)" %
   len(ids))

# 5b. A user's list is never silently incomplete.
doc = json.loads(r.stdout or "{}")
ok(doc.get("truncated") is False,
   "alice's whole history: \"truncated\": false (%d jobs)" % len(ids))
r = ctl("jobs", "--user", "big", "--limit", "1", "--json")
doc = json.loads(r.stdout or "{}")
ok(len(doc.get("jobs", [])) == 1 and doc.get("truncated") is True,
   "--limit 1 of big's %d jobs: \"truncated\": true" %
   panel.zcard(P + "ujobs:big"))
r = ctl("jobs", "--user", "big", "--limit", "1")
last = r.stdout.strip().splitlines()[-1:] or [""]
ok(r.returncode == 0 and "not all of big's jobs" in last[0],
   "the table ends with a note saying so: %s" % last[0])
# 1,001 jobs of one user: the index keeps the newest 1,000 and notes it.
pipe = admin.pipeline(transaction=True)
for i in range(1001):
    oid = "m.many.%d.%08x" % (int(time.time() * 1000), i)
    pipe.execute_command("FCALL", "bk_enqueue", "1", P, NODE, "many",
                         oid, "0", "")
    pipe.execute_command("FCALL", "bk_cancel", "1", P, NODE, oid, "")
pipe.execute()
r = ctl("jobs", "--user", "many", "--state", "canceled", "--limit",
        "5000", "--json")
doc = json.loads(r.stdout or "{}")
ok(panel.zcard(P + "ujobs:many") == 1000 and
   len(doc.get("jobs", [])) == 1000 and doc.get("truncated") is True and
   panel.hget(P + "user:many", "ujobs_trimmed_at"),
   "1,001 jobs of one user: 1,000 listed and \"truncated\": true (the "
   "index's bound trimmed it; %d listed)" % len(doc.get("jobs", [])))
# A job the index names whose record is gone (expired) also says so.
admin.zadd(P + "ujobs:pat", {"m.pat.1.deadbeef": 1})
r = ctl("jobs", "--user", "pat", "--json")
doc = json.loads(r.stdout or "{}")
ok(doc.get("truncated") is True and not doc.get("jobs"),
   "an index entry whose record expired: \"truncated\": true")
admin.zrem(P + "ujobs:pat", "m.pat.1.deadbeef")

# 6. Cancel a running job: it ends canceled, not failed.
cid = new_id("big")
crid, _ = request(op="enqueue", user="big", id=cid)
wait_state(cid, ("running",), 60)
w1, w2 = new_id("big"), new_id("big")
_, r1 = request(op="enqueue", user="big", id=w1)
_, r2 = request(op="enqueue", user="big", id=w2)
ok(r1.get("result") == "new" and r2.get("result") == "joined" and
   r2.get("id") == w1, "a request while one waits joins it: %s" % r2)
_, rep = request(op="cancel", id=w1, user="big")
ok(rep.get("result") == "canceled" and job(w1).get("state") == "canceled",
   "cancel of the waiting job: canceled at once (%s)" % rep)
_, rep = request(op="cancel", id=cid, user="big")
ok(rep.get("result") in ("canceling", "canceled"), "cancel request: %s" %
   rep)
j = wait_state(cid, ("succeeded", "failed", "canceled"), 60)
ok(j.get("state") == "canceled" and j.get("error_class") == "canceled",
   "the canceled job ends canceled (%s)" % j.get("state"))
ok("canceled" in events_of(cid, crid) and
   "failed" not in events_of(cid, crid),
   "a canceled event, no failed one: %s" % events_of(cid, crid))
stats = json.loads(ctl("stats", "--json").stdout)["nodes"][0]
ok(stats.get("canceled_24h", 0) >= 1102 and stats["failed_24h"] == 0,
   "stats count cancels apart from failures (%s canceled, %s failed)" %
   (stats.get("canceled_24h"), stats.get("failed_24h")))

# 7. Restore of one path as a job, into a new folder beside Files.
rsid = new_id("alice")
_, rep = request(op="enqueue", user="alice", id=rsid, kind="restore",
                 target=alice_backup, only='["files/a.txt"]')
ok(rep.get("result") == "new", "restore request queued: %s" % rep)
j = wait_state(rsid, ("succeeded", "failed"), 120)
res = json.loads(j.get("result", "{}"))
to = res.get("to") or ""
ok(j.get("state") == "succeeded" and j.get("kind") == "restore" and
   to.startswith(T + "/files/alice-restore-"),
   "restore job succeeded into a new folder beside Files (%s %s)" %
   (to, j.get("error", "")))
a = os.path.join(to, "files", "a.txt")
ok(os.path.isfile(a) and open(a).read() == "hello\n" and
   not os.path.exists(os.path.join(to, "files", "b.txt")),
   "only files/a.txt was restored, with its content")
ok(open(T + "/files/alice/a.txt").read() == "hello\n",
   "the Files source itself was not touched")

# A target through a symlink out of the user's home is refused.
os.makedirs(T + "/outside", exist_ok=True)
os.symlink(T + "/outside", T + "/files/escape")
xid = new_id("alice")
request(op="enqueue", user="alice", id=xid, kind="restore",
        target=alice_backup, to="escape/x", max_attempts="1")
j = wait_state(xid, ("succeeded", "failed"), 120)
ok(j.get("state") == "failed" and "outside" in j.get("error", "") and
   not os.listdir(T + "/outside"),
   "a restore target through a symlink out of the home is refused (%s)" %
   j.get("error"))

# A backup name with ".." (a key at the tenant's own destination) is
# refused before root builds any path from it.
os.makedirs(T + "/files/alice-restore-x", exist_ok=True)
xid = new_id("alice")
request(op="enqueue", user="alice", id=xid, kind="restore",
        target="x/../../../root/probe.tar.zst", max_attempts="1")
j = wait_state(xid, ("succeeded", "failed"), 120)
ok(j.get("state") == "failed" and "not a backup name" in j.get("error", ""),
   "a backup name with '/' or '..' is refused (%s)" % j.get("error"))

# 8. Verify of a corrupted backup fails, naming the layer.
kid = new_id("carl")
request(op="enqueue", user="carl", id=kid)
j = wait_state(kid, ("succeeded", "failed"), 120)
name = json.loads(j.get("backups", "[\"\"]"))[0]
path = os.path.join(T, "arch", "carl", name)
with open(path, "r+b") as f:
    size = os.path.getsize(path)
    f.seek(size // 2)
    f.write(bytes(64))
vid = new_id("carl")
_, rep = request(op="enqueue", user="carl", id=vid, kind="verify",
                 target=name, max_attempts="1")
j = wait_state(vid, ("succeeded", "failed"), 120)
note("verify error: %s" % j.get("error"))
ok(j.get("state") == "failed" and j.get("kind") == "verify" and
   re.search(r"zstd|gzip|decompress|tar|checksum|sha-?256|manifest",
             j.get("error", ""), re.I),
   "verify job of a corrupted backup fails naming the layer (%s)" %
   j.get("error"))

# The hosting company's channel (ADMIN_NOTIFICATION_LEVEL=error): told of
# carl's failure although carl set no NOTIFICATION_URLS; not of successes.
hook = os.environ.get("HOOK_LOG", "")
end = time.time() + 30
while time.time() < end and not (os.path.exists(hook) and
                                 "carl" in open(hook).read()):
    time.sleep(0.2)
sent = open(hook).read().splitlines() if os.path.exists(hook) else []
ok(any("carl" in x for x in sent) and
   all('failed"' in x.split('"message"')[0] for x in sent),
   "the admin channel got carl's failure, failures only (%d message(s))" %
   len(sent))
if sent:
    note("admin message: %s" % sent[0][:200])

# 8b. Restore and verify jobs are worded as such, never as a backup run;
# each user's NOTIFICATION_LEVEL applies (alice: info, carl: error).
uhook = os.environ.get("USER_HOOK_LOG", "")


def user_msgs(user, want):
    end = time.time() + 30
    while time.time() < end:
        lines = [x for x in (open(uhook).read().splitlines()
                             if os.path.exists(uhook) else [])
                 if x.startswith("/%s " % user)]
        if want(lines):
            return lines
        time.sleep(0.2)
    return lines


want_ok = "restore of %s for alice succeeded: " % alice_backup
lines = user_msgs("alice", lambda ls: any(want_ok in x for x in ls) and
                  any("restore of x/../../../root/probe.tar.zst for alice "
                      "failed: " in x for x in ls))
rs = [x for x in lines if "estore of " in x]
ok(any(want_ok in x and ("Restore of %s for alice succeeded" %
                         alice_backup) in x for x in lines),
   "alice (level info) told \"%s...\" with a restore title" % want_ok)
ok(any("restore of x/../../../root/probe.tar.zst for alice failed: not a "
       "backup name" in x for x in lines) and
   not any("The backup of user alice failed" in x for x in lines),
   "a failed restore is worded as a restore, not a backup run")
ok(any("The backup of user alice succeeded" in x for x in lines) and
   all("backup of user" not in x for x in rs),
   "alice's backup run still reads as one (%d messages)" % len(lines))
lines = user_msgs("carl", lambda ls: any("verify of " in x for x in ls))
ok(any(("verify of %s for carl failed: " % name) in x and
       ("Verify of %s for carl failed" % name) in x for x in lines) and
   not any("succeeded" in x for x in lines),
   "carl (level error) told of the verify's failure as a verify, not of "
   "the backup's success: %s" % [x[:120] for x in lines])

# 9. Pin, then prune keeps the pinned backup; backups visible from Redis.
old = ["backup-2020-01-01T00-00-00.tar.zst", "backup-2020-01-02T00-00-00.tar.zst",
       "backup-2020-01-03T00-00-00.tar.zst"]
_, rep = request(op="pin", user="pat", name=old[0])
ok(rep.get("result") == "pinned" and
   panel.sismember(P + "pins:pat", old[0]), "pin request: %s" % rep)
pid = new_id("pat")
request(op="enqueue", user="pat", id=pid)
j = wait_state(pid, ("succeeded", "failed"), 120)
left = sorted(os.listdir(os.path.join(T, "arch", "pat")))
ok(j.get("state") == "succeeded" and old[0] in left and old[1] not in left
   and old[2] not in left,
   "prune deleted the expired backups but kept the pinned one: %s" % left)
rec = panel.hgetall(P + "backups:pat")
names = [b["name"] for b in json.loads(rec.get("backups", "[]"))]
ok(sorted(names) == left and int(rec.get("bytes_stored", 0)) > 0 and
   all(set(b) >= {"name", "destination", "size", "time", "kind", "chain"}
       and b["kind"] == "full" and b["chain"] == b["name"]
       for b in json.loads(rec.get("backups", "[]"))),
   "bk:{N}:backups:pat lists the backups at the destination with bytes "
   "stored (%s bytes)" % rec.get("bytes_stored"))
_, rep = request(op="unpin", user="pat", name=old[0])
ok(rep.get("result") == "unpinned" and
   not panel.sismember(P + "pins:pat", old[0]), "unpin request")

print("1..%d" % n)
sys.exit(1 if failed else 0)
