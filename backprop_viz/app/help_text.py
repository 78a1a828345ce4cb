"""The words of the Help panel: getting started, what each panel shows, About. Shortcuts are
generated from the window's real actions, so the list cannot drift from the keys that work."""

from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtGui import QKeySequence

import backprop_viz

GETTING_STARTED = """
<h3>Getting started</h3>
<ol>
<li><b>Build</b> (Ctrl+1): the network is drawn in the middle, inputs on the left. The <b>+</b> and
<b>−</b> under a layer add or remove a neuron, <b>+ layer</b> inserts a hidden layer; click a neuron,
weight or layer title to edit it in the <b>Inspector</b>. Every edit can be undone (Ctrl+Z).</li>
<li><b>Walk</b> (Ctrl+2): the computational graph and the chain rule get most of the window. Press
<b>Step</b> (Alt+→) to compute the next node; its formula appears with the numbers. After the loss,
the backward pass shows upstream gradient × local derivative; then each weight's update.</li>
<li><b>Train</b> (Ctrl+3): choose an optimizer and press <b>Train</b> (F5). The live plots show the loss,
accuracy and each layer's gradient; the band above them says whether the gradients are healthy,
vanishing or exploding, with the evidence and what to try.</li>
</ol>
<p>View › Reset layout (Ctrl+Shift+0) puts the panels of the current workspace back where they start.</p>
"""

LEGEND = """
<h3>What each panel shows</h3>
<p>View › Show legends on panels puts a short key over the network and the computational graph.</p>
<p><b>Network canvas.</b> A weight is a line: <span style="color:#1f77b4"><b>blue</b></span> when
positive, <span style="color:#e8710a"><b>orange</b></span> when negative, as wide as its size
(relative to the largest weight). Each layer's biases are the weights from the dashed
“+1” node. A purple outline marks the selection.</p>
<p><b>Computational graph.</b> One box per operation. Grey dashed: not computed yet. Filled:
the node's colour is |∂E/∂node| on a log scale, from faint (≈1e-8, vanishing) to deep purple (≥1);
red means not finite. A box reads <code>= value</code> after the forward pass and
<code>∂E: g</code> after the backward pass, where <code>∂E: g</code> is the gradient
∂E/∂(this node) of the loss E.</p>
<p><b>Chain rule.</b> For a selected node or weight: every path from the loss to it, each as a
product of local derivatives, their sum, and a numerical check by central differences.</p>
<p><b>Live plots.</b> Training loss (blue) and validation loss (orange); accuracy; one curve per
layer for the weight-gradient norm; a layer × time heatmap; histograms of |gradient|.
A marker on the loss plot is the step that went non-finite.</p>
<p><b>Data.</b> Training points (circles) and validation points (triangles), one colour per class;
the background is the network's prediction (the decision boundary) while training.</p>
"""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# Distribution name, what it is used for, its licence (as published by the project).
DEPENDENCIES = [
    ("numpy", "the engine's arithmetic", "BSD-3-Clause"),
    ("PySide6-Essentials", "Qt for Python: the window", "LGPL-3.0 (Qt for Python)"),
    ("pyqtgraph", "live plots and plot export", "MIT"),
    ("superqt", "background work and throttling", "BSD-3-Clause"),
    ("qtawesome", "icons (Font Awesome 6 Free: icons CC BY 4.0, font SIL OFL 1.1)", "MIT"),
    ("platformdirs", "where settings are kept", "MIT"),
]


def about_html() -> str:
    rows = "".join(f"<tr><td>{html.escape(name)} {html.escape(_version(name))}</td><td>{html.escape(use)}</td>"
                   f"<td>{html.escape(lic)}</td></tr>" for name, use, lic in DEPENDENCIES)
    return f"""
<h3>About backprop-viz {html.escape(backprop_viz.__version__)}</h3>
<p>See backpropagation work: draw a network, step the forward and backward pass node by node with
every number shown, train it live.</p>
<h4>Libraries</h4>
<table cellspacing="0" cellpadding="3" border="1"><tr><th>library</th><th>used for</th><th>licence</th></tr>
{rows}</table>
<h4>Shipped data</h4>
<p>All two-input, regression and sequence data sets are generated in code from a seed. The 8×8
handwritten digits are from E. Alpaydin and C. Kaynak, <i>Optical Recognition of Handwritten Digits</i>,
UCI Machine Learning Repository (1998), doi:10.24432/C50P49 (the test set as redistributed by
scikit-learn), licence CC BY 4.0. The worked examples follow the textbook derivation shipped in
assets/examples.</p>
"""


def shortcuts_html(groups) -> str:
    """A table of every action that has a shortcut, under its group's title, read from the actions
    themselves. ``groups`` is [(title, [QAction, …]), …]."""
    seen, rows = set(), []
    for title, actions in groups:
        group = []
        for act in actions:
            try:
                shortcuts, text = act.shortcuts(), act.text()
            except RuntimeError:      # an action of a panel being replaced
                continue
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in shortcuts if not k.isEmpty()]
            name = text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()
            if not keys or act in seen:
                continue
            seen.add(act)
            group.append(f"<tr><td><b>{html.escape(' / '.join(keys))}</b></td><td>{html.escape(name)}</td></tr>")
        if group:
            rows.append(f"<tr><td colspan='2'><br><i>{html.escape(title)}</i></td></tr>")
            rows += group
    return ("<h3>Keyboard shortcuts</h3><table cellspacing='0' cellpadding='2'>"
            + "".join(rows) + "</table>")
