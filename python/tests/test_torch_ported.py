"""PyTorch's own tests of RelaxedOneHotCategorical
(test/distributions/test_distributions.py), ported to relaxcat's class with
their seeds and tolerances: test_relaxed_one_hot_categorical_1d and _2d,
test_argmax_relaxed_categorical, and the example-driven tests over torch's
examples and bad examples (support, expand, validation, sample detached,
rsample gradients, jit). Written again for pytest, not copied."""

import numpy as np
import pytest
import scipy.stats
import torch
from torch.autograd import gradcheck
from torch.distributions import Distribution, Independent

from relaxcat.torch import RelaxedOneHotCategorical


@pytest.fixture(autouse=True)
def _validate_args():
    """torch's suite runs with argument validation on."""
    old = Distribution._validate_args
    Distribution.set_default_validate_args(True)
    yield
    Distribution.set_default_validate_args(old)


def examples():
    """torch's _get_examples() entries for RelaxedOneHotCategorical."""
    return [
        {
            "temperature": torch.tensor([0.5], requires_grad=True),
            "probs": torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]], requires_grad=True),
        },
        {"temperature": torch.tensor([2.0]), "probs": torch.tensor([[1.0, 0.0], [0.0, 1.0]])},
        {"temperature": torch.tensor([7.2]), "logits": torch.tensor([[-2.0, 2.0], [1.0, 5.0]])},
    ]


def bad_examples():
    """torch's _get_bad_examples() entries for RelaxedOneHotCategorical."""
    return [
        {
            "temperature": torch.tensor([0.5], requires_grad=True),
            "probs": torch.tensor([[-0.1, 0.2, 0.7], [0.5, 0.3, 0.2]], requires_grad=True),
        },
        {"temperature": torch.tensor([2.0]), "probs": torch.tensor([[-1.0, 0.0], [-1.0, 1.1]])},
    ]


def gradcheck_log_prob(ctor, params):
    """torch's _gradcheck_log_prob: gradcheck of log_prob w.r.t. the sample
    and every parameter."""
    d = ctor(*params)
    s = d.sample().detach().requires_grad_()
    assert s.shape == d.batch_shape + d.event_shape

    def apply(s, *params):
        return ctor(*params).log_prob(s)

    assert gradcheck(apply, (s,) + tuple(params), raise_exception=True)


def test_relaxed_one_hot_categorical_1d():
    torch.manual_seed(0)
    with torch.autograd.set_detect_anomaly(False):
        p = torch.tensor([0.1, 0.2, 0.3], dtype=torch.double, requires_grad=True)
        temp = torch.tensor(0.67, dtype=torch.double, requires_grad=True)
        assert RelaxedOneHotCategorical(probs=p, temperature=temp).sample().size() == (3,)
        assert not RelaxedOneHotCategorical(probs=p, temperature=temp).sample().requires_grad
        assert RelaxedOneHotCategorical(probs=p, temperature=temp).sample((2, 2)).size() == (2, 2, 3)
        assert RelaxedOneHotCategorical(probs=p, temperature=temp).sample((1,)).size() == (1, 3)
        gradcheck_log_prob(lambda t, p: RelaxedOneHotCategorical(t, p, validate_args=False), (temp, p))


def test_relaxed_one_hot_categorical_2d():
    torch.manual_seed(0)
    probabilities = [[0.1, 0.2, 0.3], [0.5, 0.3, 0.2]]
    temp = torch.tensor([3.0], dtype=torch.double, requires_grad=True)
    # torch: the lower the temperature, the less stable the gradcheck w.r.t.
    # the sample; below 0.25 it fails the default tolerance.
    temp_2 = torch.tensor([0.25], dtype=torch.double, requires_grad=True)
    p = torch.tensor(probabilities, dtype=torch.double, requires_grad=True)
    assert RelaxedOneHotCategorical(temp, p).sample().size() == (2, 3)
    assert RelaxedOneHotCategorical(temp, p).sample(sample_shape=(3, 4)).size() == (3, 4, 2, 3)
    assert RelaxedOneHotCategorical(temp, p).sample((6,)).size() == (6, 2, 3)
    gradcheck_log_prob(lambda t, p: RelaxedOneHotCategorical(t, p, validate_args=False), (temp, p))
    gradcheck_log_prob(lambda t, p: RelaxedOneHotCategorical(t, p, validate_args=False), (temp_2, p))


def check_sampler_discrete(sampler, pmf_fn, message, num_samples=10000, failure_rate=1e-3):
    """torch's _check_sampler_discrete: a chi-square test over the values
    drawn, pooling the rare ones."""
    samples = sampler((num_samples,)).squeeze().cpu().numpy()
    unique, counts = np.unique(samples, return_counts=True)
    pmf = pmf_fn(unique)
    pmf = pmf / pmf.sum()
    msk = (counts > 5) & ((pmf * num_samples) > 5)
    assert pmf[msk].sum() > 0.9, "too sparse for the test"
    if not msk.all():
        counts = np.concatenate([counts[msk], np.sum(counts[~msk], keepdims=True)])
        pmf = np.concatenate([pmf[msk], np.sum(pmf[~msk], keepdims=True)])
    _, p = scipy.stats.chisquare(counts, pmf * num_samples)
    assert p > failure_rate, message


