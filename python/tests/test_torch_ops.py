"""relaxcat.torch beyond torch's own tests: the custom operators (opcheck,
gradcheck with batched gradients), torch.compile without graph breaks,
gradients against torch autograd at the same noise, the closed-form density
in float64, per-row temperatures, masking, fallbacks, gumbel_softmax."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

import relaxcat
from relaxcat.torch import RelaxedOneHotCategorical, gumbel_softmax

D = torch.float64


def op_samples():
    """Arguments for every operator: logits and probs, one or B temperatures,
    contiguous and strided rows."""
    torch.manual_seed(0)
    wide = torch.randn(3, 9, dtype=D)
    cases = []
    for weights, is_probs in ((torch.randn(3, 5, dtype=D), False), (torch.rand(3, 5, dtype=D) + 0.1, True), (wide[:, 2:7], False)):
        for temperature in (torch.tensor([0.7], dtype=D), torch.tensor([0.5, 1.0, 2.0], dtype=D)):
            cases.append((weights.requires_grad_(False).clone().requires_grad_() if weights.is_contiguous() else weights, is_probs, temperature.requires_grad_()))
    return cases


def test_opcheck_every_operator():
    ops = torch.ops.relaxcat
    n = 0
    for w, is_probs, t in op_samples():
        seed = torch.tensor(123, dtype=torch.int64)
        # rsample is the no-gradient sampler (sample()): no autograd formula.
        torch.library.opcheck(ops.rsample, (w.detach(), is_probs, t.detach(), seed, 6, True))
        for op in (ops.rsample_with_log, ops.rsample_hard):
            torch.library.opcheck(op, (w, is_probs, t, seed, 6, True))
        n += 3
        soft, log = ops.rsample_with_log(w.detach(), is_probs, t.detach(), seed, 6, True)
        value = soft.detach().requires_grad_()
        torch.library.opcheck(ops.log_prob, (w, is_probs, t, value, True))
        grad = torch.randn(6, 5, dtype=D)
        torch.library.opcheck(ops.rsample_backward, (w.detach(), is_probs, t.detach(), soft, log, grad))
        torch.library.opcheck(ops.rsample_backward, (w.detach(), is_probs, t.detach(), soft, None, grad))
        torch.library.opcheck(ops.log_prob_backward, (w.detach(), is_probs, t.detach(), soft, torch.randn(6, dtype=D)))
        n += 4
    assert n == 6 * 7


@pytest.mark.parametrize("param", ["logits", "probs"])
@pytest.mark.parametrize("per_row", [False, True])
def test_gradcheck_log_prob_batched(param, per_row):
    torch.manual_seed(1)
    w = (torch.randn(3, 4, dtype=D) if param == "logits" else torch.rand(3, 4, dtype=D) + 0.2).requires_grad_()
    t = (torch.tensor([0.6, 1.1, 1.7], dtype=D) if per_row else torch.tensor(0.8, dtype=D)).requires_grad_()
    value = RelaxedOneHotCategorical(t.detach(), **{param: w.detach()}).sample((2,)).requires_grad_()

    def f(w, t, v):
        return RelaxedOneHotCategorical(t, **{param: w}, validate_args=False).log_prob(v)

    assert gradcheck(f, (w, t, value), check_batched_grad=True)


@pytest.mark.parametrize("param", ["logits", "probs"])
def test_gradcheck_rsample_batched(param):
    """The sampler's gradient at fixed noise (the generator is reset before
    each evaluation, so every call draws the same seed)."""
    torch.manual_seed(2)
    w = (torch.randn(2, 5, dtype=D) if param == "logits" else torch.rand(2, 5, dtype=D) + 0.2).requires_grad_()
    t = torch.tensor([0.9, 1.4], dtype=D).requires_grad_()
    g = torch.Generator().manual_seed(7)

    def f(w, t):
        g.manual_seed(7)
        return RelaxedOneHotCategorical(t, **{param: w}, validate_args=False).rsample((3,), generator=g)

    assert gradcheck(f, (w, t), check_batched_grad=True)


@pytest.mark.parametrize("param", ["logits", "probs"])
def test_straight_through_gradient_is_the_soft_samples(param):
    """rsample_hard: one-hot values at the argmax of the soft sample drawn
    from the same seed, and the soft sample's gradient."""
    torch.manual_seed(8)
    w = (torch.randn(3, 6, dtype=D) if param == "logits" else torch.rand(3, 6, dtype=D) + 0.2).requires_grad_()
    t = torch.tensor(0.6, dtype=D, requires_grad=True)
    d = RelaxedOneHotCategorical(t, **{param: w})
    up = torch.randn(4, 3, 6, dtype=D)
    g = torch.Generator().manual_seed(5)
    hard = d.rsample_hard((4,), generator=g)
    gh = torch.autograd.grad((hard * up).sum(), (w, t))
    g.manual_seed(5)
    soft = d.rsample((4,), generator=g)
    gs = torch.autograd.grad((soft * up).sum(), (w, t))
    assert torch.equal(hard, torch.nn.functional.one_hot(soft.argmax(-1), 6).to(D))
    for a, b in zip(gh, gs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_rsample_gradient_equals_torch_autograd_at_the_same_noise():
    torch.manual_seed(3)
    logits = torch.randn(4, 7, dtype=D, requires_grad=True)
    t = torch.tensor([[0.3], [0.7], [1.0], [2.5]], dtype=D, requires_grad=True)
    y = RelaxedOneHotCategorical(t, logits=logits).rsample((2,))
    w = torch.randn_like(y)
    (y * w).sum().backward()
    # The same sample from torch ops: the noise recovered from y up to a row
    # constant, g = t ln y - l, which softmax ignores.
    g = (t.detach() * y.detach().log() - logits.detach()).detach()
    l2 = logits.detach().clone().requires_grad_()
    t2 = t.detach().clone().requires_grad_()
    y2 = torch.softmax((l2 + g) / t2, -1)
    torch.testing.assert_close(y2, y.detach(), rtol=1e-12, atol=1e-14)
    (y2 * w).sum().backward()
    torch.testing.assert_close(logits.grad, l2.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(t.grad, t2.grad, rtol=1e-10, atol=1e-12)


def test_log_prob_and_gradients_equal_torchs_class_float64():
    torch.manual_seed(4)
    for param in ("logits", "probs"):
        w = torch.randn(5, 6, dtype=D) if param == "logits" else torch.rand(5, 6, dtype=D) + 0.05
        w.requires_grad_()
        t = torch.tensor(0.45, dtype=D, requires_grad=True)
        ours = RelaxedOneHotCategorical(t, **{param: w})
        theirs = torch.distributions.RelaxedOneHotCategorical(t, **{param: w})
        v = theirs.sample((3,)).requires_grad_()
        a, b = ours.log_prob(v), theirs.log_prob(v)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        ga = torch.autograd.grad(a.sum(), (w, t, v))
        gb = torch.autograd.grad(b.sum(), (w, t, v))
        for x, y in zip(ga, gb):
            torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(ours.probs, theirs.probs)
        torch.testing.assert_close(ours.logits, theirs.logits)


def test_closed_form_density_float64():
    torch.manual_seed(5)
    logits = torch.randn(3, 8, dtype=D)
    t = 0.6
    y = RelaxedOneHotCategorical(torch.tensor(t, dtype=D), logits=logits).sample((4,))
    k = 8
    want = (
        math.lgamma(k)
        + (k - 1) * math.log(t)
        + (logits - (t + 1) * y.log()).sum(-1)
        - k * torch.logsumexp(logits - t * y.log(), -1)
    )
    got = RelaxedOneHotCategorical(torch.tensor(t, dtype=D), logits=logits).log_prob(y)
    torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-13)


def test_temperature_per_row_gives_per_row_log_densities():
    """pytorch#37162: an (n, 1) temperature scores as one per row: (n,)."""
    n = 4
    logits = torch.randn(n, 3, dtype=D)
    t = torch.tensor([[0.5], [1.0], [2.0], [4.0]], dtype=D)
    d = RelaxedOneHotCategorical(t, logits=logits)
    y = d.sample()
    lp = d.log_prob(y)
    assert lp.shape == (n,)
    for i in range(n):
        one = RelaxedOneHotCategorical(t[i, 0], logits=logits[i]).log_prob(y[i])
        torch.testing.assert_close(lp[i], one, rtol=1e-13, atol=1e-13)
    # torch's class broadcasts this into (n, n).
    assert torch.distributions.RelaxedOneHotCategorical(t, logits=logits).log_prob(y).shape == (n, n)


def test_masked_categories_never_drawn_and_scored_over_the_rest():
    logits = torch.tensor([[0.0, -math.inf, 1.0], [2.0, 0.5, -math.inf]], dtype=D)
    d = RelaxedOneHotCategorical(torch.tensor(0.5, dtype=D), logits=logits, validate_args=False)
    y = d.sample((500,))
    assert (y[:, 0, 1] == 0).all() and (y[:, 1, 2] == 0).all()
    lp = d.log_prob(y)
    assert torch.isfinite(lp).all()
    # Row 0 scored as the 2-category distribution over its unmasked entries.
    two = RelaxedOneHotCategorical(torch.tensor(0.5, dtype=D), logits=logits[0, [0, 2]])
    torch.testing.assert_close(lp[:, 0], two.log_prob(y[:, 0][:, [0, 2]]), rtol=1e-12, atol=1e-12)


def test_noise_follows_torch_manual_seed():
    logits = torch.randn(3, 6)
    d = RelaxedOneHotCategorical(torch.tensor(0.5), logits=logits)
    torch.manual_seed(11)
    a = d.rsample((2,))
    torch.manual_seed(11)
    b = d.rsample((2,))
    assert torch.equal(a, b)
    assert not torch.equal(a, d.rsample((2,)))
    g = torch.Generator().manual_seed(3)
    c = d.rsample(generator=g)
    g.manual_seed(3)
    assert torch.equal(c, d.rsample(generator=g))


def test_compiled_step_has_no_graph_break():
    torch._dynamo.reset()

    def step(logits, t, value):
        d = RelaxedOneHotCategorical(t, logits=logits, validate_args=False)
        y = d.rsample((2,))
        return (y * y).sum() + d.log_prob(value).sum()

    logits = torch.randn(4, 6, requires_grad=True)
    t = torch.tensor(0.5)
    value = torch.softmax(torch.randn(2, 4, 6), -1)
    explanation = torch._dynamo.explain(step)(logits, t, value)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    compiled = torch.compile(step, fullgraph=True)
    loss = compiled(logits, t, value)
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    # Compiled and eager give the same log-densities (no noise involved).
    d = RelaxedOneHotCategorical(t, logits=logits.detach(), validate_args=False)
    f = torch.compile(lambda l, v: RelaxedOneHotCategorical(t, logits=l, validate_args=False).log_prob(v), fullgraph=True)
    torch.testing.assert_close(f(logits.detach(), value), d.log_prob(value))


def test_other_dtypes_and_shapes_fall_back_to_torch():
    logits = torch.randn(3, 4, dtype=torch.bfloat16)
    d = RelaxedOneHotCategorical(torch.tensor(0.5), logits=logits)
    assert d._fallback is not None
    y = d.rsample((2,))
    assert y.dtype == torch.bfloat16 and y.shape == (2, 3, 4)
    assert d.log_prob(y).shape == (2, 3)
    # A per-category temperature is torch's elementwise broadcast.
    e = RelaxedOneHotCategorical(torch.full((3, 4), 0.5), logits=torch.randn(3, 4))
    assert e._fallback is not None and e.rsample().shape == (3, 4)


def test_not_implemented_like_torch():
    d = RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.zeros(2, 3))
    for f in (lambda: d.mean, lambda: d.mode, lambda: d.entropy(), lambda: d.cdf(None), lambda: d.icdf(None), lambda: d.enumerate_support()):
        with pytest.raises(NotImplementedError):
            f()
    assert d.has_rsample and d.batch_shape == (2,) and d.event_shape == (3,)


