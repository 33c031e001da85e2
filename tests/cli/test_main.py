"""Wrong usage prints one clear line and exits 2, never a traceback."""

import os
import subprocess
import sys

import pytest

from keras_mm.cli.main import main


@pytest.mark.parametrize(
    "argv, fragment",
    [
        ([], "a command is required"),
        (["no-such-command"], "invalid choice"),
        (["quickstart", "--size", "huge"], "invalid choice"),
        (["quickstart", "--no-such-flag"], "unrecognized arguments"),
        (["quickstart", "--seed", "abc"], "invalid int value"),
    ],
)
def test_wrong_usage_exits_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert fragment in err
    assert "Traceback" not in err


def test_console_script_reports_usage_error_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "keras_mm.cli.main", "quickstart", "--bad"],
        capture_output=True, text=True, env={**os.environ},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: keras-mm")


def test_version_names_keras_and_the_backends(capsys):
    from keras_mm.backend import installed

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("keras-mm ")
    for name in installed.installed_backends():
        assert name in out


def _options(parser, prefix=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*prefix, name))
        elif not isinstance(action, argparse._HelpAction):
            yield " ".join(prefix), action


def test_every_flag_of_every_command_has_a_description():
    from keras_mm.cli.main import build_parser

    bare = [f"{command} {action.option_strings or action.dest}"
            for command, action in _options(build_parser())
            if not action.help]
    assert not bare
