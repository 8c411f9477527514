"""`akar nlu export-annotations`: staff's NLU corrections into nlu/dari_tinjauan.yml.

Output is for support staff and trainers, so it is Indonesian; --help is for whoever runs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from bot.db.session import make_engine, make_session_factory
from bot.support.export import HELD_OUT, NLU_DIR, export_pending, summary_lines


def _export(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        result = export_pending(
            make_session_factory(engine), nlu_dir=args.nlu_dir, held_out=args.held_out
        )
    finally:
        engine.dispose()
    for line in summary_lines(result):
        stream = sys.stderr if line.startswith("Peringatan") else sys.stdout
        print(line, file=stream)
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("nlu", help="NLU training data from support review")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export-annotations",
        help="write staff's annotations as Rasa NLU examples (nlu/dari_tinjauan.yml)",
        description=(
            "Writes annotations not exported yet to nlu/dari_tinjauan.yml (merged with what it "
            "holds), skipping examples already in nlu/*.yml and held-out test messages, and "
            "marks them exported. Run `make train` afterwards."
        ),
    )
    export.add_argument("--nlu-dir", type=Path, default=NLU_DIR, help="NLU data folder")
    export.add_argument(
        "--held-out", type=Path, default=HELD_OUT, help="held-out test set never trained on"
    )
    export.set_defaults(func=_export)
