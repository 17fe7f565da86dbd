"""How ``inquirer-c19bc45.sqlite`` was made: with the code of commit c19bc45 checked out, two cron
runs of the mirror (12 articles exported, then one corrected article exported again).

    git worktree add /tmp/old c19bc45 && cd /tmp/old && python tests/state_files/make_first_format.py OUT
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import FAST, run_crawl
from tests.mirror_server import MirrorServer
from tests.site_edits import HOST, copy_mirror, correct_article

CORRECTED = "la-grece-autorise-lentree-avec-un-test-dantigene-rapide-valable-24-heures"


def main(state: Path) -> None:
    work = Path(tempfile.mkdtemp())
    root = copy_mirror(work)
    for run in range(2):
        if run == 1:
            correct_article(root, CORRECTED)
        with MirrorServer(root, HOST) as server:
            output = f"INQUIRER_OUTPUT={work}/out/%(name)s/%(time)s.jsonl"
            result = run_crawl("inquirer", "-a", f"start={server.url}", *FAST, "-s", output, state=state)
            assert result.returncode == 0, result.stderr[-2000:]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
