"""Exercise 4 (chapter 9): a custom RLModule with a deeper policy and value network.

The learner writes an RLModule class whose policy network and value network each
have their own hidden layers (three of 64 units by default, one more than the
chapter's module). :func:`check_exercise4` checks, in this order, and stops at the
first problem with a message that says what to change:

1. the answer is a class (not an instance or a spec) that PPO can train: a
   ``TorchRLModule`` that also is a ``ValueFunctionAPI``, makes its layers in
   ``setup`` and implements ``compute_values`` and either ``_forward`` or all three
   of ``_forward_inference``, ``_forward_exploration`` and ``_forward_train``;
2. it builds for the arena's spaces and reads its sizes from them (it is also
   built for other spaces, so hard-coded 200 and 4 are caught);
3. the forward passes return one logit per action under
   ``Columns.ACTION_DIST_INPUTS`` and ``compute_values`` one value per
   observation, all finite;
4. the requested change is there: policy and value networks share no weights,
   each has the hidden layers asked for (counted from the ``nn.Linear`` layers the
   gradient of each output reaches) and neither is a linear function of its input
   (an activation after each hidden layer);
5. PPO builds and trains with it for agent1 for a few tiny iterations: its weights
   change and no loss or weight is NaN.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np

from handson_rl.exercises.common import checker, fail

#: The hidden layers the exercise asks for, in each of the two networks.
HIDDEN_SIZES = (64, 64, 64)

_FIX_SIZES = (
    "Read the sizes from the spaces RLlib gives the module: "
    "self.observation_space.shape[0] inputs and self.action_space.n logits."
)


def _one_hot_batch(n: int, obs_size: int, seed: int = 0):
    import torch
    from ray.rllib.core.columns import Columns

    rng = np.random.default_rng(seed)
    obs = torch.zeros(n, obs_size)
    half = obs_size // 2
    obs[torch.arange(n), torch.as_tensor(rng.integers(0, half, n))] = 1.0
    obs[torch.arange(n), torch.as_tensor(half + rng.integers(0, obs_size - half, n))] = 1.0
    return {Columns.OBS: obs}


_FORWARDS = ("_forward_inference", "_forward_exploration", "_forward_train")


def _check_class(module_class) -> None:
    from ray.rllib.core.rl_module.apis import ValueFunctionAPI
    from ray.rllib.core.rl_module.rl_module import RLModule, RLModuleSpec
    from ray.rllib.core.rl_module.torch import TorchRLModule

    name = getattr(module_class, "__name__", type(module_class).__name__)
    if isinstance(module_class, RLModuleSpec):
        fail(
            "You passed an RLModuleSpec; pass the module class itself, e.g. "
            "check_exercise4(DeeperModule). The check builds it for the spaces itself."
        )
    if isinstance(module_class, RLModule) or (
        not inspect.isclass(module_class) and hasattr(module_class, "parameters")
    ):
        fail(
            f"You passed an instance of {type(module_class).__name__}; pass the class "
            f"itself (check_exercise4({type(module_class).__name__}), without "
            "parentheses). RLlib builds one module per learner and env runner from "
            "the class, so the class is what it needs."
        )
    if not inspect.isclass(module_class):
        fail(
            f"Pass your module class, e.g. check_exercise4(DeeperModule); got {module_class!r:.80}."
        )
    if not issubclass(module_class, RLModule):
        fail(
            f"{name} is not an RLModule. Write `class {name}(TorchRLModule, "
            "ValueFunctionAPI):` (TorchRLModule from ray.rllib.core.rl_module.torch)."
        )
    if not issubclass(module_class, TorchRLModule):
        fail(
            f"{name} is an RLModule but not a TorchRLModule; the course trains with "
            "PyTorch, so subclass TorchRLModule (ray.rllib.core.rl_module.torch)."
        )
    if not issubclass(module_class, ValueFunctionAPI):
        fail(
            f"{name} has no value function: PPO needs one for its advantages and "
            "value loss. Add ValueFunctionAPI to the base classes "
            f"(`class {name}(TorchRLModule, ValueFunctionAPI)`) and write "
            "compute_values(self, batch, embeddings=None)."
        )
    if getattr(module_class.compute_values, "__isabstractmethod__", False):
        fail(
            f"{name} does not implement compute_values(self, batch, embeddings=None); "
            "it should return one value per observation, shape (batch_size,)."
        )
    _check_methods(module_class, name)


def _check_methods(module_class, name: str) -> None:
    """setup() and the forward passes: the methods RLlib calls."""
    from ray.rllib.core.rl_module.rl_module import RLModule
    from ray.rllib.core.rl_module.torch import TorchRLModule

    if module_class.setup is RLModule.setup and module_class.__init__ is TorchRLModule.__init__:
        own = [
            m
            for c in module_class.__mro__
            if not c.__module__.startswith(("ray.", "torch."))
            for m in vars(c)
        ]
        builds = [m for m in ("build", "_build", "build_model", "make_layers", "init") if m in own]
        found = (
            f"{name} defines {builds[0]}(), but RLlib never calls it: "
            if builds
            else f"{name} has no setup(): "
        )
        fail(
            found + "RLlib calls setup(self) once, when it builds the module, to make the "
            "layers (self.encoder = ...). Put your layers in `def setup(self):`."
        )
    if module_class.forward is not TorchRLModule.forward:
        fail(
            f"{name} overrides forward(); RLlib's TorchRLModule keeps forward() for "
            "itself. Rename it to _forward(self, batch, **kwargs) (with the underscore)."
        )
    if module_class._forward is not RLModule._forward:
        return  # one _forward for all three passes
    own = {m: getattr(module_class, m) is not getattr(TorchRLModule, m) for m in _FORWARDS}
    if not any(own.values()):
        fail(
            f"{name} has no _forward(self, batch, **kwargs); write it to return "
            "{Columns.ACTION_DIST_INPUTS: logits} (or write the three _forward_inference, "
            "_forward_exploration and _forward_train)."
        )
    missing = [m for m, defined in own.items() if not defined]
    if missing:
        fail(
            f"{name} defines {', '.join(m for m in _FORWARDS if own[m])} but not "
            f"{', '.join(missing)}, and has no _forward for RLlib to fall back on: "
            "_forward_exploration acts while PPO samples, _forward_train feeds the loss, "
            "_forward_inference acts without exploring (evaluation). Write the missing "
            "one(s), or a single _forward(self, batch, **kwargs) for all three."
        )


def _build(module_class, obs_size: int, num_actions: int):
    import gymnasium as gym
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    spec = RLModuleSpec(
        module_class=module_class,
        observation_space=gym.spaces.Box(0.0, 1.0, (obs_size,), np.float32),
        action_space=gym.spaces.Discrete(num_actions),
        model_config={},
    )
    try:
        return spec.build()
    except NotImplementedError as err:
        fail(
            f"Building {module_class.__name__} raised NotImplementedError({err}): "
            "replace the stub in setup() with your layers.",
            err,
        )
    except Exception as err:
        fail(
            _torch_hint(err)  # names the mistake, when it is a known one: first
            + f"Building {module_class.__name__} for a Box({obs_size},) observation and "
            f"{num_actions} actions raised {type(err).__name__}: {str(err)[:300]}\n"
            + ("" if (obs_size, num_actions) == (200, 4) else _FIX_SIZES),
            err,
        )


def _torch_hint(err: Exception) -> str:
    """A sentence for PyTorch mistakes whose own message does not say what to do."""
    text = str(err)
    if "is not a Module subclass" in text:
        layer = text.split(" is not a Module subclass")[0].rsplit(".", 1)[-1]
        return (
            f"nn.{layer} is written without parentheses: nn.Sequential takes layer "
            f"objects, so write nn.{layer}() (the class nn.{layer} alone is not a layer).\n"
        )
    if isinstance(err, TypeError) and "__init__() takes" in text and "positional argument" in text:
        return (
            "A layer class was called on a tensor: was an activation stored without "
            "parentheses (self.act = nn.Tanh instead of nn.Tanh())?\n"
        )
    return ""


def _call(module, what: str, fn, *args, hint: str = "", **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as err:
        fail(f"{what} raised NotImplementedError({err}): replace the stub with your code.", err)
    except Exception as err:
        fail(
            _torch_hint(err) + f"{what} raised {type(err).__name__}: {str(err)[:300]}\n" + hint,
            err,
        )


def _check_forward_passes(module, obs_size: int, num_actions: int) -> None:
    batch = _one_hot_batch(5, obs_size)
    hint = ""
    if (obs_size, num_actions) != (200, 4):
        hint = (
            f"(The check built your module for {obs_size} inputs and {num_actions} "
            f"actions, not the arena's 200 and 4. {_FIX_SIZES})"
        )
    for method in ("forward_inference", "forward_exploration", "forward_train"):
        _check_logits(module, method, batch, num_actions, hint)
    values = _check_values(module, batch, hint)
    _check_embeddings(module, batch, values)


def _check_logits(module, method: str, batch, num_actions: int, hint: str) -> None:
    import torch
    from ray.rllib.core.columns import Columns

    name = type(module).__name__
    out = _call(module, f"{name}.{method}(batch)", getattr(module, method), batch, hint=hint)
    if torch.is_tensor(out):
        fail(
            f"{method} returned a tensor; _forward must return a dict: "
            "{Columns.ACTION_DIST_INPUTS: logits}."
        )
    if not isinstance(out, dict) or Columns.ACTION_DIST_INPUTS not in out:
        keys = sorted(map(str, out)) if isinstance(out, dict) else type(out).__name__
        fail(
            f"{method} returned {keys}; PPO reads the logits under "
            f"Columns.ACTION_DIST_INPUTS ({Columns.ACTION_DIST_INPUTS!r}). Return "
            "{Columns.ACTION_DIST_INPUTS: logits} from _forward."
        )
    logits = out[Columns.ACTION_DIST_INPUTS]
    if not torch.is_tensor(logits) or tuple(logits.shape) != (5, num_actions):
        shape = (
            tuple(int(n) for n in logits.shape)
            if torch.is_tensor(logits)
            else type(logits).__name__
        )
        fail(
            f"For 5 observations and {num_actions} actions, {method} gave logits of "
            f"shape {shape}; expected (5, {num_actions}): one logit per action and "
            f"observation. {_FIX_SIZES}"
        )
    if not torch.isfinite(logits).all():
        fail(f"{method} gave logits that are NaN or infinite for an ordinary batch.")


def _check_values(module, batch, hint: str):
    import torch

    name = type(module).__name__
    values = _call(module, f"{name}.compute_values(batch)", module.compute_values, batch, hint=hint)
    if not torch.is_tensor(values):
        fail(
            f"compute_values returned {type(values).__name__}; return a torch tensor of shape (batch_size,)."
        )
    shape = tuple(int(n) for n in values.shape)
    if shape == (5, 1):
        fail(
            "compute_values returned shape (5, 1); PPO wants one number per observation, "
            "shape (5,). Squeeze the last dimension: self.value_head(features).squeeze(-1)."
        )
    if shape != (5,):
        fail(
            f"compute_values returned shape {shape} for 5 observations; expected (5,). {_FIX_SIZES}"
        )
    if not torch.isfinite(values).all():
        fail("compute_values gave NaN or infinite values for an ordinary batch.")
    return values


def _check_embeddings(module, batch, values) -> None:
    """What the learner does: forward_train, then compute_values with its embeddings."""
    import torch
    from ray.rllib.core.columns import Columns

    name = type(module).__name__
    train_out = _call(module, f"{name}.forward_train(batch)", module.forward_train, batch)
    again = _call(
        module,
        f"{name}.compute_values(batch, embeddings=...)",
        module.compute_values,
        batch,
        embeddings=train_out.get(Columns.EMBEDDINGS),
    )
    if not torch.is_tensor(again) or not torch.allclose(again.reshape(-1), values, atol=1e-5):
        fail(
            "compute_values(batch, embeddings=forward_train(batch)[Columns.EMBEDDINGS]) "
            "differs from compute_values(batch). The learner passes the embeddings your "
            "_forward_train returned: they must be the value network's features (or "
            "leave Columns.EMBEDDINGS out)."
        )


def _number(value):
    """A NumPy or torch scalar as a plain Python number (messages say 4, not np.int64(4))."""
    return value.item() if hasattr(value, "item") else value


def _linears_reached(module, output) -> list:
    """The nn.Linear layers whose weight gets a gradient from ``output.sum()``."""
    from torch import nn

    module.zero_grad(set_to_none=True)
    output.sum().backward()
    reached = [
        m
        for m in module.modules()
        if isinstance(m, nn.Linear) and m.weight.grad is not None and m.weight.grad.abs().sum() > 0
    ]
    module.zero_grad(set_to_none=True)
    return reached


def _is_affine(fn, obs_size: int) -> bool:
    """Whether ``fn`` is (numerically) affine: f(a + b) = f(a) + f(b) - f(0)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(8, obs_size, generator=gen), torch.rand(8, obs_size, generator=gen)
    zero = torch.zeros(8, obs_size)
    with torch.no_grad():
        gap = fn(a + b) - fn(a) - fn(b) + fn(zero)
        scale = fn(a).abs().mean() + 1e-3
    return bool(gap.abs().max() < 1e-4 * max(1.0, float(scale)))


def _check_structure(module, obs_size: int, num_actions: int, hidden_sizes: Sequence[int]) -> None:
    from ray.rllib.core.columns import Columns

    batch = _one_hot_batch(16, obs_size, seed=1)
    logits = module.forward_train(batch)[Columns.ACTION_DIST_INPUTS]
    policy = _linears_reached(module, logits)
    values = module.compute_values(batch)
    value = _linears_reached(module, values)
    wanted = [int(n) for n in hidden_sizes]
    if not policy:
        fail(
            "No nn.Linear layer gets a gradient from your logits; build the policy "
            "network from torch.nn.Linear layers (with activations between them)."
        )
    shared = [m for m in policy if any(m is v for v in value)]
    if shared:
        fail(
            f"Your policy and value networks share {len(shared)} linear layer(s) "
            f"({', '.join(str(m) for m in shared)}). The exercise asks for separate "
            "networks: give compute_values its own encoder (e.g. self.value_encoder), "
            "as RLlib's default does with vf_share_layers=False."
        )
    for what, layers, out_size in (("policy", policy, num_actions), ("value", value, 1)):
        outs = sorted(int(m.out_features) for m in layers)
        expected = sorted(wanted + [out_size])
        if outs != expected:
            fail(
                f"Your {what} network has {len(layers)} linear layer(s) with output sizes "
                f"{[int(m.out_features) for m in layers]}; the exercise asks for hidden layers "
                f"{wanted} and an output layer of {out_size}, that is {len(wanted) + 1} "
                f"linear layers."
            )
    if _is_affine(
        lambda x: module.forward_inference({Columns.OBS: x})[Columns.ACTION_DIST_INPUTS], obs_size
    ):
        fail(
            "Your policy network is a linear function of its input: stacked Linear "
            "layers without an activation between them collapse into one. Put an "
            "activation (nn.Tanh(), as RLlib's default, or nn.ReLU()) after each hidden layer."
        )
    if _is_affine(lambda x: module.compute_values({Columns.OBS: x}), obs_size):
        fail(
            "Your value network is a linear function of its input: put an activation "
            "(nn.Tanh() or nn.ReLU()) after each of its hidden layers."
        )


