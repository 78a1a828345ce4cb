import pytest

from backprop_viz.session.layout_geometry import (BUILD, PANELS, TRAIN, WALK, WORKSPACES, first_window_size,
                                                  fits_screen, side_width, workspace_plan)

SIZES = [(1280, 800), (1366, 768), (1920, 1080), (2560, 1440)]


@pytest.mark.parametrize("size", SIZES)
def test_each_workspace_gives_its_activity_the_room(size):
    w, h = size
    walk = workspace_plan(WALK, w, h)
    assert walk.visible == {"stepper"} and walk.bottom_spans_width and walk.bottom_height >= 0.7 * h
    train = workspace_plan(TRAIN, w, h)
    assert "plots" in train.visible and "stepper" not in train.visible and train.bottom_height > h / 2
    build = workspace_plan(BUILD, w, h)
    assert not build.visible & {"plots", "stepper"}
    # The canvas keeps at least half the width between the side panels.
    assert build.left_width + build.right_width <= w / 2
    for name in WORKSPACES:
        assert workspace_plan(name, w, h).visible <= set(PANELS)


def test_side_panels_are_readable_but_not_greedy():
    assert side_width(800, 0.25) == 300
    assert side_width(1600, 0.25) == 400
    assert side_width(5000, 0.25) == 460


def test_an_unknown_workspace_is_named():
    with pytest.raises(ValueError, match="cinema"):
        workspace_plan("cinema", 1280, 800)


@pytest.mark.parametrize("window, ok", [
    ((0, 0, 1280, 800), True),
    ((100, 50, 1000, 700), True),
    ((0, 0, 1281, 800), False),            # wider than the screen
    ((0, 0, 1000, 801), False),
    ((3000, 0, 800, 600), False),          # on a screen that is no longer there
    ((0, 790, 800, 600), False),           # title bar below the screen
    ((-500, 0, 800, 600), False),
    ((0, 0, 0, 600), False),
])
def test_a_saved_window_must_fit_the_screen(window, ok):
    assert fits_screen(window, (0, 0, 1280, 800)) is ok


def test_first_window_fills_a_small_screen_and_most_of_a_large_one():
    assert first_window_size(1280, 800) == (1280, 800)
    assert first_window_size(1366, 768) == (1366, 768)
    w, h = first_window_size(2560, 1440)
    assert (w, h) == (1600, 1000)


def test_labels_take_the_first_free_place_or_none():
    from backprop_viz.session.layout_geometry import place_labels
    a = [(0, 0, 10, 10), (20, 0, 10, 10)]
    b = [(5, 5, 10, 10), (40, 0, 10, 10)]      # first place overlaps a's
    c = [(0, 0, 10, 10)]                        # its only place is taken
    assert place_labels([a, b, c]) == [0, 1, None]
    assert place_labels([a], obstacles=[(0, 0, 10, 10)]) == [1]


def test_neuron_positions_centre_each_column_and_collapse_wide_layers():
    from backprop_viz.session.layout_geometry import ROW_GAP, column_gap, neuron_positions
    pos = neuron_positions([2, 3, 100])
    assert pos[(0, 0, 0)] == (0, -ROW_GAP / 2) and pos[(0, 1, 1)] == (0, ROW_GAP / 2)
    assert pos[(1, 1, 1)] == (column_gap(3), 0)
    wide = [k for k in pos if k[0] == 2]
    assert len(wide) == 21 and (2, None, 10) in pos        # first and last ten, an ellipsis between
    assert pos[(2, 99, 20)][1] == -pos[(2, 0, 0)][1]
    assert column_gap(20) < column_gap(3)


def test_graph_layering_puts_each_node_right_of_its_inputs_and_leaves_next_to_their_consumer():
    from backprop_viz.session.layout_geometry import layered_depths
    # x, w (leaves) -> s -> a -> E ; t (leaf) -> E
    nodes = [(0, []), (1, []), (2, [0, 1]), (3, [2]), (4, []), (5, [3, 4])]
    d = layered_depths(nodes)
    assert d[2] < d[3] < d[5]
    assert d[0] == d[1] == d[2] - 1
    assert d[4] == d[5] - 1          # the target sits just left of the loss, not in column 0
    assert min(d.values()) == 0
