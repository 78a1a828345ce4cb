import numpy as np
import pytest

from backprop_viz.engine import ops
from backprop_viz.engine.graph import PARAM, backward, leaf, toposort, unbroadcast


def p(value, name=""):
    return leaf(PARAM, np.asarray(value, dtype=float), name)


def test_fan_out_accumulates_a_node_used_twice():
    x = p([3.0], "x")
    y = ops.mul(x, x)            # x used twice by the same node
    z = ops.add(y, x)            # and once more by another
    order = toposort(z)
    backward(order)
    assert x.grad.tolist() == [2 * 3.0 + 1.0]


def test_order_is_deterministic_and_inputs_first():
    a, b = p([1.0], "a"), p([2.0], "b")
    c = ops.add(a, b, name="c")
    d = ops.mul(c, a, name="d")
    e = ops.add(d, c, name="e")
    names = [n.name for n in toposort(e)]
    assert names == ["a", "b", "c", "d", "e"]
    assert names == [n.name for n in toposort(e)]


def test_deep_graph_needs_no_recursion():
    x = p([1.0], "x")
    h = x
    for _ in range(20000):
        h = ops.add(h, x)
    order = toposort(h)
    backward(order)
    assert len(order) == 20001
    assert x.grad.tolist() == [20001.0]


def test_broadcast_gradients_are_summed_back():
    a = p(np.ones((4, 3)))
    b = p(np.ones(3))
    c = p(np.ones((4, 1)))
    out = ops.add(ops.add(a, b), c)
    backward(toposort(out))
    assert b.grad.shape == (3,) and b.grad.tolist() == [4.0, 4.0, 4.0]
    assert c.grad.shape == (4, 1) and c.grad.ravel().tolist() == [3.0] * 4


@pytest.mark.parametrize("shape, target", [((5, 3), (3,)), ((2, 5, 3), (5, 1)), ((4,), (4,)),
                                           ((3, 4), (1, 4)), ((3, 4), ())])
def test_unbroadcast_shapes(shape, target):
    g = np.arange(np.prod(shape), dtype=float).reshape(shape)
    out = unbroadcast(g, target)
    assert out.shape == tuple(target)
    assert out.sum() == pytest.approx(g.sum())


def test_skip_connection_gradient():
    x = p([[0.5, -1.0]])
    w = p([[1.0, 2.0], [3.0, 4.0]])
    h = ops.matmul(x, w)
    out = ops.add(h, x)          # residual: x reaches out by two paths
    backward(toposort(out))
    # d(sum(x@w + x))/dx = row sums of w + 1
    assert x.grad.tolist() == [[1 + 2 + 1, 3 + 4 + 1]]
