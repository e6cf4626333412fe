#!/usr/bin/python3
"""cron_diff.py - differential test of `backupctl cron next` against
Debian's python3-croniter 1.3.5, in UTC.

Generates robfig-valid random expressions (30% with 6 fields; names in any
case, '?', ranges, steps, lists, N/step), leaving out the classes where
croniter is known to differ from robfig (queue-design.md section 7.4):

  * N/step in day-of-week (croniter runs it to 7 = Sunday),
  * a day-of-month or day-of-week field covering its whole range other
    than a plain '*' or '?': robfig counts "0-6" as restricted and
    "*/1" or "*,3" as '*' (its star bit); croniter the other way round,
    so the OR/AND rule differs,
  * a day-of-month impossible in the allowed months together with a
    restricted day-of-week (croniter raises CroniterBadDateError),

normalises them for croniter ('?' -> '*', seconds moved last) and compares
the next 8 times from a random UTC start in 2000-2036.  A spec croniter
reports as never matching must be "never" for us too.

All expressions go through one `backupctl cron next --stdin -n 8` process;
a sample also goes through the ordinary command line, which must print
the same.  Prints TAP.

usage: cron_diff.py BACKUPCTL [COUNT] [SEED]
"""
import calendar
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from croniter import croniter, CroniterBadDateError

BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
          "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
NITER = 8

n_test = 0
n_fail = 0


def ok(cond, msg):
    global n_test, n_fail
    n_test += 1
    if not cond:
        n_fail += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_test, msg))
    sys.stdout.flush()


def name_or_num(rng, k, v):
    """Render v, as a name (in a random case) now and then."""
    if k == 4 and rng.random() < 0.3:
        s = MONTHS[v - 1]
    elif k == 5 and rng.random() < 0.3:
        s = DAYS[v]
    else:
        return str(v)
    return rng.choice([s, s.upper(), s.capitalize()])