def test_library_errors_are_relaxcat_errors():
    d = RelaxedOneHotCategorical(torch.tensor(-1.0), logits=torch.zeros(2, 3), validate_args=False)
    with pytest.raises(ValueError):
        RelaxedOneHotCategorical(torch.tensor(-1.0), logits=torch.zeros(2, 3), validate_args=True)
    # Without validation nothing checks the temperature, as in torch; the
    # operators' own shape checks still run.
    assert d.rsample().shape == (2, 3)
    with pytest.raises(relaxcat.InvalidTemperatureError):
        gumbel_softmax(torch.zeros(2, 3), tau=0.0)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax(hard):
    torch.manual_seed(6)
    logits = torch.randn(5, 3, 7, requires_grad=True)
    y = gumbel_softmax(logits, tau=0.7, hard=hard, dim=1)
    assert y.shape == logits.shape
    if hard:
        assert ((y == 0) | (y == 1)).all() and (y.sum(1) == 1).all()
    else:
        torch.testing.assert_close(y.sum(1), torch.ones(5, 7))
    w = torch.randn_like(y)
    (y * w).sum().backward()
    assert torch.isfinite(logits.grad).all()
    # The straight-through gradient equals torch's formula at the same soft
    # sample (recomputed from the same seed without hard).
    if hard:
        torch.manual_seed(6)
        _ = torch.randn(5, 3, 7)
        l2 = logits.detach().clone().requires_grad_()
        soft = gumbel_softmax(l2, tau=0.7, hard=False, dim=1)
        (soft * w).sum().backward()
        torch.testing.assert_close(logits.grad, l2.grad)
    # Frequencies of the argmax follow softmax(logits).
    big = torch.tensor([[0.0, 1.0, 2.0]]).expand(40000, 3)
    counts = torch.bincount(gumbel_softmax(big, tau=1.0, hard=True).argmax(-1), minlength=3).double()
    p = torch.softmax(torch.tensor([0.0, 1.0, 2.0], dtype=D), -1)
    chi2 = (((counts - 40000 * p) ** 2) / (40000 * p)).sum().item()
    assert chi2 < 20.0  # chi-square, 2 degrees of freedom: p ~ 5e-5


