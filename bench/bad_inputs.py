"""Run the bad-input catalogue and print its figures: cases tried, handled cleanly, by kind.

    python bench/bad_inputs.py [--list]

The cases are generated from the code (tests/bad_inputs.py): every option of
every command and every config field, crossed with the kinds of bad value
that apply. A case is clean when rpmkit exits 1 or 2 with one line naming
what is wrong, without a traceback, and leaves nothing behind.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import bad_inputs  # noqa: E402


def main() -> int:
    cases = bad_inputs.all_cases()
    started = time.monotonic()
    by_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    unclean = []
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="rpmkit-bad-") as tmp:
            problems = bad_inputs.run_case(case, Path(tmp)).problems(case)
        kind = case.id.rsplit(" ", 1)[-1]
        by_kind[kind][0] += 1
        by_kind[kind][1] += not problems
        if problems:
            unclean.append((case.id, problems[0]))
        if "--list" in sys.argv:
            print(f"{'clean' if not problems else 'UNCLEAN'}  {case.id}")
    seconds = time.monotonic() - started
    options = sum(1 for c in cases if not c.id.startswith("config "))
    refused = sum(1 for c in cases if c.expect == "refuse")
    clean = len(cases) - len(unclean)
    print(
        f"bad-input catalogue: {len(cases)} cases generated ({options} command-line, "
        f"{len(cases) - options} config; {refused} must be refused, "
        f"{len(cases) - refused} odd but valid)"
    )
    print(f"clean: {clean}/{len(cases)} in {seconds:.1f}s")
    for kind, (tried, ok) in sorted(by_kind.items()):
        print(f"  {kind:28} {ok:4}/{tried}")
    for case_id, problem in unclean:
        print(f"UNCLEAN {case_id}: {problem}")
    return 0 if not unclean else 1


if __name__ == "__main__":
    sys.exit(main())
