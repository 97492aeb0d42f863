"""workbench.viz.best_of_n: the figure carries the curve's numbers and the fit's peak."""
import numpy as np
import plotly.graph_objects as go
import pytest

from workbench.analysis.best_of_n import best_of_n, fit_best_of_n
from workbench.viz.best_of_n import best_of_n_rewards


@pytest.fixture
def goodhart():
    rng = np.random.default_rng(0)
    quality, hack = rng.normal(size=(200, 32)), rng.normal(size=(200, 32))
    return best_of_n(quality + 1.5 * hack, quality - 0.5 * hack ** 2)


def test_relative_curves_with_fit_and_peak(goodhart):
    fit = fit_best_of_n(goodhart)
    fig = best_of_n_rewards({"single": goodhart}, fits={"single": fit})
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["single proxy", "single gold", "single gold fit", "single gold peak"]
    proxy, gold, fitted, peak = fig.data
    assert np.allclose(gold.x, goodhart.sqrt_kl) and np.allclose(gold.y, goodhart.gold - goodhart.gold[0])
    assert np.allclose(proxy.y, goodhart.proxy - goodhart.proxy[0]) and proxy.y[0] == 0
    assert np.allclose(fitted.y, fit.predict(fitted.x))
    assert peak.x[0] == pytest.approx(fit.peak_d) and peak.y[0] == pytest.approx(fit.peak_reward)


def test_absolute_against_kl(goodhart):
    fit = fit_best_of_n(goodhart)
    fig = best_of_n_rewards(goodhart, fits={"": fit}, x="kl", relative=False)
    assert [t.name for t in fig.data] == ["proxy", "gold", "gold fit", "gold peak"]
    assert np.allclose(fig.data[1].x, goodhart.kl) and np.allclose(fig.data[1].y, goodhart.gold)
    assert np.allclose(fig.data[2].y, fit.predict(np.sqrt(fig.data[2].x)) + goodhart.gold[0])
    assert fig.data[3].x[0] == pytest.approx(fit.peak_kl)
    with pytest.raises(ValueError, match="x"):
        best_of_n_rewards(goodhart, x="n")
