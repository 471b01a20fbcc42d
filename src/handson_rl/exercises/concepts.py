"""Concept checks: predict, then run.

At the places where a result surprises or an idea matters, a chapter asks a
question *before* the cell that shows the answer. You answer with the buttons
(in JupyterLab) or with one line::

    ask("ch2-truncated")           # shows the question (and, in JupyterLab, buttons)
    check("ch2-truncated", "b")    # your answer: says why it is right or wrong

Every choice has its own explanation, so a wrong answer tells you what the
misconception was. A right answer is recorded in your progress file
(:mod:`handson_rl.progress`). On the website the question is shown with the
answer folded below it (:func:`reveal`, added by the site build after each cell
tagged ``concept``).

The questions are written once, here; ``tests/test_concepts.py`` checks each
answer against the game, the trained agents or the formula it rests on.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from handson_rl.frontend import mode
from handson_rl.progress import Item, record


class ConceptCheckError(ValueError):
    """A concept check called with an unknown question or an answer that is not a choice."""


@dataclass(frozen=True)
class Question:
    id: str
    chapter: int
    title: str  # a few words, for the progress report
    prompt: str  # markdown
    choices: dict  # letter -> choice (markdown)
    answer: str  # the right letter
    why: dict = field(default_factory=dict)  # letter -> why it is right / wrong

    def __post_init__(self):
        if self.answer not in self.choices:
            raise ValueError(
                f"{self.id}: answer {self.answer!r} is not one of {list(self.choices)}"
            )
        missing = [c for c in self.choices if not self.why.get(c)]
        if missing:
            raise ValueError(f"{self.id}: no explanation for choice(s) {missing}")

    @property
    def item(self) -> Item:
        """This check as an item of the learner's progress file."""
        return Item(self.id, self.chapter, "concept", f"concept check: {self.title}")


