#!/bin/bash
# The peer comparison (docs/peers.md). The harness lives in tests/peers/ with
# its guest side, its report and its programs; this is its command.
exec "$(dirname "$0")/../tests/peers/peers.sh" "$@"
