"""The PyTorch module each layer kind is exported as, as the text train.py holds.

Plain strings: the engine never imports torch. The module keeps the app's
layout (``z = x @ W + b``, W of shape (inputs, units)) and the app's parameter
names as its attributes, so a state dict reads ``layers.0.weight`` as the app
does, and its forward pass does the app's arithmetic in the app's order.
"""

# Dense(n_in, units, activation, params, bias, norm, dropout, residual).
DENSE = '''\
class Dense(nn.Module):
    """z = x @ W + b -> optional batch/layer norm -> activation -> optional dropout -> optional + x."""

    def __init__(self, n_in, units, activation, params=None, bias=True, norm=None, dropout=0.0,
                 residual=False):
        super().__init__()
        self.activation, self.params = activation, params or {}
        self.norm, self.dropout, self.residual = norm, dropout, residual
        self.weight = nn.Parameter(torch.zeros(n_in, units))
        self.bias = nn.Parameter(torch.zeros(units)) if bias else None
        if norm:
            self.gamma = nn.Parameter(torch.ones(units))
            self.beta = nn.Parameter(torch.zeros(units))
        if norm == "batch":
            self.register_buffer("running_mean", torch.zeros(units))
            self.register_buffer("running_var", torch.ones(units))

    def forward(self, x, dropout_rng=None):
        """(activation, pre-activation): the losses that include their own softmax/sigmoid
        start from the pre-activation, as the app does."""
        z = x @ self.weight
        if self.bias is not None:
            z = z + self.bias
        if self.norm == "batch":
            # Training: batch statistics (running ones updated with momentum 0.1).
            z = F.batch_norm(z, self.running_mean, self.running_var, self.gamma, self.beta,
                             training=self.training, momentum=0.1, eps=1e-5)
        elif self.norm == "layer":
            z = F.layer_norm(z, z.shape[-1:], self.gamma, self.beta, eps=1e-5)
        a = activate(z, self.activation, self.params)
        if self.dropout and self.training and dropout_rng is not None:
            # Inverted dropout with the app's masks: drawn with NumPy from its seed, in layer order.
            keep = dropout_rng.random(tuple(a.shape)) >= self.dropout
            mask = torch.from_numpy(keep.astype(np.float64) * (1.0 / (1.0 - self.dropout)))
            a = a * mask.to(a)
        if self.residual:
            a = a + x
        return a, z
'''

# Recurrent(n_in, units, activation, params, bias, readout, bptt).
RECURRENT = '''\
class Recurrent(nn.Module):
    """h_t = f(x_t @ W_x + h_(t-1) @ W_h + b), h_0 = 0, over every time step."""

    def __init__(self, n_in, units, activation, params=None, bias=True, readout="sequence", bptt=None):
        super().__init__()
        self.activation, self.params = activation, params or {}
        self.readout, self.bptt = readout, bptt
        self.weight_input = nn.Parameter(torch.zeros(n_in, units))
        self.weight_hidden = nn.Parameter(torch.zeros(units, units))
        self.bias = nn.Parameter(torch.zeros(units)) if bias else None

    def forward(self, x, dropout_rng=None):
        h = x.new_zeros(x.shape[0], self.weight_hidden.shape[0])
        hs, zs = [], []
        for t in range(x.shape[1]):
            if self.bptt and t > 0 and t % self.bptt == 0:
                h = h.detach()      # truncated backpropagation through time
            z = x[:, t] @ self.weight_input + h @ self.weight_hidden
            if self.bias is not None:
                z = z + self.bias
            h = activate(z, self.activation, self.params)
            hs.append(h)
            zs.append(z)
        if self.readout == "last":
            return h, z
        return torch.stack(hs, dim=1), torch.stack(zs, dim=1)
'''