_QUESTIONS = [
    # ------------------------------------------------------------------ chapter 1
    Question(
        id="ch1-discount",
        chapter=1,
        title="a discounted return by hand",
        prompt=(
            "An episode's rewards are `[1, 1, 1, -5]`. With the discount factor "
            "$\\gamma = 0.5$, what is the discounted return from the first step?"
        ),
        choices={
            "a": "-2.0, the plain sum: discounting does not change a sum",
            "b": "positive, a little above +1",
            "c": "about -0.6: only the last reward is discounted",
            "d": "0: the discount cancels the -5 exactly",
        },
        answer="b",
        why={
            "a": "-2.0 is the return with $\\gamma = 1$. With $\\gamma = 0.5$ the k-th reward is "
            "weighted by 0.5^k, so later rewards count less.",
            "b": "1 + 0.5 + 0.25 + 0.125 x (-5) = 1.75 - 0.625 = +1.125: the -5 three steps ahead "
            "weighs only an eighth, so the early rewards win.",
            "c": "Every reward is weighted, by 0.5^k for the k-th: 1, 0.5, 0.25, 0.125. The "
            "first three add up to +1.75, and -5 x 0.125 = -0.625 leaves +1.125.",
            "d": "Nothing cancels exactly: 1 + 0.5 + 0.25 = 1.75 against 0.125 x 5 = 0.625, "
            "so the return is +1.125.",
        },
    ),
    # ------------------------------------------------------------------ chapter 2
    Question(
        id="ch2-truncated",
        chapter=2,
        title="which flag ends an episode at step 100",
        prompt=(
            "An episode lasts 100 steps. Right after the **100th** `env.step(...)`, what do "
            "`terminateds` and `truncateds` say?"
        ),
        choices={
            "a": '`terminateds["__all__"]` is True: the game is over',
            "b": '`truncateds["__all__"]` is True and `terminateds["__all__"]` stays False',
            "c": "both are True",
            "d": "neither: the 101st `step()` raises an error, and that is how a loop ends",
        },
        answer="b",
        why={
            "a": "*Terminated* means the game itself reached an end state (a goal, a crash). "
            "Nothing in MultiAgentArena ends the game; the clock cuts it off, so "
            "`terminateds` stays False all episode.",
            "b": "A time limit cuts the episode off while the game could go on: gymnasium calls "
            "that *truncation*. Learning then bootstraps the value of the last state "
            "instead of treating it as worth nothing.",
            "c": "The two flags are kept apart on purpose: a time limit is truncation only. "
            "With `terminateds` True as well, an algorithm would treat the last state as a "
            "real end, worth nothing, which is what the two flags exist to avoid.",
            "d": "`step()` does raise after the end (`ArenaStateError`), but only because the "
            "episode has already ended: the 100th step returns "
            '`truncateds["__all__"] = True`, and that is what your loop stops on.',
        },
    ),
    Question(
        id="ch2-catches",
        chapter=2,
        title="how many catches lie behind agent2's return",
        prompt=(
            "The next cell plays many random episodes. A random agent2's mean return comes out "
            "at about **-9**. agent2 earns +1.0 per step with a collision and -0.1 per step "
            "without, over 100 steps. About how many times per episode does a random agent2 "
            "catch agent1?"
        ),
        choices={
            "a": "never: the return is negative",
            "b": "about once",
            "c": "about 9 times",
            "d": "about 90 times",
        },
        answer="b",
        why={
            "a": "Negative does not mean none: with no catch at all the return would be exactly "
            "100 x -0.1 = **-10.0**. The -9 is a little above that.",
            "b": "With *c* catches in 100 steps the return is 1.0 c - 0.1 (100 - c) = 1.1 c - 10. "
            "A return of -9 gives c = 0.9: about one catch per episode, and many "
            "episodes with none.",
            "c": "9 catches would give 1.1 x 9 - 10 = **-0.1**, close to zero, not -9.",
            "d": "90 catches would give a return of **+89**. A random walk on a 100-cell board "
            "rarely even meets agent1.",
        },
    ),
    Question(
        id="ch2-observation",
        chapter=2,
        title="what agent1 observes when it comes back",
        prompt=(
            "At step 5 agent1 stands on cell 34 and agent2 on cell 99. At step 60 the two are "
            "on exactly the same cells again, but by now agent1 has covered half the board. "
            "What does agent1 *observe* at the two moments?"
        ),
        choices={
            "a": "the same observation, `[34, 99]`, both times",
            "b": "two different observations: the step number is part of it",
            "c": "two different observations: the cells it has visited are part of it",
        },
        answer="a",
        why={
            "a": "agent1 observes two cell numbers and nothing else. Its reward depends on the "
            "cells it has visited (+1.0 for a new one, -0.5 for an old one), but those are "
            "not in the observation: the problem is *partially observed*, and a policy "
            "must act the same way at both moments.",
            "b": "The observation space is `MultiDiscrete([100, 100])`: two cell indices, no "
            "clock. The step count is in the env's state, not in what the agent sees.",
            "c": "The visited cells decide agent1's reward, yet they are not in its observation "
            "(two numbers only). That gap is exactly what makes the problem partially "
            "observed.",
        },
    ),
    # ------------------------------------------------------------------ chapter 3
    Question(
        id="ch3-clip",
        chapter=3,
        title="what clipping does to a wrong step",
        prompt=(
            "A *bad* action (advantage below 0) has, within this update, become **1.5 times** "
            "as likely as under the old policy: a step in the wrong direction. With RLlib's "
            "$\\epsilon = 0.3$, what does PPO's clipped objective do for this sample?"
        ),
        choices={
            "a": "nothing: 1.5 is outside [0.7, 1.3], so the sample is clipped and its gradient is zero",
            "b": "it still pushes the action's probability down, as hard as without clipping",
            "c": "it pushes the probability down only as far as 1.3",
        },
        answer="b",
        why={
            "a": "Clipping stops the *reward* for going further in the helpful direction. Here "
            "the step went the wrong way: the min picks the unclipped, more pessimistic "
            "term 1.5 x A (below 1.3 x A for A < 0), so the gradient is that of plain "
            "policy gradient.",
            "b": "min(r A, clip(r, 0.7, 1.3) A) with A < 0 and r = 1.5 is r A: the unclipped "
            "term. PPO never stops correcting a mistake; it only stops rewarding a "
            "change that already went far enough.",
            "c": "The objective does not target a ratio. For this sample it is r A, so its "
            "gradient pushes r down for as long as the sample is trained on, not to 1.3.",
        },
    ),
    # ------------------------------------------------------------------ chapter 4
    Question(
        id="ch4-shared-input",
        chapter=4,
        title="what one shared module answers both agents",
        prompt=(
            "Both agents use the one shared module. At one moment agent1 is on cell 44 and "
            "agent2 on cell 45; at another, agent2 is on 44 and agent1 on 45. In both, the "
            "agent on 44 asks the module for its action probabilities. What does it answer?"
        ),
        choices={
            "a": "the same probabilities both times",
            "b": "different ones: RLlib tells the module which agent is asking",
            "c": "different ones: the two agents see different observations",
        },
        answer="a",
        why={
            "a": "Both askers observe `[own cell, other cell]` = `[44, 45]`: one input, so one "
            "answer, whoever asks. The chaser wants to step right (onto the explorer), the "
            "explorer anything but right, and a shared network cannot serve both.",
            "b": "The module gets the observation and nothing else; RLlib does not add the "
            "agent id. (Adding it to the observation is the usual fix for sharing.)",
            "c": "Each agent observes `[own cell, other cell]`, and here both are on 44 with the "
            "other on 45: the two observations are identical.",
        },
    ),
    # ------------------------------------------------------------------ chapter 5
    Question(
        id="ch5-inference-output",
        chapter=5,
        title="what an env runner's forward pass returns",
        prompt=(
            "The env runner's copy of agent1's module runs `forward_inference` on one "
            "observation. Besides the action logits, what does its output dict hold?"
        ),
        choices={
            "a": "nothing else: only the logits (`action_dist_inputs`)",
            "b": "the value of the state too, which PPO needs for its advantages",
            "c": "the sampled action",
        },
        answer="a",
        why={
            "a": "The env runner's copy is *inference only*: it has the policy part and no "
            "value network. Values come from `compute_values()`, which the learner calls "
            "on its own full copy; the action is sampled afterwards, from the logits.",
            "b": "PPO does need values, but the learner computes them, with `compute_values()` "
            "on its full copy (value network included). The env runner's copy has no "
            "value network at all.",
            "c": "The module returns the *inputs* of the action distribution, the logits. "
            "Turning them into an action (sampling, or taking the most likely one) "
            "happens after the forward pass, in RLlib's connectors, or in our next cell.",
        },
    ),
    Question(
        id="ch5-softmax",
        chapter=5,
        title="a probability from logits by hand",
        prompt=(
            "Suppose the logits for up, right, down, left were `[2.0, 0.0, 0.0, 0.0]`. How "
            "likely is the policy to pick **up**?"
        ),
        choices={
            "a": "100%: up has the only non-zero logit",
            "b": "about 71%",
            "c": "50%: 2.0 is half of the 4.0 units a policy can spread",
            "d": "about 25%: a logit is not a probability yet",
        },
        answer="b",
        why={
            "a": "A logit of 0.0 is not a probability of 0: the softmax gives each action "
            "exp(logit) / sum of exp(logits), and exp(0) = 1. Up gets most, not all.",
            "b": "softmax: exp(2) / (exp(2) + 3 exp(0)) = 7.39 / 10.39 = 0.71; the other three "
            "get 0.096 each.",
            "c": "Logits are not shares of a budget; they are unnormalised log-probabilities. "
            "The softmax turns them into probabilities: exp(2) / (exp(2) + 3) = 0.71.",
            "d": "Right that a logit is not a probability, but the softmax does not flatten "
            "them to equal shares: a logit 2.0 above the others makes up about 7.4 times "
            "as likely as each of them, 0.71 in all.",
        },
    ),
    # ------------------------------------------------------------------ chapter 6
    Question(
        id="ch6-evaluation-explore",
        chapter=6,
        title="how agents act in RLlib's evaluation",
        prompt=(
            "`algo.evaluate()` plays a fixed number of episodes with the current weights and "
            "no learning. With RLlib's defaults, how do the agents choose their actions there?"
        ),
        choices={
            "a": "greedily: always the most likely action, to measure the policy's best",
            "b": "by sampling from their action probabilities, as in training",
            "c": "at random, to compare with a baseline",
        },
        answer="b",
        why={
            "a": "That needs `explore=False` in the evaluation config. RLlib's default is "
            "`explore=True`, in evaluation too: the policy PPO learns is a probability "
            "distribution, and greedy play is a different policy.",
            "b": "`explore=True` is RLlib's default and the evaluation config inherits it: the "
            "agents act as they were trained, by sampling.",
            "c": "Evaluation plays the trained policy; a random baseline is something you run "
            "yourself (chapter 2), not what `evaluate()` does.",
        },
    ),
    Question(
        id="ch6-greedy",
        chapter=6,
        title="greedy versus sampled play",
        prompt=(
            "The next cell plays the same episodes with the agents sampling their actions (as "
            "trained) and with the agents always taking their most likely action (greedy). "
            "What happens to agent1's mean return with greedy play?"
        ),
        choices={
            "a": "it rises: no more random missteps",
            "b": "about the same: the most likely action is what sampling picks most often anyway",
            "c": "it falls, by a lot",
        },
        answer="c",
        why={
            "a": "The 'missteps' are what keep agent1 off its own trail. It sees positions "
            "only, so its most likely moves trace a fixed route that runs into a loop over "
            "visited cells (-0.5 a step); sampling takes it off the loop.",
            "b": "Sampling picks the most likely action most often, but not always, and the "
            "other choices matter: without them agent1 follows one fixed route, loops over "
            "old cells, and a greedy agent2 predicts and catches it more often.",
            "c": "A greedy agent1 follows one fixed route into a loop over visited cells, and a "
            "predictable agent1 is easy for agent2 to catch. PPO trained a stochastic "
            "policy; the greedy one is a different policy, and a worse one here.",
        },
    ),
    # ------------------------------------------------------------------ chapter 7
    Question(
        id="ch7-asha-rungs",
        chapter=7,
        title="when ASHA may stop a trial",
        prompt=(
            "The full course runs ASHA with `grace_period=2`, `reduction_factor=2` and "
            "`max_t=16`. After which iterations may ASHA stop a trial early?"
        ),
        choices={
            "a": "after iterations 2, 4 and 8",
            "b": "after every second iteration: 2, 4, 6, ..., 14",
            "c": "only after iteration 16",
            "d": "after iterations 2 and 8",
        },
        answer="a",
        why={
            "a": "The rungs start at `grace_period` and grow by `reduction_factor`: 2, 4, 8 (16 "
            "is `max_t`, where every trial stops anyway). At each rung a trial goes on "
            "only if it is in the best half of those that got there before it.",
            "b": "The rungs grow *geometrically*, by `reduction_factor` each time, not by a fixed "
            "step: 2, then 2 x 2 = 4, then 8.",
            "c": "At `max_t` every trial stops, good or bad; that is not an early stop. The "
            "early stops happen at the rungs below it: 2, 4 and 8.",
            "d": "That would be a reduction factor of 4 (2, then 8). With 2, the rungs are "
            "2, 4 and 8.",
        },
    ),
    # ----------------------------------------------------------------- chapter 12
    Question(
        id="ch12-random-row",
        chapter=12,
        title="what the random-vs-random row shows",
        prompt=(
            "The table below has a row **random vs random**: both agents move at random, over "
            "many seeded episodes. What will agent2's mean return be in that row?"
        ),
        choices={
            "a": "about -9, chapter 2's baseline",
            "b": "exactly -10.0",
            "c": "about 0",
            "d": "it depends on how well your agents trained",
        },
        answer="a",
        why={
            "a": "Two random players are chapter 2's setting again: about one catch in an "
            "episode (+1.0) and -0.1 on every other step, so about -9, give or take the "
            "standard error.",
            "b": "-10.0 is an agent2 that never catches anyone in any episode (100 x -0.1). "
            "Random play bumps into agent1 about once per episode, so the mean is a little "
            "above -10.",
            "c": "About 0 would need about 9 catches per episode (1.1 x 9 - 10 = -0.1); a random "
            "walk manages about one.",
            "d": "No trained agent plays in that row. It measures the game with two random "
            "players: the yardstick the other rows are read against.",
        },
    ),
    Question(
        id="ch12-chaser",
        chapter=12,
        title="which agent2 catches the trained agent1 more",
        prompt=(
            "Against the **trained agent1**, which agent2 will have the higher return: the "
            "trained agent2 (row 1) or a random agent2 (row 2)?"
        ),
        choices={
            "a": "the trained agent2",
            "b": "the random agent2: a random chaser is harder for agent1 to predict",
            "c": "neither: the two are about the same, a chaser cannot learn much here",
        },
        answer="a",
        why={
            "a": "agent2 trained against this very agent1 and learned where it tends to go, so "
            "it catches it more often than chance does. (Against a *random* agent1, rows 3 "
            "and 4, its edge is much smaller: it learned this opponent, not chasing in "
            "general.)",
            "b": "Unpredictability helps the one being chased, not the chaser: what decides "
            "catches is whether agent2 is where agent1 is going, and a random agent2 is "
            "there only by chance.",
            "c": "agent2's return rises during training (chapter 3's curve), and the table "
            "shows it: the trained agent2 scores clearly above a random one against the "
            "trained agent1.",
        },
    ),
    Question(
        id="ch12-episodes",
        chapter=12,
        title="how the ± shrinks with more episodes",
        prompt=(
            "Each entry is a mean over N episodes, `mean ± standard error`. If you ran "
            "**four times as many** episodes per match-up, the ± would become about..."
        ),
        choices={
            "a": "half as large",
            "b": "a quarter as large",
            "c": "the same: more episodes do not change how noisy one episode is",
        },
        answer="a",
        why={
            "a": "The standard error of a mean is the spread of single episodes divided by "
            "the square root of N: four times the episodes, half the ±. Precision is "
            "expensive: halving it again takes 16 times the episodes.",
            "b": "That would need the ± to fall like 1/N; it falls like 1/sqrt(N). Four times "
            "the episodes halves it.",
            "c": "Right that single episodes stay as noisy (their spread does not change), but "
            "the ± is the uncertainty of the *mean*, which shrinks like 1/sqrt(N).",
        },
    ),
    # ------------------------------------------- chapters 7, 10, 11 (issue 24, part B)
    Question(
        id="ch7-trial-cpus",
        chapter=7,
        title="how many CPUs one trial reserves",
        prompt=(
            "The course config has **2 remote env runners** (one CPU each) and the default "
            "`num_learners=0`. How many CPUs does Tune reserve for **one trial** of it?"
        ),
        choices={
            "a": "2: one per env runner",
            "b": "3: the trial's own process and its two env runners",
            "c": "1: a trial is one process",
            "d": "none: Tune starts a trial at once and lets the processes share the cores",
        },
        answer="b",
        why={
            "a": "The env runners are not all: the trial's main process runs the Algorithm and, "
            "with `num_learners=0`, the learner too, and Tune reserves a CPU for it as "
            "well: 1 + 2 = 3.",
            "b": "One CPU for the trial's main process (the Algorithm, with the learner in it) "
            "plus one per remote env runner: 3. On a 2-CPU laptop such a trial never "
            "starts; with `num_env_runners=0` a trial needs 1 and two run side by side.",
            "c": "A trial with remote env runners is several processes (Ray actors), and Tune "
            "reserves CPUs for all of them before it starts it: 1 + 2 = 3.",
            "d": "Tune starts a trial only when all the CPUs it asks for are free; that is why "
            "a trial that asks for more than the machine has never starts.",
        },
    ),
    Question(
        id="ch10-sgd-steps",
        chapter=10,
        title="SGD steps in one iteration",
        prompt=(
            "PPO with `train_batch_size_per_learner=2000`, `minibatch_size=500` and "
            "`num_epochs=10`, one Learner, two modules (p1 and p2). How many minibatch "
            "updates does the Learner make in one training iteration?"
        ),
        choices={
            "a": "10: one per epoch",
            "b": "40: 2000 / 500 = 4 minibatches per epoch, 10 epochs",
            "c": "4: one pass over the batch in minibatches of 500",
            "d": "80: 40 for each of the two modules, one after the other",
        },
        answer="b",
        why={
            "a": "One update per epoch would be a minibatch as large as the batch "
            "(`minibatch_size=2000`, what the course uses). With 500, each epoch is cut "
            "into 2000 / 500 = 4 minibatches: 40 updates.",
            "b": "`num_epochs` passes over the batch, each in `2000 / 500 = 4` minibatches: "
            "10 x 4 = 40 updates. Smaller minibatches mean more, noisier updates for the "
            "same samples.",
            "c": "That is one epoch; `num_epochs=10` repeats the pass ten times (with the "
            "batch reshuffled), so 40 updates.",
            "d": "A multi-agent minibatch holds up to 500 rows of *each* module, and one "
            "update steps every module at once: 40 in all, not 40 per module in turn.",
        },
    ),
    Question(
        id="ch10-third-runner",
        chapter=10,
        title="a third actor on two CPUs",
        prompt=(
            "`ray.init(num_cpus=2)`, and an algorithm with 2 remote env runners (1 CPU each) "
            "is built and alive. Now something asks Ray for one more actor with 1 CPU (an "
            "evaluation env runner, say). What does Ray do?"
        ),
        choices={
            "a": "starts it anyway: the operating system shares the two cores among three processes",
            "b": "raises an error at once: not enough CPUs",
            "c": "waits until a CPU is free, without an error, for ever if none is released",
            "d": "stops one of the two env runners to make room",
        },
        answer="c",
        why={
            "a": "Ray's CPUs are reservations, not measurements: it starts an actor only when "
            "the CPUs it asks for are free in its books, whatever the cores are doing.",
            "b": "Ray does not refuse: the request stays pending, without an error. (The "
            "course's `make_room` turns that into an error for the course's own configs; "
            "plain RLlib does not.)",
            "c": "The actor stays pending until a CPU is released; if nothing ends, it waits "
            "for ever. That is why a second build while the first algorithm is alive can "
            "hang, and why you stop one (`algo.stop()`) before building the next.",
            "d": "Ray never stops a running actor to make room for another; it only schedules "
            "new ones onto free resources.",
        },
    ),
    Question(
        id="ch11-same-process",
        chapter=11,
        title="where the env runs with 0 env runners",
        prompt=(
            "With `num_env_runners=0` (and the default `num_learners=0`), in which process "
            "does your env's `step()` run during training?"
        ),
        choices={
            "a": "in one remote env runner: 0 means the minimum, one",
            "b": "in the notebook's own process",
            "c": "in the learner's process, a separate Ray actor",
            "d": "in a new process for each episode",
        },
        answer="b",
        why={
            "a": "0 means no *remote* env runner: the Algorithm samples with its local "
            "EnvRunner, which lives in the driver, the notebook's process.",
            "b": "No remote env runners: the Algorithm's local EnvRunner steps the env in the "
            "driver, and with `num_learners=0` the Learner is there too. So `pdb`, "
            "`%debug` and `print` all work inside your env.",
            "c": "With `num_learners=0` the Learner is not an actor either; it also lives in "
            "the driver. And sampling is done by an EnvRunner, not the Learner.",
            "d": "RLlib keeps its envs for the whole run and resets them between episodes; "
            "with no remote env runners they are in the driver's process.",
        },
    ),
    Question(
        id="ch11-first-step",
        chapter=11,
        title="which call steps the env first",
        prompt=(
            "With `num_env_runners=0`, which of these calls makes your env's **first** `step()`?"
        ),
        choices={
            "a": "the first `algo.train()`, when sampling starts",
            "b": "`config.build_algo()`: RLlib's env checker steps the env once",
            "c": "`config.environment(...)`, when the env is registered",
            "d": "none of them: RLlib only calls `reset()` before training",
        },
        answer="b",
        why={
            "a": "Before any training, building the algorithm creates the local EnvRunner, "
            "which runs RLlib's env checker on the env: a reset and one random step.",
            "b": "`build_algo()` creates the EnvRunner, whose `make_env` runs "
            "`check_multiagent_environments`: it resets the env and takes one random "
            "step. A bug in `step()` can therefore fail the *build*.",
            "c": "`.environment(...)` only records the env's name and config in the "
            "AlgorithmConfig; no env exists yet.",
            "d": "RLlib's env checker takes one random step while the algorithm is built, "
            "to check what `step()` returns.",
        },
    ),
    # ------------------------------------------- chapters 1, 3, 4, 8, 9 (issue 24, part A)
    Question(
        id="ch1-cartpole-return",
        chapter=1,
        title="CartPole's return and its length",
        prompt=(
            "CartPole gives a reward of **+1 for every step**, the last one included. The next "
            "cell plays one episode at random and prints its length and its (undiscounted) "
            "return. How do the two numbers compare?"
        ),
        choices={
            "a": "the return equals the number of steps",
            "b": "the return is one less: the step on which the pole falls earns nothing",
            "c": "the return is a little smaller: returns are discounted by 0.99",
            "d": "they are unrelated: the return depends on how well the pole was balanced",
        },
        answer="a",
        why={
            "a": "+1 per step for every step, the falling one too, adds up to the episode's "
            "length. In CartPole a longer episode *is* a better one, which is why its return "
            "is the usual yardstick.",
            "b": "Gymnasium's CartPole pays +1 on the terminating step as well (only a step "
            "*after* the end would earn 0, with a warning). So the sum is the length.",
            "c": "The loop adds the rewards as they come, `episode_return += reward`: a plain "
            "sum. Discounting is a training target's business; the course reports "
            "undiscounted returns.",
            "d": "Every step earns the same +1 whatever the pole's angle, so only the number "
            "of steps counts: the return is the length.",
        },
    ),
    Question(
        id="ch3-batch-per-learner",
        chapter=3,
        title="how many steps two learners train on",
        prompt=(
            "The course's config says `train_batch_size_per_learner=2000`. Give it two "
            "learners, `.learners(num_learners=2)`. How many env steps does one iteration "
            "then collect in all?"
        ),
        choices={
            "a": "2,000: the batch size is the batch size",
            "b": "4,000: each learner gets its own 2,000",
            "c": "1,000: the 2,000 are split between the two learners",
            "d": "none: building fails, two learners need a GPU",
        },
        answer="b",
        why={
            "a": "That is what `train_batch_size` (the older, total figure) would give. The "
            "course sets the *per-learner* figure: every learner trains on its own "
            "2,000, so the total is 2,000 x 2.",
            "b": "`total_train_batch_size` = `train_batch_size_per_learner` x the number of "
            "learners = 2,000 x 2. Adding learners adds data per iteration, unless you "
            "shrink the per-learner batch.",
            "c": "Splitting is what happens to `train_batch_size` when it is the only figure "
            "given (2,000 total, 1,000 per learner). The per-learner figure is not split.",
            "d": "Learners run on CPUs too (`num_gpus_per_learner=0` by default); each is a "
            "process that needs a CPU, which is why a 2-core laptop keeps `num_learners=0`.",
        },
    ),
    Question(
        id="ch4-frozen",
        chapter=4,
        title="which weights a frozen module keeps",
        prompt=(
            "The config below lists only `p1` in `policies_to_train`; `p2` still plays agent2 "
            "in every episode. After a few iterations, whose weights (as the learner holds "
            "them) have changed?"
        ),
        choices={
            "a": "p1's only; p2's are exactly as they were built",
            "b": "both: p2 plays, so its experience trains it too",
            "c": "p1's a lot, p2's a little: a frozen module learns slowly",
            "d": "neither: one frozen module stops the whole update",
        },
        answer="a",
        why={
            "a": "The learner updates a module only if it is in `policies_to_train` "
            "(`Learner.should_module_be_updated`). p2 still acts and its episodes are "
            "collected, but no gradient step touches it: its weights stay bit for bit.",
            "b": "Playing is not learning. p2's experience is sampled, but the learner skips "
            "modules that are not in `policies_to_train`: no loss, no gradient step.",
            "c": "There is no 'slow' for a frozen module: it is left out of the update "
            "entirely. A smaller learning rate for one module is a different tool "
            "(the per-module `lr` above).",
            "d": "The other modules train as usual; `policies_to_train` only picks which "
            "ones. That is what makes a fixed opponent possible.",
        },
    ),
    Question(
        id="ch8-custom-data",
        chapter=8,
        title="where a callback keeps an episode's count",
        prompt=(
            "`ArenaMetrics` counts new cells in `episode.custom_data`, not in an attribute "
            "of the callback (`self.count`). Why?"
        ),
        choices={
            "a": "RLlib makes one callback object per env runner and uses it for all the "
            "episodes that runner plays, several at once",
            "b": "RLlib resets the callback's attributes after every step",
            "c": "`custom_data` is sent to the learner with the batch, `self` is not",
            "d": "no reason but style: `self.count` would work the same",
        },
        answer="a",
        why={
            "a": "One object, many episodes: with 16 boards per env runner, 16 episodes run "
            "side by side through the same callback. A count on `self` would add them "
            "all up; `episode.custom_data` belongs to one episode.",
            "b": "RLlib does not touch the callback's attributes; they live as long as the env "
            "runner. That is exactly the trouble: they are shared by every episode it plays.",
            "c": "`custom_data` stays with the episode on the env runner; the metric reaches "
            "the results through `metrics_logger`, not the training batch.",
            "d": "It would not: the callback object serves all the episodes of its env runner "
            "at once, so `self.count` mixes the episodes up.",
        },
    ),
    Question(
        id="ch8-reduce-mean",
        chapter=8,
        title="what a metric logged with reduce='mean' shows",
        prompt=(
            "In one iteration three episodes finish, with 30, 40 and 50 new cells; "
            "`on_episode_end` logs each with `metrics_logger.log_value(NEW_FIELDS, n, "
            'reduce="mean")`. What does that iteration\'s result show under '
            '`result["env_runners"][NEW_FIELDS]` (one env runner)?'
        ),
        choices={
            "a": "40: the mean of the iteration's episodes",
            "b": "120: the sum of the iteration's episodes",
            "c": "50: the last value logged",
            "d": "the mean of every episode since training began",
        },
        answer="a",
        why={
            "a": '`reduce="mean"` averages the values logged during the iteration, then '
            "starts afresh: (30 + 40 + 50) / 3 = 40, a per-episode number.",
            "b": 'That would be `reduce="sum"`. The mean keeps the metric per episode, '
            "whatever the number of episodes in an iteration.",
            "c": "RLlib keeps every value of the iteration and reduces them; none is dropped.",
            "d": "The values are cleared after each iteration's reduction. Old episodes "
            "linger only without `reduce=`: then RLlib keeps an exponential moving "
            "average, which mostly reflects the episodes of earlier iterations.",
        },
    ),
    Question(
        id="ch9-parameters",
        chapter=9,
        title="how many weights a bigger policy network has",
        prompt=(
            "The next cell resizes the network to three hidden layers of 128 units "
            "(`fcnet_hiddens=[128, 128, 128]`, 200 inputs, 4 actions) and prints the weights "
            "of the env runner's copy of agent1's module. About how many?"
        ),
        choices={
            "a": "about 59,000",
            "b": "about 118,000",
            "c": "about 49,000",
            "d": "about 17,000",
        },
        answer="a",
        why={
            "a": "200 x 128 + 128, then twice 128 x 128 + 128, then the head 128 x 4 + 4: "
            "25,728 + 33,024 + 516 = 59,268. The first layer is the biggest: 200 inputs.",
            "b": "That counts the value network too (its encoder is as big again). The env "
            "runner's copy acts only, so it has no value network: about 59,000.",
            "c": "3 x 128 x 128 = 49,152 forgets that the first layer has 200 inputs, not 128, "
            "and the biases and the head: 25,728 + 33,024 + 516 = 59,268.",
            "d": "About 17,000 (17,284) is the course's [64, 64] network. Doubling the width "
            "roughly quadruples the middle layers, and there is a third one.",
        },
    ),
    Question(
        id="ch9-untrained",
        chapter=9,
        title="what an untrained module wants to do",
        prompt=(
            "The next cell feeds three observations to the freshly built, **untrained** "
            "module and prints its action probabilities. What do they look like?"
        ),
        choices={
            "a": "all near 0.25: the untrained agent moves almost at random",
            "b": "exactly 0.25 everywhere: the weights start at zero",
            "c": "one action near 1 in each row: random weights make strong, arbitrary choices",
        },
        answer="a",
        why={
            "a": "PyTorch's default initialisation keeps the logits small, so the softmax of "
            "four small numbers is close to 0.25 each, but not exactly: every cell gets "
            "its own slight preferences, which training then grows.",
            "b": "The weights start random, not at zero (zero weights could never learn "
            "different features). The probabilities are close to 0.25, not equal.",
            "c": "The initial weights are small, so the logits are small and the softmax "
            "nearly flat. Strong preferences are what training builds.",
        },
    ),
]

