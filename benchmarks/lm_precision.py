"""Does bfloat16 mixed precision learn a word language model as well as float32 does, over a whole training?

lm_vs_plain.py measures one epoch. This trains the same recipe (its PTB-sized IMDB stream: about 1M tokens,
10,000 words; 2-layer LSTM 200, tied, dropout 0.2, BPTT 35, batch 20, SGD at lr 20 halved when validation
stops improving, clipping 0.25) for several epochs, once in float32 and once with `--precision bf16`, for
each seed. The two of a seed run side by side, one thread each, one on each core, so they share the same
load. It prints validation perplexity after each epoch (the split the learning-rate schedule and the best
epoch are chosen on) and, for the best epoch's model, the perplexity on a held-out test stream of the next
~83k tokens (a twelfth of --tokens) that nothing was chosen on.

    python benchmarks/lm_precision.py [--tokens N] [--epochs 5] [--seeds 1 2 3] [--json FILE]

Needs a CPU with native bfloat16 (AVX512-BF16 or AMX).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from _common import imdb_text, report
from _lockstep import SPAWN, collect, pin
from lm_vs_plain import B, CLIP, DROPOUT, H, LAYERS, LR, T, VOCAB


def _run(core: int, seed: int, precision: str, epochs: int, files: tuple[Path, Path, Path], out: Path,
         results) -> None:
    """One training, pinned to `core` with one thread; puts its history and held-out perplexity."""
    import torch

    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    pin(core)
    torch.set_num_threads(1)
    train, valid, test = files
    arch = {"hidden_size": H, "embedding_size": H, "num_layers": LAYERS, "dropout": DROPOUT,
            "embedding_dropout": DROPOUT, "output_dropout": DROPOUT, "tie_weights": True}
    result = lm.train(str(train), out, arch, lm.LMDataConfig(tokenizer="spacy", lowercase=True, max_vocab=VOCAB, bptt=T),
                      TrainConfig(epochs=epochs, batch_size=B, lr=LR, optimizer="sgd", clip=CLIP, device="cpu",
                                  seed=seed, patience=epochs, precision=precision),
                      valid=str(valid), overwrite=True)
    results.put({"seed": seed, "precision": precision, "history": result.history,
                 "test_ppl": lm.evaluate(out, str(test), T)["perplexity"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_000_000, help="training tokens (validation and test: 1/12 each)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--json")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        held = max(args.tokens // 12, 2_000)
        files = imdb_text(folder, args.tokens, held, test_tokens=held)
        runs = []
        for seed in args.seeds:
            results = SPAWN.Queue()
            workers = [SPAWN.Process(target=_run, args=(core, seed, precision, args.epochs, files,
                                                        folder / f"{precision}-{seed}", results))
                       for core, precision in ((0, "fp32"), (1, "bf16"))]
            for w in workers:
                w.start()
            runs += sorted(collect(workers, results, 2), key=lambda r: r["precision"] != "fp32")
            for run in runs[-2:]:
                key = f"seed{run['seed']}_{run['precision']}"
                for record in run["history"]:
                    figures[f"{key}_epoch{record['epoch']}_val_ppl"] = record["val_ppl"]
                figures[f"{key}_best_val_ppl"] = min(r["val_ppl"] for r in run["history"])
                figures[f"{key}_test_ppl"] = run["test_ppl"]
                figures[f"{key}_seconds_per_epoch"] = statistics.mean(r["seconds"] for r in run["history"])
            print(f"seed {seed} done", flush=True)
        for precision in ("fp32", "bf16"):
            mine = [r for r in runs if r["precision"] == precision]
            figures[f"{precision}_mean_test_ppl"] = statistics.mean(r["test_ppl"] for r in mine)
            figures[f"{precision}_mean_seconds_per_epoch"] = statistics.mean(
                record["seconds"] for r in mine for record in r["history"])
        figures["bf16_over_fp32_test_ppl"] = figures["bf16_mean_test_ppl"] / figures["fp32_mean_test_ppl"]
        figures["bf16_speedup"] = figures["fp32_mean_seconds_per_epoch"] / figures["bf16_mean_seconds_per_epoch"]
    report(figures, args.json)


if __name__ == "__main__":
    main()
