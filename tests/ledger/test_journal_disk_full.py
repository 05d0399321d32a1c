"""A journal the disk refuses to grow (F12: a full disk, simulated with RLIMIT_FSIZE in a
real child process, since this runs as root where a read-only file is still writable)
stops with JournalUnusable in words, and the refused row is not there afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestrator.ledger.journal import Journal

CHILD = """
import resource, signal, sys
from orchestrator.errors import JournalUnusable
from orchestrator.ledger.journal import Journal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal, like ENOSPC
journal = Journal(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # the WAL cannot take one page
try:
    journal.record_preview("q1", "buy", "0x" + "a1" * 20, "0x" + "b2" * 20, 1, 2, "{}")
except JournalUnusable as error:
    print("refused:", error)
    sys.exit(0)
print("written")
sys.exit(1)
"""


def test_a_full_disk_is_said_in_words_and_nothing_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()  # the schema, checkpointed: the child only appends to the WAL
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"refused: journal {path}: cannot write (" in done.stdout
    assert "the disk is full, or the file or its folder is read-only" in done.stdout
    assert "Traceback" not in done.stderr
    with Journal(path) as journal:
        assert journal.preview("q1") is None