def gen_item(rng, k):
    """One list item of field k and the values it stands for (robfig)."""
    lo, hi = BOUNDS[k]
    kind = rng.choices(["*", "*/n", "a", "a-b", "a-b/n", "a/n"],
                       [3, 3, 4, 3, 2, 2])[0]
    if kind == "a/n" and k == 5:
        kind = "a-b/n"          # croniter's N/step in dow differs
    star = rng.random() < 0.2 and "?" or "*"
    if kind == "*":
        return star, set(range(lo, hi + 1)), True
    if kind == "*/n":
        n = rng.randint(1, max(1, (hi - lo) // 2))
        return "%s/%d" % (star, n), set(range(lo, hi + 1, n)), n == 1
    a = rng.randint(lo, hi)
    if kind == "a":
        return name_or_num(rng, k, a), {a}, False
    if kind == "a/n":
        n = rng.randint(1, max(1, (hi - lo) // 2))
        return "%d/%d" % (a, n), set(range(a, hi + 1, n)), False
    b = rng.randint(a, hi)
    text = "%s-%s" % (name_or_num(rng, k, a), name_or_num(rng, k, b))
    if kind == "a-b":
        return text, set(range(a, b + 1)), False
    n = rng.randint(1, max(1, (b - a) or 1))
    return "%s/%d" % (text, n), set(range(a, b + 1, n)), False


def gen_field(rng, k):
    items = [gen_item(rng, k) for _ in range(rng.choices([1, 2, 3],
                                                         [6, 3, 1])[0])]
    values = set().union(*(v for _, v, _ in items))
    star = any(s for _, _, s in items)
    return ",".join(t for t, _, _ in items), values, star


def possible_dom(doms, months):
    return any(d <= (29 if m == 2 else calendar.monthrange(2001, m)[1])
               for m in months for d in doms)


def gen_spec(rng):
    """A robfig expression, its croniter form and its fields' (values,
    star bit), or None for an excluded class."""
    fields = [gen_field(rng, k) for k in range(6)]
    if rng.random() < 0.02:     # now and then one that never fires
        d = rng.randint(30, 31)
        fields[3] = (str(d), {d}, False)
        fields[4] = ("2", {2}, False)
        fields[5] = ("*", set(range(7)), True)
    # Keep specs that fire at least now and then: few values in the
    # small fields would make every spec a monthly one.
    (domt, doms, _), (_, months, _), (dowt, dows, dow_star) = fields[3:]
    if domt not in ("*", "?") and doms == set(range(1, 32)):
        return None
    if dowt not in ("*", "?") and dows == set(range(0, 7)):
        return None
    if not possible_dom(doms, months) and not dow_star:
        return None
    texts = [t for t, _, _ in fields]
    if rng.random() < 0.3:
        robfig = " ".join(texts)
        cron = " ".join(texts[1:] + [texts[0]])
    else:
        robfig = " ".join(texts[1:])
        cron = robfig
        fields[0] = ("0", {0}, False)
    return robfig, cron.replace("?", "*"), [(v, st) for _, v, st in fields]


def brute_times(fields, start):
    """robfig's semantics the slow and obvious way, from the generator's
    own value sets (not from any parser): the arbiter when croniter and
    backupctl disagree."""
    (secs, _), (mins, _), (hours, _), (doms, dom_star), (months, _), \
        (dows, dow_star) = fields
    out = []
    t = start.replace(microsecond=0)
    day = t.date()
    end = day + timedelta(days=5 * 366)
    while len(out) < NITER and day <= end:
        dom_ok = day.day in doms
        dow_ok = day.isoweekday() % 7 in dows
        if day.month in months and ((dom_ok and dow_ok) if dom_star or
                                    dow_star else (dom_ok or dow_ok)):
            for h in sorted(hours):
                for m in sorted(mins):
                    for s in sorted(secs):
                        c = datetime(day.year, day.month, day.day, h, m, s,
                                     tzinfo=timezone.utc)
                        if c > t and len(out) < NITER:
                            out.append(c.strftime("%Y-%m-%dT%H:%M:%SZ"))
                            t = c
        day += timedelta(days=1)
    return out


def croniter_times(spec, start):
    out = []
    try:
        it = croniter(spec, start)
        for _ in range(NITER):
            t = it.get_next(datetime)
            out.append(t.astimezone(timezone.utc)
                       .strftime("%Y-%m-%dT%H:%M:%SZ"))
    except CroniterBadDateError:
        pass
    return out


def main():
    bk = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20260101
    print("# seed %d, %d expressions" % (seed, count))
    rng = random.Random(seed)
    base = datetime(2000, 1, 1, tzinfo=timezone.utc)
    span = int((datetime(2037, 1, 1, tzinfo=timezone.utc) - base)
               .total_seconds())
    cases = []
    while len(cases) < count:
        g = gen_spec(rng)
        if g is None:
            continue
        start = base + timedelta(seconds=rng.randrange(span))
        cases.append((g[0], g[1], start, g[2]))

    env = dict(os.environ, TZ="UTC")
    inp = "".join("%s\t%s\n" % (s.strftime("%Y-%m-%dT%H:%M:%SZ"), r)
                  for r, _, s, _ in cases)
    p = subprocess.run([bk, "cron", "next", "--stdin", "-n", str(NITER)],
                       input=inp, capture_output=True, text=True, env=env)
    lines = p.stdout.split("\n")[:-1]
    ok(p.returncode == 0 and len(lines) == len(cases),
       "backupctl cron next --stdin answered each of %d expressions "
       "(exit %d, %d lines)" % (len(cases), p.returncode, len(lines)))
    if len(lines) != len(cases):
        print("# stderr: %s" % p.stderr.strip())
        return

    bad = []
    croniter_wrong = []
    stats = {"never": 0, "six": 0, "names": 0, "q": 0}
    for (robfig, cron, start, fields), line in zip(cases, lines):
        want = croniter_times(cron, start)
        got = [] if line == "never" else line.split(" ")
        stats["never"] += not got
        stats["six"] += len(robfig.split()) == 6
        stats["names"] += any(c.isalpha() for c in robfig)
        stats["q"] += "?" in robfig
        if got == want:
            continue
        # croniter has bugs of its own (e.g. "8,*/5" in day-of-month
        # skips the 1st): the brute-force reference decides.
        truth = brute_times(fields, start)
        if got == truth:
            croniter_wrong.append((robfig, cron, start, got, want))
        else:
            bad.append((robfig, cron, start, got, want))
    agree = len(cases) - len(bad) - len(croniter_wrong)
    ok(not bad and agree >= len(cases) * 0.99,
       "%d random expressions: %d agree with croniter over %d firings "
       "each, %d where croniter errs match the brute-force reference, "
       "%d wrong" % (len(cases), agree, NITER, len(croniter_wrong),
                     len(bad)))
    for title, rows in (("wrong", bad), ("croniter errs", croniter_wrong)):
        for robfig, cron, start, got, want in rows[:10]:
            print("# %s: %r (croniter %r) from %s" %
                  (title, robfig, cron, start.isoformat()))
            print("#     backupctl: %s" % " ".join(got or ["never"]))
            print("#     croniter:  %s" % " ".join(want or ["never"]))
    ok(stats["never"] > 0 and stats["six"] > count // 5 and
       stats["names"] > count // 5 and stats["q"] > count // 10,
       "the sample covers never-firing specs (%d), 6 fields (%d), names "
       "(%d) and '?' (%d)" % (stats["never"], stats["six"], stats["names"],
                              stats["q"]))

    # The ordinary command line prints what the batch printed.
    same = 0
    sample = rng.sample(range(len(cases)), 25)
    for i in sample:
        robfig, _, start, _ = cases[i]
        q = subprocess.run([bk, "cron", "next", robfig, "-n", str(NITER),
                            "--from", start.strftime("%Y-%m-%dT%H:%M:%SZ")],
                           capture_output=True, text=True, env=env)
        single = q.stdout.split() if q.returncode == 0 else ["never"]
        if single == lines[i].split(" "):
            same += 1
        else:
            print("#   %r: %s vs %s" % (robfig, single, lines[i]))
    ok(same == len(sample), "%d of %d sampled expressions print the same "
       "through `backupctl cron next EXPR`" % (same, len(sample)))


if __name__ == "__main__":
    main()
    print("1..%d" % n_test)
    sys.exit(1 if n_fail else 0)
