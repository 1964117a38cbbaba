#!/usr/bin/env python3
"""Interoperability check between cotrain's tar code and Python's tarfile.

  tar_check.py read FILE           FILE was written by cotrain; FILE.json lists mtime
                                   and the entries (name, contents as hex) in order.
                                   Reads FILE with tarfile and compares names, contents,
                                   mode and mtime; then writes the same entries with
                                   tarfile (USTAR format) and checks the bytes are
                                   identical (up to tarfile's padding to a 10 KiB record).
  tar_check.py write FILE FORMAT   Writes FILE with tarfile in FORMAT (ustar, gnu or
                                   pax): regular files with long and non-ASCII names,
                                   an empty and a block-sized file, plus directories.
                                   FILE.json lists the regular files cotrain must read.

Exit status 0 on success; on a mismatch, prints what differs and exits 1.
"""
import io
import json
import sys
import tarfile

FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}


def archive(entries, mtime, fmt):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def read(path):
    with open(path + ".json") as f:
        spec = json.load(f)
    expected = [(e["name"], bytes.fromhex(e["hex"])) for e in spec["entries"]]
    errors = []
    got = []
    with tarfile.open(path, "r:") as tar:
        for member in tar:
            if not member.isfile():
                errors.append(f"{member.name}: not a regular file")
                continue
            if member.mode != 0o644 or member.mtime != spec["mtime"]:
                errors.append(f"{member.name}: mode {oct(member.mode)} mtime {member.mtime}")
            got.append((member.name, tar.extractfile(member).read()))
    if got != expected:
        errors.append(f"entries differ: {[n for n, _ in got]} vs {[n for n, _ in expected]}")
    ours = open(path, "rb").read()
    theirs = archive(expected, spec["mtime"], tarfile.USTAR_FORMAT)
    if theirs[: len(ours)] != ours or any(theirs[len(ours):]):
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        errors.append(f"bytes differ from tarfile's USTAR output at offset {first}")
    return errors


def write(path, fmt):
    long_dir = "d" * 120
    entries = [
        ("000001.txt", b"a caption"),
        ("000001.json", b'{"q": "what?", "a": "that"}'),
        ("000002.ppm", bytes(range(256)) * 2),
        ("empty.txt", b""),
        (long_dir + "/" + "f" * 90 + ".txt", b"long"),
        ("ünïcødé/名前.txt", "välue".encode()),
    ]
    if fmt != "ustar":
        entries.append(("n" * 300 + ".bin", bytes([1, 2, 3])))
    with tarfile.open(path, "w", format=FORMATS[fmt]) as tar:
        for name in ("dir", long_dir):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    with open(path + ".json", "w") as f:
        json.dump({"entries": [{"name": n, "hex": d.hex()} for n, d in entries]}, f)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        errors = read(sys.argv[2])
        for error in errors:
            print(error)
        return 1 if errors else 0
    if len(sys.argv) == 4 and sys.argv[1] == "write" and sys.argv[3] in FORMATS:
        write(sys.argv[2], sys.argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
