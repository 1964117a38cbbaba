#!/usr/bin/env bash
# The README's main command: builds cotrain (release, tuned for this CPU) and runs the
# main job. Installs missing system libraries when run as root, or says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_system_deps
echo "cotrain: building (release; first build takes a few minutes)" >&2
swift build -c release --product cotrain
bin="$(swift build -c release --show-bin-path)/cotrain"
"$bin" selfcheck --quiet
# A local federation of three labs (separate processes, TLS on 127.0.0.1); arguments
# go to `cotrain demo` (e.g. --quick, --out DIR, --fresh). See docs/demo.md.
exec "$bin" demo "$@"
