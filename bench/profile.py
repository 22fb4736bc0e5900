"""Profiles the worker applying an N-line re-import with pyinstrument (all threads of the process
are sampled, so the sandbox ERP's and moto's share shows too).

`python -m bench.profile --lines 10000 [--html out.html]` prints the call tree of the worker's run.
"""

from __future__ import annotations

import argparse

from bench.worker import run_once, warm_up
from bench.world import open_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--show-all", action="store_true", help="do not hide library frames")
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="disabled")
    with open_world() as world:
        warm_up(world)
        world.seed_budget(args.lines)
        result = run_once(world, profiler=profiler)
    print(f"{args.lines} lines applied in {result['seconds']:.2f} s; DynamoDB {result['calls']}")
    print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as out:
            out.write(profiler.output_html())


if __name__ == "__main__":
    main()
