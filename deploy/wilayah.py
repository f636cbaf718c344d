"""Regenerate ``models/data/wilayah-2025.csv`` from the npm package ``idn-area-data``.

The engine never runs this: it reads the committed file. Run it when
Kemendagri publishes a new decree and the package follows it::

    python -m deploy.wilayah                 # npm pack idn-area-data@4.0.1 into a temp dir, rewrite the file
    python -m deploy.wilayah --from DIR      # an unpacked package (DIR/data/provinces.csv, ...)
    python -m deploy.wilayah --check         # exit 1 when the committed file differs from the package
    python -m deploy.wilayah --check --compare wilayah.sql   # and cross-check it against a second source

``--compare`` reads a SQL dump of the Kepmendagri table (rows ``('74.71.01','Mandonga')``,
the shape of the cahyadsn/wilayah repository's ``db/wilayah.sql``), compares every
province, regency and district code (exit 1 on any difference) and prints the names
that are spelled differently, for a person to judge.

A new decree is a new file (``wilayah-<year>.csv``), a new ``models.regions.WILAYAH``
and a new line in ``models/data/README.md``: codes are part of events already on the
topics, so a change of table is a reviewed change, never a silent download.

The package's CSVs are ``code,name`` (provinces) and ``code,<parent>_code,name``
(regencies, districts); the output is one ``code,name`` table of all three levels,
sorted by code, the level told by the code's length (2, 5 or 8 characters).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["PACKAGE", "VERSION", "build", "compare", "main"]

PACKAGE = "idn-area-data"
VERSION = "4.0.1"
TARGET = Path(__file__).parents[1] / "models" / "data" / "wilayah-2025.csv"
_LEVELS = (
    ("provinces.csv", 2, None),
    ("regencies.csv", 5, "province_code"),
    ("districts.csv", 8, "regency_code"),
)
_CODE = {2: r"[0-9]{2}", 5: r"[0-9]{2}\.[0-9]{2}", 8: r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}"}


def build(package_dir: Path) -> str:
    """The table as CSV text, checked: well-formed codes, each under an existing parent, no repeats."""
    names: dict[str, str] = {}
    for file_name, width, parent_field in _LEVELS:
        with (package_dir / "data" / file_name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code, name = row["code"], row["name"].strip()
                if not re.fullmatch(_CODE[width], code) or not name:
                    raise ValueError(f"{file_name}: malformed row {row}")
                if code in names:
                    raise ValueError(f"{file_name}: {code} appears twice")
                parent = row[parent_field] if parent_field is not None else None
                if parent is not None and (parent != code[: width - 3] or parent not in names):
                    raise ValueError(f"{file_name}: {code} is not under an existing {parent}")
                names[code] = name
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name"])
    writer.writerows(sorted(names.items()))
    return out.getvalue()


def compare(text: str, sql: str) -> tuple[list[str], list[str]]:
    """Codes in one table and not the other; names spelled differently (both as printable lines)."""
    ours = dict(row for row in csv.reader(io.StringIO(text)) if row[0] != "code")
    theirs = {
        code: name.replace("''", "'").replace("\\'", "'").strip()
        for code, name in re.findall(r"\('([0-9.]+)',\s*'((?:[^'\\]|\\.|'')*)'\)", sql)
        if len(code) in (2, 5, 8)
    }
    codes = [f"only in the package: {c}" for c in sorted(set(ours) - set(theirs))]
    codes += [f"only in the dump: {c}" for c in sorted(set(theirs) - set(ours))]
    both = sorted(set(ours) & set(theirs))
    names = [f"{c}: {ours[c]!r} / {theirs[c]!r}" for c in both if ours[c] != theirs[c]]
    return codes, names


def _unpack(version: str, into: Path) -> Path:
    """``npm pack`` the package (the registry's tarball, no install scripts run) and unpack it."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent"], cwd=into, check=True, stdout=subprocess.DEVNULL
    )
    tarball = next(into.glob(f"{PACKAGE}-*.tgz"))
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="data")
    return into / "package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.wilayah", description="Regenerate Kemendagri's area table from idn-area-data."
    )
    parser.add_argument("--from", dest="source", type=Path, help="an unpacked idn-area-data package")
    parser.add_argument("--version", default=VERSION, help=f"the package version to pack (default {VERSION})")
    parser.add_argument("--out", type=Path, default=TARGET, help="where to write the table")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    parser.add_argument("--compare", type=Path, help="a Kepmendagri SQL dump to cross-check codes against")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wilayah-") as tmp:
        text = build(args.source or _unpack(args.version, Path(tmp)))
    rows = text.count("\n") - 1
    if args.compare is not None:
        codes, names = compare(text, args.compare.read_text(encoding="utf-8"))
        print(f"{args.compare}: {len(codes)} codes differ, {len(names)} names are spelled differently")
        for line in codes + names:
            print("  " + line)
        if codes:
            return 1
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'matches' if same else 'DIFFERS FROM'} the package ({rows} codes)")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {rows} codes written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
