"""README's two set-up commands are the ones CI and the newcomer test run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> tuple[str, str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Set-up: two commands.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    return commands[0], commands[1]


def test_ci_runs_readme_test_command():
    _, test_command = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci
