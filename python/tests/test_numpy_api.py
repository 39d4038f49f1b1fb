"""The NumPy API: shapes, strides without copies, out=, errors, and the
same bits as the distribution handle, against references in float64."""

import math

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp

import relaxcat
from relaxcat._arrays import row_stride


def closed_form_log_prob(logits, t, y):
    """The Concrete density (Maddison et al. 2017, eq. 2) in float64."""
    logits, y = np.asarray(logits, np.float64), np.asarray(y, np.float64)
    k = logits.shape[-1]
    return (
        gammaln(k)
        + (k - 1) * math.log(t)
        + np.sum(logits - (t + 1) * np.log(y), -1)
        - k * logsumexp(logits - t * np.log(y), axis=-1)
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_and_simplex(dtype):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 7)).astype(dtype)
    y = relaxcat.rsample(0.7, logits=logits, sample_shape=(4, 5), seed=3)
    assert y.shape == (4, 5, 2, 3, 7) and y.dtype == dtype
    assert np.allclose(y.sum(-1), 1, atol=1e-5) and (y > 0).all()
    lp = relaxcat.log_prob(y, 0.7, logits=logits)
    assert lp.shape == (4, 5, 2, 3)
    assert np.isfinite(lp).all()


def test_reference_values(reference_cases):
    """float64 log_prob and log_prob_x against torch's float64 values."""
    worst, compared = 0.0, 0
    for c in reference_cases:
        logits = np.array([c["logits"]])
        t = c["temperature"]
        for key, fn, value in (
            ("log_prob", relaxcat.log_prob, "value"),
            ("exp_log_prob", relaxcat.log_prob_x, "log_value"),
        ):
            want = c.get(key)
            if want is None:
                continue
            got = fn(np.array([c[value]]), t, logits=logits)[0]
            compared += 1
            if math.isnan(want):
                # torch gives NaN at a value with an exact 0 component (0 * inf);
                # relaxcat scores it -inf, the density's limit (docs/SPEC.md).
                assert got == -math.inf, (c["id"], key, got)
            elif math.isinf(want):
                assert got == want, (c["id"], key, got, want)
            else:
                assert math.isfinite(got), (c["id"], key, got)
                worst = max(worst, abs(got - want) / max(1.0, abs(want)))
    assert compared >= 20
    assert worst < 1e-12, worst


def test_closed_form_density_float64():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 9))
    t = rng.uniform(0.2, 3.0, size=6)
    y = relaxcat.rsample(t, logits=logits, sample_shape=(3,), seed=11)
    want = np.array(
        [[closed_form_log_prob(logits[b], t[b], y[s, b]) for b in range(6)] for s in range(3)]
    )
    got = relaxcat.log_prob(y, t, logits=logits)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_handle_equals_oneshot_bits():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 33)).astype(np.float32)
    d = relaxcat.RelaxedOneHotCategorical(0.5, logits=logits)
    a = d.rsample((3,), seed=9, offset=4)
    b = relaxcat.rsample(0.5, logits=logits, sample_shape=(3,), seed=9, offset=4)
    assert a.tobytes() == b.tobytes()
    h1, s1 = d.rsample_hard((2,), seed=1)
    h2, s2 = relaxcat.rsample_hard(0.5, logits=logits, sample_shape=(2,), seed=1)
    assert h1.tobytes() == h2.tobytes() and s1.tobytes() == s2.tobytes()
    assert (h1.sum(-1) == 1).all() and (h1.argmax(-1) == s1.argmax(-1)).all()
    assert d.log_prob(a).tobytes() == relaxcat.log_prob(a, 0.5, logits=logits).tobytes()


def test_generator_streams_compose():
    """Rows drawn in two calls are the rows of one call."""
    logits = np.linspace(-1, 1, 24).reshape(3, 8)
    g = relaxcat.Generator(5)
    first = relaxcat.rsample(1.0, logits=logits, sample_shape=(2,), generator=g)
    second = relaxcat.rsample(1.0, logits=logits, sample_shape=(1,), generator=g)
    whole = relaxcat.rsample(1.0, logits=logits, sample_shape=(3,), seed=5, offset=0)
    np.testing.assert_array_equal(np.concatenate([first, second]), whole)
    relaxcat.manual_seed(3)
    x = relaxcat.rsample(1.0, logits=logits)
    relaxcat.manual_seed(3)
    np.testing.assert_array_equal(x, relaxcat.rsample(1.0, logits=logits))


def test_row_strides_read_in_place():
    wide = np.random.default_rng(3).normal(size=(6, 20))
    view = wide[:, 2:12]
    assert row_stride(view) == 20
    a = relaxcat.rsample(0.5, logits=view, sample_shape=(2,), seed=1)
    b = relaxcat.rsample(0.5, logits=np.ascontiguousarray(view), sample_shape=(2,), seed=1)
    np.testing.assert_array_equal(a, b)
    # A transposed array is copied, with the same result.
    c = relaxcat.rsample(0.5, logits=np.ascontiguousarray(view.T).T, sample_shape=(2,), seed=1)
    np.testing.assert_array_equal(a, c)
    # Strided outputs are written in place.
    out_wide = np.full((2, 6, 15), -7.0)
    out = out_wide[..., :10]
    r = relaxcat.rsample(0.5, logits=view, sample_shape=(2,), seed=1, out=out)
    assert r is out
    np.testing.assert_array_equal(out, a)
    assert (out_wide[..., 10:] == -7.0).all()


def test_out_checks():
    logits = np.zeros((2, 4), np.float32)
    with pytest.raises(relaxcat.InvalidShapeError, match="shape"):
        relaxcat.rsample(1.0, logits=logits, out=np.empty((2, 5), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        relaxcat.rsample(1.0, logits=logits, out=np.empty((2, 4), np.float64))


def test_errors_name_the_parameter_and_leave_out_untouched():
    logits = np.zeros((3, 4))
    out = np.full((3, 4), 5.0)
    with pytest.raises(relaxcat.InvalidTemperatureError) as e:
        relaxcat.rsample(0.0, logits=logits, out=out, seed=1)
    assert e.value.status == 5 and "temperature" in str(e.value)
    assert isinstance(e.value, ValueError)
    assert (out == 5.0).all()
    bad = logits.copy()
    bad[1, 2] = np.nan
    with pytest.raises(relaxcat.InvalidLogitsError, match="row 1"):
        relaxcat.rsample(1.0, logits=bad, out=out, seed=1)
    assert (out == 5.0).all()
    with pytest.raises(relaxcat.InvalidProbsError):
        relaxcat.RelaxedOneHotCategorical(1.0, probs=np.array([[0.5, -0.1]]))
    with pytest.raises(relaxcat.InvalidValueError):
        relaxcat.log_prob(np.array([[2.0, -1.0]]), 1.0, logits=np.zeros((1, 2)))
    with pytest.raises(relaxcat.InvalidParameterChoiceError):
        relaxcat.rsample(1.0)
    with pytest.raises(relaxcat.InvalidShapeError, match="temperature"):
        relaxcat.rsample(np.ones(2), logits=np.zeros((3, 4)))
    with pytest.raises(relaxcat.InvalidOptionError):
        relaxcat.Context(threads=0)


def test_masked_categories():
    logits = np.array([[0.3, -np.inf, 1.0, -np.inf], [-np.inf, 0.0, 0.0, 0.0]])
    y = relaxcat.rsample(0.5, logits=logits, sample_shape=(100,), seed=2)
    assert (y[:, 0, [1, 3]] == 0).all() and (y[:, 1, 0] == 0).all()
    lp = relaxcat.log_prob(y, 0.5, logits=logits)
    # The density over the unmasked categories: K' = 2 and 3.
    want0 = [closed_form_log_prob(logits[0, [0, 2]], 0.5, y[s, 0, [0, 2]]) for s in range(100)]
    want1 = [closed_form_log_prob(logits[1, 1:], 0.5, y[s, 1, 1:]) for s in range(100)]
    np.testing.assert_allclose(lp[:, 0], want0, rtol=1e-12)
    np.testing.assert_allclose(lp[:, 1], want1, rtol=1e-12)


def test_probs_and_logits_are_normalised():
    probs = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 4.0]])
    d = relaxcat.RelaxedOneHotCategorical(1.0, probs=probs)
    np.testing.assert_allclose(d.probs, probs / probs.sum(-1, keepdims=True), rtol=1e-15)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(d.logits, np.log(probs / probs.sum(-1, keepdims=True)), rtol=1e-15)


def test_temperature_per_row_sample_statistics():
    """K = 2 has a closed form at every temperature: y_1 = sigmoid((d + L) / t)
    with d = l_1 - l_2 and L ~ Logistic(0, 1), so P(y_1 <= u) =
    sigmoid(t logit(u) - d). A Kolmogorov-Smirnov test per row, each row with
    its own temperature."""
    from scipy.stats import kstest

    t = np.array([0.25, 1.0, 4.0])
    logits = np.array([[0.5, -0.5], [0.0, 1.0], [2.0, 0.0]])
    y = relaxcat.rsample(t, logits=logits, sample_shape=(20000,), seed=8)
    for b in range(3):
        d = logits[b, 0] - logits[b, 1]
        cdf = lambda u, b=b, d=d: 1 / (1 + np.exp(-(t[b] * np.log(u / (1 - u)) - d)))  # noqa: E731
        assert kstest(y[:, b, 0], cdf).pvalue > 1e-4, b
        # And a wrong temperature is detected.
        wrong = lambda u, b=b, d=d: 1 / (1 + np.exp(-(1.3 * t[b] * np.log(u / (1 - u)) - d)))  # noqa: E731
        assert kstest(y[:, b, 0], wrong).pvalue < 1e-6, b
    # Argmax frequencies follow the probs whatever the temperature.
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    for tt in (0.25, 1.0, 4.0):
        y = relaxcat.rsample(tt, probs=probs[None], sample_shape=(20000,), seed=4)
        counts = np.bincount(y[:, 0].argmax(-1), minlength=4)
        from scipy.stats import chisquare

        assert chisquare(counts, probs * 20000).pvalue > 1e-4


def test_gradients_against_finite_differences():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 5))
    t = np.array([0.7, 1.3])
    y = relaxcat.rsample(t, logits=logits, sample_shape=(3,), seed=1)
    g = np.ones(y.shape[:-1])
    lp, gl, gt, gv = relaxcat.log_prob_backward(y, g, t, logits=logits)
    h = 1e-6
    for b, k in [(0, 0), (1, 3)]:
        lo, hi = logits.copy(), logits.copy()
        lo[b, k] -= h
        hi[b, k] += h
        fd = (relaxcat.log_prob(y, t, logits=hi).sum() - relaxcat.log_prob(y, t, logits=lo).sum()) / (2 * h)
        assert abs(fd - gl[b, k]) < 1e-5 * max(1, abs(fd))
    tl, th = t.copy(), t.copy()
    tl[1] -= h
    th[1] += h
    fd = (relaxcat.log_prob(y, th, logits=logits).sum() - relaxcat.log_prob(y, tl, logits=logits).sum()) / (2 * h)
    assert abs(fd - gt[1]) < 1e-5 * max(1, abs(fd))
    # The sampler's backward: d(sum_k w_k y_k)/dlogits by finite differences
    # on the same noise.
    w = rng.normal(size=y.shape)
    soft, log = relaxcat.rsample_with_log(t, logits=logits, sample_shape=(3,), seed=1)
    gl2, gt2 = relaxcat.rsample_backward(w, t, logits=logits, soft=soft, log=log)
    lo, hi = logits.copy(), logits.copy()
    lo[0, 2] -= h
    hi[0, 2] += h
    f = lambda L: (relaxcat.rsample(t, logits=L, sample_shape=(3,), seed=1) * w).sum()  # noqa: E731
    fd = (f(hi) - f(lo)) / (2 * h)
    assert abs(fd - gl2[0, 2]) < 1e-6 * max(1, abs(fd))


def test_row_kernels():
    x = np.random.default_rng(5).normal(size=(4, 100)).astype(np.float32)
    from scipy.special import log_softmax, softmax

    np.testing.assert_allclose(relaxcat.logsumexp(x), logsumexp(x, -1), rtol=1e-6)
    np.testing.assert_allclose(relaxcat.softmax(x), softmax(x, -1), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(relaxcat.log_softmax(x), log_softmax(x, -1), rtol=1e-5, atol=1e-6)


def test_context_threads_give_the_same_bits():
    logits = np.random.default_rng(6).normal(size=(64, 300))
    one = relaxcat.Context(threads=1, backend="scalar")
    two = relaxcat.Context(threads=2)
    assert one.threads == 1 and one.backend == "scalar"
    a = relaxcat.rsample(0.5, logits=logits, sample_shape=(2,), seed=1, context=one)
    b = relaxcat.rsample(0.5, logits=logits, sample_shape=(2,), seed=1, context=two)
    assert a.tobytes() == b.tobytes()


def test_gil_released_during_kernels():
    """Two Python threads sampling at once: both finish with their own
    results (ctypes releases the GIL around each C call)."""
    import threading

    logits = np.zeros((256, 4096), np.float32)
    results = {}

    def work(i):
        results[i] = relaxcat.rsample(1.0, logits=logits, seed=i, context=relaxcat.Context(1))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        np.testing.assert_array_equal(results[i], relaxcat.rsample(1.0, logits=logits, seed=i))


def test_out_of_memory_is_an_error_not_an_abort():
    """A 64 TiB matrix of untouched zero pages (mapped without reserving
    memory): the handle's copy of it cannot be allocated on any machine
    (it does not fit the address space beside the original), so the call
    raises instead of aborting the interpreter."""
    import mmap
    import sys

    if not sys.platform.startswith("linux") or sys.maxsize < 2**63 - 1:
        pytest.skip("needs 64-bit Linux for MAP_NORESERVE")
    rows, k = 1 << 24, 1 << 20
    try:
        m = mmap.mmap(
            -1,
            rows * k * 4,
            # MAP_NORESERVE is 0x4000 on Linux; the module has the name
            # only from Python 3.13.
            flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0x4000),
            prot=mmap.PROT_READ,
        )
    except OSError:
        pytest.skip("cannot map 64 TiB here (strict overcommit)")
    logits = np.frombuffer(m, dtype=np.float32).reshape(rows, k)
    with pytest.raises(relaxcat.OutOfMemoryError, match="out of memory") as e:
        relaxcat.RelaxedOneHotCategorical(1.0, logits=logits)
    assert e.value.status == 12
    assert isinstance(e.value, MemoryError) and isinstance(e.value, relaxcat.Error)
    assert "70368744177664 bytes" in str(e.value)
    # The mapping goes with the last reference to it (the traceback in `e`
    # holds the array), never touched.
