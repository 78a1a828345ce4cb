"""A training run replayed for its animation: the same seeded run every time, boundaries that change."""

import numpy as np

from backprop_viz.session.run_replay import replay
from backprop_viz.session.templates import open_template


def test_replay_is_the_seeded_run():
    a = replay(open_template("xor"), 60, 4)
    b = replay(open_template("xor"), 60, 4)
    assert [f.step for f in a] == [0, 20, 40, 60]
    assert len(a[0].loss) == 0 and len(a[-1].loss) == 60
    assert np.array_equal(a[-1].loss, b[-1].loss)
    assert a[-1].boundary[2].shape == (60, 60)
    assert not np.array_equal(a[0].boundary[2], a[-1].boundary[2])
