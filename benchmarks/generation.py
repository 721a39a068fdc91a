"""Generation: cost grows linearly with length (each new token is one recurrent step on the carried state), and
many prompts sampled together against one at a time, with the same text for the same seed.

    python benchmarks/generation.py [-m MODEL ...] [--prompts 1000] [--prompt-tokens 20] [--json FILE]

For each model: prompts/s for --prompts prompts of --prompt-tokens tokens (cut from corpora/everyday-english
by the model's tokenizer) through `LanguageModelRunner.generate_many` in its batches and one at a time
(batch_size=1, the same code path with one row), under the CLI's sampling defaults (-n 30, temperature 0.8,
top-p 0.95) stopping at the end of a line and with --until none (every prompt gets 30 tokens); and how many
prompts came out identical (seed 1); and `predict` over the same texts, predict_many against one at a time.
Rates are by CPU time. Run it pinned to one core with one thread, for figures beside each other:
    OMP_NUM_THREADS=1 taskset -c 1 python benchmarks/generation.py
"""

from __future__ import annotations

import argparse
import time

from _common import REPO, report

SAMPLING = {"n": 30, "temperature": 0.8, "top_p": 0.95, "seed": 1}  # the CLI's defaults, seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-m", "--model", action="append", help="model (repeat for several; default everyday-english)")
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--prompt-tokens", type=int, default=20)
    parser.add_argument("--batch-size", type=int, help="default: the library's (512, fewer for a large vocabulary)")
    parser.add_argument("--json")
    args = parser.parse_args()

    from textrnn.tasks.lm import LanguageModelRunner

    figures: dict = {}
    for i, model in enumerate(args.model or ["everyday-english"]):
        runner = LanguageModelRunner(model)
        prefix = f"{model.rstrip('/').split('/')[-1]}_"
        if i == 0:
            figures.update(_length(runner))
        prompts = _prompts(runner, args.prompts, args.prompt_tokens)
        for until in ("line", "none"):
            figures.update({prefix + k: v for k, v in _batched(runner, prompts, until, args.batch_size).items()})
        figures.update({prefix + k: v for k, v in _predict(runner, prompts).items()})
    report(figures, args.json)


def _length(runner) -> dict:
    """Seconds for 100 and 1,000 tokens from one prompt: the ratio near 10 says one step per token."""
    figures: dict = {}
    list(runner.generate("The weather today", n=10, seed=0, until="none"))  # warm up
    for n in (100, 1000):
        best = float("inf")
        for repeat in range(3):
            start = time.perf_counter()
            out = list(runner.generate("The weather today", n=n, seed=repeat, until="none"))
            best = min(best, time.perf_counter() - start)
        assert len(out) == n
        figures[f"seconds_{n}_tokens"] = best
        figures[f"tokens_per_s_{n}"] = n / best
    figures["ratio_1000_over_100"] = figures["seconds_1000_tokens"] / figures["seconds_100_tokens"]
    return figures


def _prompts(runner, count: int, size: int) -> list[str]:
    """`count` texts of `size` tokens (by the model's tokenizer), cut in turn from the everyday-english corpus."""
    text = " ".join(p.read_text(encoding="utf-8").replace("\n", " ")
                    for p in sorted((REPO / "corpora" / "everyday-english").glob("*.txt")))
    tokens = runner.tokenizer(text[: count * size * 12])
    if len(tokens) < count * size:
        raise SystemExit(f"the corpus gives {len(tokens)} tokens, fewer than {count} x {size}")
    return [runner.detokenize(tokens[i * size:(i + 1) * size]) for i in range(count)]


def _batched(runner, prompts: list[str], until: str, batch_size: int) -> dict:
    """prompts/s batched and one at a time, generated tokens per prompt, and how many prompts agree. The rate
    is by this process's CPU time (one thread: the time it would take alone on a core that others share);
    wall-clock seconds are given beside it."""
    options = {**SAMPLING, "until": until}
    list(runner.generate_many(prompts[:8], **options))  # warm up
    runs, figures = {}, {}
    for name, size in (("batched", batch_size), ("one_at_a_time", 1)):
        wall, cpu = time.perf_counter(), time.process_time()
        runs[name] = [g.tokens for g in runner.generate_many(prompts, batch_size=size, **options)]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        figures[f"until_{until}_prompts_per_s_{name}"] = len(prompts) / cpu
        figures[f"until_{until}_wall_s_{name}"] = wall
    same = sum(a == b for a, b in zip(runs["batched"], runs["one_at_a_time"]))
    figures[f"until_{until}_speedup"] = (figures[f"until_{until}_prompts_per_s_batched"]
                                        / figures[f"until_{until}_prompts_per_s_one_at_a_time"])
    figures[f"until_{until}_tokens_per_prompt"] = sum(map(len, runs["batched"])) / len(prompts)
    figures[f"until_{until}_identical_prompts"] = f"{same} of {len(prompts)}"
    return figures


def _predict(runner, prompts: list[str]) -> dict:
    """`predict` (the 5 likeliest next words) over the prompts: predict_many against one text at a time."""
    runs, figures = {}, {}
    for name, answer in (("batched", lambda: list(runner.predict_many(prompts))),
                         ("one_at_a_time", lambda: [runner.predict(p) for p in prompts])):
        cpu = time.process_time()
        runs[name] = [[p["token"] for p in r["predictions"]] for r in answer()]
        figures[f"predict_lines_per_s_{name}"] = len(prompts) / (time.process_time() - cpu)
    figures["predict_speedup"] = figures["predict_lines_per_s_batched"] / figures["predict_lines_per_s_one_at_a_time"]
    same = sum(a == b for a, b in zip(runs["batched"], runs["one_at_a_time"]))
    figures["predict_identical_lines"] = f"{same} of {len(prompts)}"
    return figures


if __name__ == "__main__":
    main()