#: Every concept check, by id.
QUESTIONS: dict[str, Question] = {q.id: q for q in _QUESTIONS}


def question(qid: str) -> Question:
    """The question ``qid``, or a clear error listing the ones that exist."""
    try:
        return QUESTIONS[qid]
    except (KeyError, TypeError):
        raise ConceptCheckError(
            f"There is no concept check {qid!r}. The course has: {', '.join(QUESTIONS)}."
        ) from None


def _letter(q: Question, choice) -> str | None:
    """The normalised letter of ``choice`` (None for "not answered yet")."""
    if choice is None:
        return None
    if not isinstance(choice, str):
        raise ConceptCheckError(
            f"Answer {q.id!r} with a letter in quotes, one of {list(q.choices)}, "
            f'e.g. check("{q.id}", "{next(iter(q.choices))}"); got {choice!r}.'
        )
    letter = choice.strip().lower().rstrip(").").strip()
    if letter in ("", "?", "..."):
        return None
    if letter not in q.choices:
        raise ConceptCheckError(
            f"{choice!r} is not one of the choices of {q.id!r}: use one of {list(q.choices)}."
        )
    return letter


def question_markdown(qid: str, how_to_answer: bool = True) -> str:
    q = question(qid)
    lines = [f"**Predict, then run** (`{q.id}`): {q.prompt}", ""]
    lines += [f"- **{letter})** {text}" for letter, text in q.choices.items()]
    if how_to_answer:
        lines += [
            "",
            f'*Your answer:* `check("{q.id}", "a")` with your letter, '
            "before you run the next cell.",
        ]
    return "\n".join(lines)


