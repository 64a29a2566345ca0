"""One version source: validate.__version__, read by the package metadata and by `vcc --version`."""

import re

import pytest

from validate import __version__
from validate.cli import main, toolkit_version


def test_version_is_pep440_and_reported(capsys):
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", __version__)
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == f"vcc {toolkit_version()}"
    assert out.startswith(f"vcc {__version__}")
