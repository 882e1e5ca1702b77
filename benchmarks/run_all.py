"""Run every benchmarks/bench_*.py script in turn (``make bench``) and summarize their exit codes.

Each script prints its own tables and records the machine it ran on; a script whose inputs are
absent skips itself and still exits 0. Run: python benchmarks/run_all.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if any(name in p.stem for name in only)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py script.")
    parser.add_argument("--only", nargs="*", help="run only scripts whose name contains one of these")
    args = parser.parse_args(argv)
    results = []
    for script in scripts(args.only):
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        results.append((script.name, code, time.perf_counter() - start))
    if not results:
        print("no benchmark scripts matched")
        return 1
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"{'ok  ' if code == 0 else 'FAIL'} {name} ({seconds:.0f} s)")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