def test_argmax_relaxed_categorical():
    torch.manual_seed(0)  # torch's seed
    for probs in (torch.tensor([0.1, 0.9]), torch.tensor([0.2, 0.2, 0.6])):
        for temp in (0.1, 1.0, 10.0):
            d = RelaxedOneHotCategorical(temp, probs)
            check_sampler_discrete(
                lambda shape: torch.max(d.sample(shape), -1)[1],
                lambda idx, probs=probs: probs.numpy()[idx],
                f"ArgMax(RelaxedOneHotCategorical(temp={temp}, probs={probs}))",
            )
    for probs in (torch.tensor([0.1, 0.9]), torch.tensor([0.2, 0.2, 0.6])):
        equal = torch.ones(probs.size()) / probs.size()[0]
        s = RelaxedOneHotCategorical(1e10, probs).rsample()
        torch.testing.assert_close(s, equal)


@pytest.mark.parametrize("i", range(3))
def test_repr(i):
    d = RelaxedOneHotCategorical(**examples()[i])
    assert repr(d).startswith("RelaxedOneHotCategorical")


@pytest.mark.parametrize("i", range(3))
def test_support(i):
    """torch's test_support: samples lie in the support."""
    d = RelaxedOneHotCategorical(**examples()[i])
    s = d.sample((5,))
    assert torch.all(d.support.check(s)), s


def test_sample_detached():
    for i, param in enumerate(examples()):
        if not any(getattr(p, "requires_grad", False) for p in param.values()):
            continue
        assert not RelaxedOneHotCategorical(**param).sample().requires_grad, i


def test_rsample_requires_grad():
    for i, param in enumerate(examples()):
        if not any(getattr(p, "requires_grad", False) for p in param.values()):
            continue
        assert RelaxedOneHotCategorical(**param).rsample().requires_grad, i


@pytest.mark.parametrize("i", range(3))
def test_distribution_expand(i):
    """torch's test_distribution_expand: expanded shapes and log_prob equal
    to the unexpanded one's, broadcast."""
    param = examples()[i]
    d = RelaxedOneHotCategorical(**param)
    for shape in ((1,), (2,), (2, 2)):
        expanded_shape = torch.Size(shape) + d.batch_shape
        e = d.expand(expanded_shape)
        sample = e.sample()
        assert e.batch_shape == expanded_shape and e.event_shape == d.event_shape
        assert sample.shape == expanded_shape + d.event_shape
        torch.testing.assert_close(e.log_prob(sample), d.log_prob(sample))
        assert e.sample((3,)).shape == (3,) + expanded_shape + d.event_shape


def test_subclass_expand():
    """expand keeps a subclass (torch's _get_checked_instance)."""

    class Sub(RelaxedOneHotCategorical):
        pass

    d = Sub(torch.tensor(0.5), logits=torch.zeros(3, 4))
    e = d.expand((2, 3))
    assert type(e) is Sub and e.batch_shape == (2, 3)


@pytest.mark.parametrize("i", range(3))
def test_valid_examples_do_not_raise(i):
    RelaxedOneHotCategorical(**examples()[i], validate_args=True)


@pytest.mark.parametrize("i", range(2))
def test_invalid_examples_raise(i):
    """torch's TestValidation.test_invalid: a ValueError with torch's message."""
    param = bad_examples()[i]
    with pytest.raises(ValueError, match="Expected parameter probs .* to satisfy the constraint Simplex"):
        RelaxedOneHotCategorical(**param, validate_args=True)
    # And without validation, no error at construction.
    RelaxedOneHotCategorical(**param, validate_args=False)


def test_invalid_value_raises_torchs_message():
    d = RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="Expected value argument .* to be within the support"):
        d.log_prob(torch.tensor([[0.5, 0.6, -0.1], [0.2, 0.2, 0.6]]))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        d.log_prob(torch.full((2, 4), 0.25))


@pytest.mark.parametrize("i", range(3))
def test_jit_trace(i):
    """torch's TestJit: sample shapes and log_prob through torch.jit.trace
    agree with eager."""
    param = examples()[i]
    keys = list(param)
    values = [param[k].detach() for k in keys]

    def f_log_prob(*values):
        d = RelaxedOneHotCategorical(**dict(zip(keys, values[:-1])), validate_args=False)
        return d.log_prob(values[-1])

    d = RelaxedOneHotCategorical(**dict(zip(keys, values)))
    x = d.sample()
    traced = torch.jit.trace(f_log_prob, (*values, x), check_trace=False)
    y = d.sample()
    torch.testing.assert_close(traced(*values, y), f_log_prob(*values, y))

    def f_sample(*values):
        return RelaxedOneHotCategorical(**dict(zip(keys, values)), validate_args=False).rsample()

    traced = torch.jit.trace(f_sample, tuple(values), check_trace=False)
    assert traced(*values).shape == d.batch_shape + d.event_shape


def test_independent():
    d = Independent(RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.randn(4, 3, 5)), 1)
    s = d.rsample((2,))
    assert s.shape == (2, 4, 3, 5) and d.log_prob(s).shape == (2, 4)
