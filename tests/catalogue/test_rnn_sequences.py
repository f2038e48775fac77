"""Recurrent networks over sequences: the BPTT gradient regime against explicit Jacobian products,
forward passes, GRU and LSTM steps against the equations written out here, BPTT against forward
mode, bidirectional RNNs, the unrolled network, and the Jacobian product against finite differences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import run_main
from dlcalc.catalogue import rnn_bptt

# ---- gradient regime ---------------------------------------------------------------------------


def regime(U, act="tanh", steps=50):
    run = run_main(["rnn-grad-regime", "--U", str(U), "--act", act, "--steps", str(steps)])
    assert run.code == 0, run.err
    return run.out.strip(), run.err


def test_sheet_counterexample_nilpotent():
    verdict, err = regime([[0, 5], [0, 0]], "linear")
    assert verdict == "vanishing" and "E58" in err
    U = np.array([[0.0, 5.0], [0.0, 0.0]])
    assert np.linalg.norm(U, 2) == 5 and not np.any(U @ U)  # σ_max = 5 yet U² = 0


def tanh_jacobian_product_norm(U, steps, rng):
    """‖Π_t diag(1 − tanh²(a_t)) U‖ along a random trajectory z_t = tanh(U z_{t−1} + x_t)."""
    z, product = rng.standard_normal(len(U)), np.eye(len(U))
    for _ in range(steps):
        a = U @ z + rng.standard_normal(len(U))
        z = np.tanh(a)
        product = np.diag(1 - np.tanh(a) ** 2) @ U @ product
    return np.linalg.norm(product, 2)


def test_vanishing_bound_holds_on_trajectories():
    rng = np.random.default_rng(1)
    for _ in range(20):
        U = rng.standard_normal((4, 4))
        U *= 0.9 / np.linalg.norm(U, 2)
        verdict, _ = regime(U.tolist(), "tanh", 30)
        assert verdict == "vanishing"
        assert tanh_jacobian_product_norm(U, 30, rng) <= 0.9**30 + 1e-12


def test_linear_regimes_follow_the_spectral_radius():
    assert regime([[1.1, 0], [0, 0.5]], "linear")[0] == "exploding"
    assert np.linalg.norm(np.linalg.matrix_power(np.diag([1.1, 0.5]), 50), 2) > 100
    assert regime([[0, -1], [1, 0]], "linear")[0] == "marginal"
    assert regime([[2, 0], [0, 0.5]], "tanh")[0] == "undetermined"
    assert regime([[3, 0], [0, 3]], "sigmoid")[0] == "vanishing"  # 3 · 1/4 < 1


def test_rnn_forward_matches_a_loop():
    U, V, b = [[0.5, -0.2], [0.1, 0.3]], [[1.0], [-1.0]], [0.1, 0.0]
    xs = [0.5, -1.0, 2.0]
    z, expected = [0.0, 0.0], []
    for x in xs:
        z = [math.tanh(sum(U[i][k] * z[k] for k in range(2)) + V[i][0] * x + b[i]) for i in range(2)]
        expected.append(z)
    run = run_main(["rnn-forward", "--U", str(U), "--V", str(V), "--x", "0.5;-1.0;2.0", "--b", "0.1,0"])
    rows = json.loads(run.out)
    assert np.allclose(rows, expected, atol=1e-10)


def test_gru_step_matches_the_equations():
    rng = np.random.default_rng(3)
    G, R, W = (rng.standard_normal((2, 3)).round(3) for _ in range(3))
    x, z = [0.7], [0.2, -0.5]
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    xz = x + z
    update = [sig(sum(G[i][k] * xz[k] for k in range(3))) for i in range(2)]
    reset = [sig(sum(R[i][k] * xz[k] for k in range(3))) for i in range(2)]
    xr = x + [reset[i] * z[i] for i in range(2)]
    cand = [math.tanh(sum(W[i][k] * xr[k] for k in range(3))) for i in range(2)]
    expected = [(1 - update[i]) * z[i] + update[i] * cand[i] for i in range(2)]
    run = run_main(["gru-step", "--G", str(G.tolist()), "--R", str(R.tolist()), "--W", str(W.tolist()),
                    "--x", "0.7", "--z", "0.2,-0.5"])
    assert np.allclose([float(v) for v in run.out.split(",")], expected, atol=1e-10)


def test_lstm_step_matches_the_equations():
    rng = np.random.default_rng(11)
    F, I, C, O = (rng.standard_normal((2, 3)).round(3) for _ in range(4))
    x, z, c = [0.4], [-0.3, 0.8], [1.5, -0.2]
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    xt = x + z
    gate = lambda M, i: sum(M[i][k] * xt[k] for k in range(3))  # noqa: E731
    cell = [sig(gate(F, i)) * c[i] + sig(gate(I, i)) * math.tanh(gate(C, i)) for i in range(2)]
    state = [sig(gate(O, i)) * math.tanh(cell[i]) for i in range(2)]
    run = run_main(["lstm-step", "--F", str(F.tolist()), "--I", str(I.tolist()), "--C", str(C.tolist()),
                    "--O", str(O.tolist()), "--x", "0.4", "--z", "-0.3,0.8", "--c", "1.5,-0.2", "--json"])
    import json

    record = json.loads(run.out)["result"]
    assert np.allclose(record["c"], cell, atol=1e-10) and np.allclose(record["z"], state, atol=1e-10)


def test_bptt_gradient_against_forward_mode_and_the_sheet_reading():
    rng = np.random.default_rng(13)
    U, V, W = rng.standard_normal((3, 3)) * 0.6, rng.standard_normal((3, 2)), rng.standard_normal((1, 3))
    xs, ys = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    # forward-mode derivative of L along a direction E: d/dε L(U + εE), carried with the states
    E = rng.standard_normal((3, 3))
    z, dz, dL = np.zeros(3), np.zeros(3), 0.0
    for x, y in zip(xs, ys):
        a = U @ z + V @ x
        da = E @ z + U @ dz
        z, dz = np.tanh(a), (1 - np.tanh(a) ** 2) * da
        dL += float((W @ z - y) @ (W @ dz))
    import json

    record = json.loads(run_main(["rnn-bptt", "--U", json.dumps(U.tolist()), "--V", json.dumps(V.tolist()),
                                  "--W", json.dumps(W.tolist()), "--x", json.dumps(xs.tolist()),
                                  "--y", json.dumps(ys.tolist()), "--json"]).out)
    grad = np.array(record["result"])
    assert np.sum(grad * E) == pytest.approx(dL, rel=1e-9)  # ⟨∂L/∂U, E⟩ is the directional derivative
    assert record["immediate_only_error"] > 0.01  # E57: the immediate partials alone are wrong


# ---- outputs, bidirectional RNNs, unrolling ----------------------------------------------------------


def scalar_loop_states(U, V, xs, phi=math.tanh):
    """z_t = φ(U z_{t−1} + V x_t) written entry by entry (no matrix products)."""
    h, z, states = len(U), [0.0] * len(U), []
    for x in xs:
        z = [phi(sum(U[i][j] * z[j] for j in range(h)) + sum(V[i][k] * x[k] for k in range(len(x)))) for i in range(h)]
        states.append(z)
    return states


def matrix_out(args):
    run = run_main(list(map(str, args)))
    assert run.code == 0, run.err
    return np.array(json.loads(run.out))


U2, V2, W2 = [[0.5, -0.3], [0.2, 0.4]], [[1.0, 0.5], [-0.7, 0.2]], [[1.0, -1.0], [0.3, 0.8], [0.0, 2.0]]
XS = [[1.0, 0.0], [0.5, -1.0], [-0.2, 0.3], [0.0, 1.0]]


def test_rnn_outputs_match_a_scalar_loop_and_rnn_forward():
    states = scalar_loop_states(U2, V2, XS)
    logits = np.array([[sum(W2[o][j] * z[j] for j in range(2)) for o in range(3)] for z in states])
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    common = ["--U", json.dumps(U2), "--V", json.dumps(V2), "--W", json.dumps(W2), "--x", json.dumps(XS)]
    assert np.allclose(matrix_out(["rnn-outputs", *common, "--out-act", "softmax"]), softmax, rtol=1e-10)
    forward = matrix_out(["rnn-forward", "--U", json.dumps(U2), "--V", json.dumps(V2), "--x", json.dumps(XS)])
    assert np.allclose(matrix_out(["rnn-outputs", *common]), forward @ np.array(W2).T, rtol=1e-10)
    assert run_main(["rnn-outputs", "--U", "1", "--V", "1", "--W", "1,2", "--x", "1"]).code == 2


def test_bidirectional_backward_states_are_the_reversed_forward_pass():
    Ub, Vb, Wb = [[0.1, 0.6], [-0.4, 0.3]], [[0.3, -1.0], [0.9, 0.1]], [[0.5, 0.5], [-1.0, 0.0], [0.2, 0.7]]
    forward = np.array(scalar_loop_states(U2, V2, XS))
    backward = np.array(scalar_loop_states(Ub, Vb, XS[::-1]))[::-1]
    args = ["rnn-bidirectional", "--U", json.dumps(U2), "--V", json.dumps(V2), "--Ub", json.dumps(Ub), "--Vb",
            json.dumps(Vb), "--W", json.dumps(W2), "--Wb", json.dumps(Wb), "--x", json.dumps(XS)]
    got = matrix_out(args)
    assert np.allclose(got, forward @ np.array(W2).T + backward @ np.array(Wb).T, rtol=1e-10)
    # the first output depends on the last input (it would not without the backward direction)
    later = [row[:] for row in XS]
    later[-1][0] += 0.5
    changed = matrix_out([*args[:-1], json.dumps(later)])
    assert np.max(abs(changed[0] - got[0])) > 1e-3
    only_forward = [*args[:12], json.dumps(np.zeros((3, 2)).tolist()), *args[13:]]
    assert np.allclose(matrix_out([*only_forward[:-1], json.dumps(later)])[0], matrix_out(only_forward)[0])


def test_unrolled_network_equals_the_recurrence_and_shares_its_weights():
    rng = np.random.default_rng(6)
    U, V = 0.6 * rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    xs = rng.standard_normal((5, 2))
    run = run_main(["rnn-unroll", "--U", json.dumps(U.tolist()), "--V", json.dumps(V.tolist()), "--x",
                    json.dumps(xs.tolist()), "--json"])
    assert run.code == 0 and json.loads(run.out)["result"] is True
    layer = np.array(json.loads(run.out)["layer_matrix"])
    assert np.allclose(layer[:3, :3], U) and np.allclose(layer[:3, 3:5], V)  # the shared weights
    states = np.array(scalar_loop_states(U.tolist(), V.tolist(), xs.tolist()))
    assert np.allclose(rnn_bptt.unrolled_states([layer] * 5, 3, xs, np.tanh), states, rtol=1e-12)
    # an unrolling that misplaces V (reads x_{t+1} at layer t) is refuted by the same comparison
    wrong = layer.copy()
    wrong[:3, 3:5], wrong[:3, 5:7] = 0, V
    assert not np.allclose(rnn_bptt.unrolled_states([wrong] * 5, 3, xs, np.tanh), states)
    # the shared-weight gradient is BPTT's: rnn-bptt with W = I and targets 0 has the same loss ½Σ‖z_t‖²
    bptt = json.loads(run_main(["rnn-bptt", "--U", json.dumps(U.tolist()), "--V", json.dumps(V.tolist()), "--W",
                                json.dumps(np.eye(3).tolist()), "--x", json.dumps(xs.tolist()), "--y",
                                json.dumps(np.zeros((5, 3)).tolist())]).out)
    record = json.loads(run.out)
    assert np.allclose(record["gradient_U"], bptt, rtol=1e-6, atol=1e-8) and record["gradient_difference"] < 1e-6


# ---- the Jacobian product ∂z_T/∂z_k ----------------------------------------------------------------


def states_from(z, U, V, xs, phi):
    for x in xs:
        z = phi(U @ z + V @ x)
    return z


@pytest.mark.parametrize("act, phi", [("tanh", np.tanh), ("sigmoid", lambda a: 1 / (1 + np.exp(-a)))])
@pytest.mark.parametrize("k", [0, 1, 3])
def test_rnn_jacobian_matches_finite_differences_and_the_bound(act, phi, k):
    rng = np.random.default_rng(7 + k)
    U, V, xs = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal((5, 2))
    run = run_main(["rnn-jacobian", "--U", json.dumps(U.tolist()), "--V", json.dumps(V.tolist()),
                    "--x", json.dumps(xs.tolist()), "--act", act, "--k", str(k), "--json"])
    assert run.code == 0, run.err
    record = json.loads(run.out)
    J = np.array(record["result"])
    z_k = states_from(np.zeros(3), U, V, xs[:k], phi)
    numeric, step = np.zeros((3, 3)), 1e-6
    for i in range(3):
        bump = np.eye(3)[i] * step
        numeric[:, i] = (states_from(z_k + bump, U, V, xs[k:], phi) - states_from(z_k - bump, U, V, xs[k:], phi)) / (2 * step)
    assert np.allclose(J, numeric, atol=1e-8)
    gamma = 1.0 if act == "tanh" else 0.25
    assert record["bound_holds"] and np.linalg.norm(J, 2) <= (gamma * np.linalg.norm(U, 2)) ** (5 - k) + 1e-12
    # altered statements: without the diag(φ') factors, or multiplied in the other order
    def differs(alternative):
        return np.max(abs(numeric - alternative)) > 0.01 * np.max(abs(numeric))

    assert differs(np.linalg.matrix_power(U, 5 - k))
    slopes = []
    z = z_k
    for x in xs[k:]:
        a = U @ z + V @ x
        z = phi(a)
        slopes.append(np.diag(1 - np.tanh(a) ** 2) if act == "tanh" else np.diag(phi(a) * (1 - phi(a))))
    reversed_order = np.eye(3)
    for D in slopes:
        reversed_order = reversed_order @ D @ U
    assert differs(reversed_order)


def test_rnn_jacobian_linear_and_errors():
    assert run_main(["rnn-jacobian", "--U", "0.5", "--V", "1", "--x", "1;0;0", "--act", "linear"]).out.strip() == "[[0.125]]"
    assert run_main(["rnn-jacobian", "--U", "0.5", "--V", "1", "--x", "1;0", "--k", "2"]).code == 2
    assert run_main(["rnn-jacobian", "--U", "0.5", "--V", "1,1", "--x", "1;0"]).code == 2



def test_bptt_refuses_what_its_finite_difference_check_cannot_afford():
    h, T = 40, 100  # h⁴·T = 256,000,000
    args = ["rnn-bptt", "--U", ";".join([",".join(["0.1"] * h)] * h), "--V", ";".join(["1"] * h),
            "--W", ",".join(["1"] * h), "--x", ";".join(["1"] * T), "--y", ";".join(["1"] * T)]
    run = run_main(args)
    assert run.code == 2 and run.err == ("dlcalc: error: too large for the finite-difference check: "
                                         "h⁴·T = 256,000,000 (at most 100,000,000)\n")