def question_text(qid: str) -> str:
    """The question as plain text (for a terminal)."""
    q = question(qid)
    lines = [f"Predict, then run ({q.id}): {_plain(q.prompt)}"]
    lines += [f"  {letter}) {_plain(text)}" for letter, text in q.choices.items()]
    return "\n".join(lines)


def _plain(markdown: str) -> str:
    """Markdown as plain text: no emphasis, code or maths marks (``$\\gamma$`` -> ``gamma``)."""
    return re.sub(r"[*`$\\]", "", markdown)


def feedback(qid: str, choice) -> tuple[bool | None, str]:
    """``(right?, explanation)`` for an answer; ``(None, how to answer)`` if there is none."""
    q = question(qid)
    letter = _letter(q, choice)
    if letter is None:
        return None, (
            f"Not answered yet. {question_text(qid)}\n"
            f'Answer with check("{q.id}", "a"), using your letter.'
        )
    if letter == q.answer:
        return True, f"Right ({letter}). {_plain(q.why[letter])}"
    return False, (
        f"Not quite ({letter}): {_plain(q.why[letter])}\n"
        f"Think again and try another letter, or run the next cell and see."
    )


def check(qid: str, choice) -> bool | None:
    """Your answer to a concept check: prints why it is right or wrong; True if right.

    A right answer is recorded in your progress file. ``check(qid, "?")`` (or None)
    prints the question again without judging.
    """
    ok, text = feedback(qid, choice)
    print(text)
    if ok:
        record(question(qid).item)
    return ok


def answer_markdown(qid: str) -> str:
    """The answer with every choice's explanation (the website folds this)."""
    q = question(qid)
    lines = [f"**Answer: {q.answer})** {q.choices[q.answer]}. {q.why[q.answer]}", ""]
    for letter, text in q.choices.items():
        if letter != q.answer:
            lines.append(f"- **{letter})** {text}: {q.why[letter]}")
    return "\n".join(lines)


def reveal(qid: str) -> None:
    """Display the answer and why each other choice is wrong."""
    text = answer_markdown(qid)
    if _display_markdown(text):
        return
    print(_plain(text))


def _display_markdown(text: str) -> bool:
    from handson_rl.frontend import in_notebook

    if not in_notebook():
        return False
    from IPython.display import Markdown, display

    display(Markdown(text))
    return True


def ask(qid: str):
    """Show a concept check; in JupyterLab with buttons to answer it.

    Without a widget frontend it prints the question and how to answer with
    :func:`check` (a terminal also asks for the letter with ``input()``).
    """
    q = question(qid)
    how = mode()
    if how == "widgets":
        from IPython.display import Markdown, display

        display(Markdown(question_markdown(qid, how_to_answer=False)))
        display(answer_widget(qid))
        return None
    if _display_markdown(question_markdown(qid)):
        return None
    print(question_text(qid))
    if how == "text":
        reply = input(f"Your answer ({'/'.join(q.choices)}, Enter to skip): ")
        if reply.strip():
            try:
                check(qid, reply)
            except ConceptCheckError as err:
                print(err)
    else:
        print(f'Answer with check("{q.id}", "a"), using your letter.')
    return None


def answer_widget(qid: str):
    """The answer buttons of a concept check (a ``VBox``: choices, button, feedback)."""
    import ipywidgets as widgets

    q = question(qid)
    choices = widgets.RadioButtons(
        options=[(f"{letter}) {_plain(text)}", letter) for letter, text in q.choices.items()],
        value=None,
        layout=widgets.Layout(width="max-content"),
    )
    button = widgets.Button(description="Check my answer", button_style="primary")
    out = widgets.HTML()

    def on_click(_):
        if choices.value is None:
            out.value = "<i>Pick an answer first.</i>"
            return
        ok, text = feedback(q.id, choices.value)
        colour = "#1a7f37" if ok else "#b35900"
        out.value = (
            f'<div class="concept-feedback" style="color:{colour}; max-width:60em">'
            f"{html.escape(text).replace(chr(10), '<br>')}</div>"
        )
        if ok:
            record(q.item)

    button.on_click(on_click)
    box = widgets.VBox([choices, button, out])
    box.add_class("concept-check")
    return box
