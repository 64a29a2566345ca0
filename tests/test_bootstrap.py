"""The bootstrap engine: reproducible draws whatever the workers, and failures counted."""

import numpy as np

from validate.structural.bootstrap import jackknife, resample_indices, run_bootstrap


class MeanStat:
    """Column means; fails (on purpose) when the first resampled row is row 0."""

    def __init__(self, fail_on_row0=False):
        self.fail_on_row0 = fail_on_row0

    def __call__(self, rows):
        if self.fail_on_row0 and rows[0, 0] == 0.0:
            return None, "no convergence"
        return rows.mean(axis=0), None


DATA = np.column_stack([np.arange(40, dtype=float), np.arange(40, dtype=float) ** 2])


def test_same_seed_same_draws_for_any_worker_count_and_chunking():
    a = run_bootstrap(MeanStat(), DATA, 120, 2, seed=7, workers=1, progress=False, chunk=7)
    b = run_bootstrap(MeanStat(), DATA, 120, 2, seed=7, workers=2, progress=False, chunk=50)
    np.testing.assert_array_equal(a.draws, b.draws)
    c = run_bootstrap(MeanStat(), DATA, 120, 2, seed=8, workers=1, progress=False)
    assert not np.array_equal(a.draws, c.draws)


class PidStat:
    """Column means and the id of the process that computed them."""

    def __call__(self, rows):
        import os

        return np.append(rows.mean(axis=0), os.getpid()), None


def test_short_bootstrap_stays_in_process_long_one_goes_to_workers_same_draws(monkeypatch):
    """A bootstrap whose first chunk says the rest takes under LOCAL_SECONDS of CPU runs in this
    process (worker start-up would cost more); a longer one uses the workers. Same draws."""
    import os

    import validate.structural.bootstrap as bs

    a = run_bootstrap(PidStat(), DATA, 120, 3, seed=7, workers=1, progress=False, chunk=7)
    b = run_bootstrap(PidStat(), DATA, 120, 3, seed=7, workers=2, progress=False, chunk=7)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert set(b.draws[:, 2]) == {os.getpid()}  # the means of 40 rows take microseconds: all here
    monkeypatch.setattr(bs, "LOCAL_SECONDS", -1.0)  # any work left after the first chunk goes to workers
    c = run_bootstrap(PidStat(), DATA, 120, 3, seed=7, workers=2, progress=False, chunk=7)
    np.testing.assert_array_equal(a.draws[:, :2], c.draws[:, :2])
    assert set(c.draws[:7, 2]) == {os.getpid()} and os.getpid() not in set(c.draws[7:, 2])


def test_resample_b_depends_only_on_seed_and_b():
    np.testing.assert_array_equal(resample_indices(3, 17, 40), resample_indices(3, 17, 40))
    assert not np.array_equal(resample_indices(3, 17, 40), resample_indices(3, 18, 40))


def test_failed_resamples_are_counted_with_their_reason():
    res = run_bootstrap(MeanStat(fail_on_row0=True), DATA, 400, 2, seed=1, workers=1, progress=False)
    expected_fail = sum(resample_indices(1, b, 40)[0] == 0 for b in range(400))
    assert expected_fail > 0
    assert res.failed == expected_fail
    assert res.failures == {"no convergence": expected_fail}
    assert np.isnan(res.draws[~res.ok]).all() and np.isfinite(res.good()).all()
    assert res.summary()["completed"] == 400 - expected_fail


def test_bootstrap_mean_is_close_to_the_sample_mean():
    res = run_bootstrap(MeanStat(), DATA, 2000, 2, seed=2, workers=1, progress=False)
    # Monte Carlo bound: 4 standard errors of the mean of 2000 draws.
    se = DATA[:, 0].std() / np.sqrt(40)
    assert abs(res.good()[:, 0].mean() - DATA[:, 0].mean()) < 4 * se / np.sqrt(2000)


def test_jackknife_leaves_each_row_out():
    jk = jackknife(MeanStat(), DATA, 2)
    assert jk[0, 0] == np.delete(DATA[:, 0], 0).mean()
    assert jk.shape == (40, 2)
