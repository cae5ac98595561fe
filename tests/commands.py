"""Run ``manage.py`` in a subprocess, for tests whose database the test process cannot share."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def manage(*arguments, env, timeout=300):
    """Run ``manage.py arguments`` with the environment ``env``; return its stdout.

    Fails the test, showing the command's stderr, if it does not exit with 0.
    """
    completed = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout
