#!/usr/bin/env bash
# Renders the sample report (Tests/CotrainReportTests/Fixtures) in headless Chromium and
# checks the screenshot is a real page, not a blank or error page. Installs Chromium with
# apt-get when run as root; otherwise, without Chromium, says what to install and exits 0
# with a "skipped" line.
#
#   scripts/check-report-render.sh            # writes $SCRATCH/report-check/{report.html,report.png}
#   COTRAIN_SCRATCH=.build-report REPORT_WINDOW=1280,6000 scripts/check-report-render.sh
#   COTRAIN_BIN=path/to/cotrain scripts/check-report-render.sh   # use a built binary
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_system_deps
scratch="${COTRAIN_SCRATCH:-.build}"
window="${REPORT_WINDOW:-1280,2400}"
out="$scratch/report-check"
fx=Tests/CotrainReportTests/Fixtures
mkdir -p "$out"

bin="${COTRAIN_BIN:-}"   # a prebuilt cotrain, to skip the build
if [ -z "$bin" ]; then
    swift build --scratch-path "$scratch" --product cotrain >&2
    bin="$(swift build --scratch-path "$scratch" --show-bin-path)/cotrain"
fi
"$bin" report --out "$out/report.html" --title "Sample report: VL co-training vs robot-only" \
    --eval "$fx/eval-vl.json" --baseline-eval "$fx/eval-robot-only.json" \
    --training "vl+cross-embodiment=$fx/training-vl.jsonl" --training "robot-only=$fx/training-robot-only.jsonl" \
    --journal "$fx/round-journal.jsonl" --lab 1c327e55=lab-a --lab 89ddfaf4=lab-b --lab 3c665e48=lab-c \
    --gif "$fx/vl+cross-embodiment-pick-distractors-seed1000.gif" --gif "$fx/robot-only-pick-distractors-seed1000.gif"

if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$out/report.html" ||
        cotrain_die "report.html is not well-formed XML (XHTML)"
    echo "report: $out/report.html parses as XML" >&2
fi

browser=""
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then browser="$name"; break; fi
done
if [ -z "$browser" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt_install chromium
    browser=chromium
fi
if [ -z "$browser" ]; then
    echo "report render check: skipped (no Chromium; install it with: sudo apt-get install -y chromium)"
    exit 0
fi

png="$out/report.png"
rm -f "$png"
# --no-sandbox: Chromium refuses to run as root otherwise (CI containers run as root).
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$window" --screenshot="$png" "file://$(pwd)/$out/report.html" >/dev/null 2>&1 || true
[ -s "$png" ] || cotrain_die "Chromium wrote no screenshot"

# The screenshot must have the window's size, many colours and plenty of ink.
python3 - "$png" "$window" <<'PY'
import struct, sys, zlib
path, window = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, header = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR": header = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + length
width, height, depth, colour = header[:4]
assert (width, height) == tuple(map(int, window.split(","))), f"screenshot is {width}x{height}, expected {window}"
assert depth == 8 and colour in (2, 6), f"unexpected PNG format (depth {depth}, colour type {colour})"
bpp = 3 if colour == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if kind == 1: line[x] = (line[x] + a) & 255
        elif kind == 2: line[x] = (line[x] + b) & 255
        elif kind == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
colours, ink, total = set(), 0, 0
for y in range(0, height, 3):
    row = rows[y]
    for x in range(0, width, 3):
        r, g, b = row[x * bpp:x * bpp + 3]
        colours.add((r, g, b)); total += 1
        ink += max(r, g, b) < 200
print(f"report: screenshot {path}: {width}x{height}, {len(colours)} colours, {100 * ink / total:.1f}% ink")
assert len(colours) >= 50, "screenshot has almost no colours: blank or error page?"
assert ink / total >= 0.02, "screenshot is nearly empty"
PY
echo "report render check: ok ($png)"