def _check_learning(module_class, iterations: int) -> dict:
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.models import ArenaPolicyValueModule
    from handson_rl.training.session import ray_session

    spec = MultiRLModuleSpec(
        rl_module_specs={
            "p1": RLModuleSpec(module_class=module_class),
            "p2": RLModuleSpec(module_class=ArenaPolicyValueModule),
        }
    )
    config = arena_ppo_config(
        seed=0,
        num_env_runners=0,
        num_envs_per_env_runner=4,
        train_batch_size=400,
        minibatch_size=200,
        num_epochs=2,
    ).rl_module(rl_module_spec=spec)
    with ray_session(num_cpus=2, log_to_driver=False):
        try:
            algo = config.build_algo()
        except Exception as err:
            fail(
                f"PPO could not build with {module_class.__name__} for agent1: "
                f"{type(err).__name__}: {str(err)[:300]}",
                err,
            )
        try:
            before = {k: v.detach().clone() for k, v in algo.get_module("p1").state_dict().items()}
            results = []
            for _ in range(iterations):
                try:
                    results.append(algo.train())
                except Exception as err:
                    fail(
                        _torch_hint(err) + f"PPO failed while training {module_class.__name__}: "
                        f"{type(err).__name__}: {str(err)[:300]}",
                        err,
                    )
            after = {k: v.detach().clone() for k, v in algo.get_module("p1").state_dict().items()}
        finally:
            algo.stop()
    return _check_trained(results, before, after, iterations)


