#!/usr/bin/env python3
"""Lists the Swift Testing tests and suites that started in a test log and never ended.

Usage: unfinished-tests.py LOG

`.ci/run`'s watchdog calls this when a test step outlives its bound, so that a hung run names what hung
instead of only timing out. A test that is still running is one with a "◇ Test … started." line and no
"✔"/"✘" line that ends it; a test case with arguments is reported with its arguments.
"""

import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A test's or suite's name: quoted display names may hold any words ("… passed …" too), so it is read as
# a quoted string or a single token, never by searching for the verb after it.
NAME = r'("(?:[^"\\]|\\.)*"|\S+)'
# "◇ Test "name" started." / "◇ Suite name started." / "◇ Test case passing … to "name" started."
STARTED = re.compile(r"^\S+ (Test|Suite) (case passing .+? to " + NAME + r"|" + NAME + r") started\.$")
# "✔ Test "name" passed after …" / "✘ Test name() failed after …" / "✔ Test "name" with 3 test cases passed …"
ENDED = re.compile(r"^\S+ (Test|Suite) " + NAME + r" (?:with \d+ test cases? )?(?:passed|failed|skipped)\b")
# "✔ Test run with 323 tests in 44 suites passed after …"
RUN_ENDED = re.compile(r"^\S+ Test run with .+ (?:passed|failed)\b")
CASE = re.compile(r"^case passing (.+?) to (.+)$")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
    except OSError as error:
        print(f"unfinished-tests: cannot read {sys.argv[1]}: {error}", file=sys.stderr)
        return 2
    running: dict[tuple[str, str], int] = {}
    for line in lines:
        line = ANSI.sub("", line).strip()
        started = STARTED.match(line)
        if started:
            kind, name = started.group(1), started.group(2)
            case = CASE.match(name)
            if case:
                # A test case ends with its test's own line: key it by the test, keep its arguments to show.
                key = ("Test case", f"{case.group(2)} ({case.group(1)})")
            else:
                key = (kind, name)
            running[key] = running.get(key, 0) + 1
            continue
        if RUN_ENDED.match(line):
            running.pop(("Test", "run"), None)
            continue
        ended = ENDED.match(line)
        if ended:
            kind, name = ended.groups()
            for key in [(kind, name)] + [k for k in running if k[0] == "Test case" and k[1].startswith(name + " (")]:
                if key in running:
                    del running[key]
    if not running:
        print("unfinished-tests: every test that started in the log also ended (the hang is outside a test)")
        return 0
    print("unfinished-tests: started and never ended:")
    for (kind, name), count in running.items():
        print(f"  {kind} {name}" + (f" ×{count}" if count > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