def test_gumbel_softmax_falls_back_for_half():
    y = gumbel_softmax(torch.randn(4, 5, dtype=torch.float16), tau=1.0)
    assert y.dtype == torch.float16


def test_eager_path_equals_the_operators():
    """The eager path (autograd.Function over the same implementations)
    gives the operators' bits, values and gradients."""
    from relaxcat.torch import _ops

    torch.manual_seed(9)
    w = torch.randn(3, 6, dtype=D, requires_grad=True)
    t = torch.tensor([0.5, 0.9, 1.3], dtype=D, requires_grad=True)
    seed = torch.tensor(-12345, dtype=torch.int64)
    up = torch.randn(6, 6, dtype=D)
    a = _ops._RsampleFn.apply(w, False, t, int(seed), 6, True)
    b, _ = torch.ops.relaxcat.rsample_with_log(w, False, t, seed, 6, True)
    assert torch.equal(a, b)
    ga = torch.autograd.grad((a * up).sum(), (w, t))
    gb = torch.autograd.grad((b * up).sum(), (w, t))
    assert all(torch.equal(x, y) for x, y in zip(ga, gb))
    h = _ops._RsampleHardFn.apply(w, False, t, int(seed), 6, True)
    h2, _ = torch.ops.relaxcat.rsample_hard(w, False, t, seed, 6, True)
    assert torch.equal(h, h2)
    v = b.detach().requires_grad_()
    la = _ops._LogProbFn.apply(w, False, t, v, True)
    lb = torch.ops.relaxcat.log_prob(w, False, t, v, True)
    assert torch.equal(la, lb)
    ga = torch.autograd.grad(la.sum(), (w, t, v))
    gb = torch.autograd.grad(lb.sum(), (w, t, v))
    assert all(torch.equal(x, y) for x, y in zip(ga, gb))
