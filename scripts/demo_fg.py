#!/usr/bin/env python3
# scripts/demo_fg.py CMD... - run CMD as the terminal's foreground job, as
# an interactive shell runs a job: CMD gets a process group of its own
# that becomes the terminal's foreground group, so a Ctrl-C reaches CMD
# only and not the make (or shell script) that started it; when CMD ends,
# the terminal goes back to the caller's group and CMD's exit status is
# returned.  Used by scripts/demo.sh on a terminal (`make run`).
import os
import signal
import sys

fd = sys.stdin.fileno()
caller = os.getpgrp()
# Giving the terminal back from a background group raises SIGTTOU.
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.tcsetpgrp(fd, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
# Both sides set the group: whichever runs first, tcsetpgrp finds it.
try:
    os.setpgid(pid, pid)
except OSError:
    pass
# A Ctrl-C that arrives before the child owns the terminal is the child's.
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        _, st = os.waitpid(pid, 0)
        break
    except InterruptedError:
        continue
try:
    os.tcsetpgrp(fd, caller)
except OSError:
    pass
if os.WIFSIGNALED(st):
    sys.exit(128 + os.WTERMSIG(st))
sys.exit(os.WEXITSTATUS(st))