def _check_trained(results: list, before: dict, after: dict, iterations: int) -> dict:
    """Finite losses and weights, and weights that changed: PPO trained the module."""
    import torch

    from handson_rl.training.results import env_steps, learner_stats

    stats = learner_stats(results[-1], "p1")
    for key in ("policy_loss", "vf_loss"):
        if not np.isfinite(stats.get(key, np.nan)):
            fail(
                f"agent1's {key} is {_number(stats.get(key))} after training: something in your module gives NaN."
            )
    if any(not torch.isfinite(w).all() for w in after.values() if w.is_floating_point()):
        fail("Some of your module's weights became NaN or infinite during training.")
    if all(torch.equal(before[k], after[k]) for k in before):
        fail(
            "Your module's weights did not change during training. Are the layers "
            "assigned to self (self.encoder = ...) so that PyTorch and the optimizer see them?"
        )
    return {
        "iterations": iterations,
        "policy_loss": float(stats["policy_loss"]),
        "vf_loss": float(stats["vf_loss"]),
        "env_steps": env_steps(results[-1]),
    }


def check_exercise4_module(module_class, hidden_sizes: Sequence[int] = HIDDEN_SIZES):
    """The part of :func:`check_exercise4` before training, without Ray.

    Checks the class and its methods, builds it for the arena's spaces and for
    other ones (sizes must come from the spaces), runs its forward passes and
    checks its structure: separate policy and value networks with ``hidden_sizes``
    hidden layers. Returns the module built for the arena; raises
    :class:`ExerciseError` with what to fix.
    """
    _check_class(module_class)
    arena = _build(module_class, 200, 4)
    _check_forward_passes(arena, 200, 4)
    # Other spaces: catches sizes written into the code instead of read from the spaces.
    other = _build(module_class, 30, 5)
    _check_forward_passes(other, 30, 5)
    _check_structure(arena, 200, 4, hidden_sizes)
    return arena


@checker
def check_exercise4(
    module_class, hidden_sizes: Sequence[int] = HIDDEN_SIZES, iterations: int = 2
) -> dict:
    """Check Exercise 4: ``module_class`` is a PPO-ready RLModule with separate
    policy and value networks, each with ``hidden_sizes`` hidden layers.

    Raises :class:`ExerciseError` with what to fix; on success prints a summary and
    returns the figures of the short training run.
    """
    from handson_rl.training.models import count_parameters

    arena = check_exercise4_module(module_class, hidden_sizes)
    summary = _check_learning(module_class, iterations)
    summary["weights"] = count_parameters(arena)
    print(
        f"Exercise 4 passed: {module_class.__name__} has separate policy and value "
        f"networks with hidden layers {[int(n) for n in hidden_sizes]} ({summary['weights']:,} weights), "
        f"and PPO trained it for {iterations} tiny iterations (weights changed, "
        f"policy loss {summary['policy_loss']:.3f}, value loss {summary['vf_loss']:.2f})."
    )
    from handson_rl.progress import record

    record("exercise4")  # the learner's progress file (python -m handson_rl.progress_report)
    return summary
