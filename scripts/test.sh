#!/usr/bin/env bash
# Runs the whole cotrain test suite (the README's test command; CI runs exactly this).
# Installs missing system libraries when run as root, or says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_system_deps
ensure_python_test_deps
# Interoperability tests (Python reads our files, we read Python's) must run here,
# not be skipped.
export COTRAIN_INTEROP=required
swift build --build-tests "$@"
swift test --skip-build "$@"
