#!/usr/bin/python3
"""Regenerates python/ptune/v1/*_pb2*.py from proto/ptune/v1/*.proto, or checks them.

    python/tools/generate_protos.py           rewrite the committed generated files
    python/tools/generate_protos.py --check   exit 1 when they differ from the protos

Uses Debian's /usr/bin/protoc (3.21, which knows proto3 `optional`) with
/usr/bin/grpc_python_plugin (package protobuf-compiler-grpc), not `grpc_tools.protoc`
(protoc 3.5 on Debian 12, which rejects `optional`). protoc is run with `-I proto`, so the
generated modules import each other as `ptune.v1.<name>_pb2`: exactly where they live in
this package, so no import is rewritten.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "proto"
OUT_DIR = REPO / "python" / "ptune" / "v1"
# The public API only: the worker protocol is not for clients.
PROTOS = ["ptune/v1/events.proto", "ptune/v1/spec.proto", "ptune/v1/job_service.proto"]
GENERATED = ["events_pb2.py", "spec_pb2.py", "job_service_pb2.py", "job_service_pb2_grpc.py"]


def generate(dest: Path, protoc: str = "/usr/bin/protoc",
             plugin: str = "/usr/bin/grpc_python_plugin") -> None:
    """Runs protoc on PROTOS and leaves the GENERATED files in `dest`."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [protoc, f"-I{PROTO_DIR}", f"--python_out={tmp}", f"--grpc_out={tmp}",
             f"--plugin=protoc-gen-grpc={plugin}", *PROTOS],
            check=True)
        for name in GENERATED:
            shutil.copyfile(Path(tmp) / "ptune" / "v1" / name, dest / name)


def stale_files() -> list[str]:
    """The committed generated files that differ from what protoc makes now."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        return [name for name in GENERATED
                if not (OUT_DIR / name).exists()
                or not filecmp.cmp(Path(tmp) / name, OUT_DIR / name, shallow=False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare instead of writing; exit 1 when stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"{OUT_DIR / name}: differs from proto/; run {sys.argv[0]}", file=sys.stderr)
        return 1 if stale else 0
    generate(OUT_DIR)
    print(f"wrote {', '.join(GENERATED)} to {os.path.relpath(OUT_DIR, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
