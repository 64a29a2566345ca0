"""--missing auto: which method each mechanism's models use, and why."""

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from validate import missing
from validate.missing import choose_missing


def _data(holes: int) -> pd.DataFrame:
    df = pd.DataFrame(np.arange(40.0).reshape(10, 4), columns=["a", "b", "c", "other"])
    for i in range(holes):
        df.iloc[i, i % 3] = np.nan
    df.loc[9, "other"] = np.nan  # not an analysed item: never a reason for FIML
    return df


def test_auto_uses_fiml_only_when_an_item_cell_is_empty():
    got = choose_missing(_data(0), ["a", "b", "c"], "ML")
    assert got["method"] == "listwise" and got["n_incomplete"] == 0
    assert "no analysed item cell is empty" in got["reason"]
    got = choose_missing(_data(3), ["a", "b", "c"], "MLR")
    assert (got["method"], got["n_incomplete"], got["n_empty_cells"]) == ("fiml", 3, 3)
    assert got["reason"].startswith("--missing auto: 3 respondent(s) have 3 empty item cell(s), so full-information")


def test_explicit_choices_are_kept_and_said():
    got = choose_missing(_data(3), ["a", "b", "c"], "ML", "listwise")
    assert got["method"] == "listwise" and got["requested"] == "listwise"
    assert "listwise deletion was requested" in got["reason"]


def test_wlsmv_auto_is_pairwise_or_a_clear_stop(monkeypatch):
    monkeypatch.setattr(missing, "wlsmv_supports", lambda feature: False)
    with pytest.raises(InputError, match="use --missing listwise to leave these respondents out"):
        choose_missing(_data(2), ["a", "b", "c"], "WLSMV")
    assert choose_missing(_data(0), ["a", "b", "c"], "WLSMV")["method"] == "listwise"
    monkeypatch.setattr(missing, "wlsmv_supports", lambda feature: True)
    assert choose_missing(_data(2), ["a", "b", "c"], "WLSMV")["method"] == "pairwise"
