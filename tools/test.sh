#!/bin/bash
# Every test: unit, private-bus and the real-kernel suites in the VM (both
# Debian kernels). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh

status=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || status=$?

# One closing line that any CI reader understands.
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(sys.argv[1]):
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        counts["passed"] += 1
    elif r == "SKIP":
        counts["skipped"] += 1
    else:
        counts["failed"] += 1
print("meson: {passed} passed, {failed} failed, {skipped} skipped".format(**counts))
PY
exit $status
