"""One optimizer step, PyTorch's per-tensor loop against its `foreach` and `fused` kernels, for the models
textrnn trains: a PTB-sized language model and a classifier from the IMDB language model. This is why
`textrnn.optimizers.make_optimizer` asks for the fused kernels.

    python benchmarks/optimizer.py [--threads 1] [--steps 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import report


def models() -> dict[str, torch.nn.Module]:
    from textrnn.models.classifier import Classifier, ClassifierConfig
    from textrnn.models.language_model import LanguageModel, LanguageModelConfig

    return {"lm_10k_tied_200x2": LanguageModel(LanguageModelConfig(vocab_size=10_000, embedding_size=200,
                                                                   hidden_size=200)),
            "classifier_24k_256x2": Classifier(ClassifierConfig(vocab_size=24_000, num_labels=2, embedding_size=256,
                                                                hidden_size=256, num_layers=2, bidirectional=False))}


def ms_per_step(optimizer: torch.optim.Optimizer, steps: int) -> float:
    for _ in range(3):  # the optimizer's state is made on the first step
        optimizer.step()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - start) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    figures: dict = {"threads": args.threads, "torch": torch.__version__}
    for name, net in models().items():
        figures[f"{name}_parameters"] = sum(p.numel() for p in net.parameters())
        for p in net.parameters():
            p.grad = torch.randn_like(p)
        for optimizer, cls in (("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)):
            for kind in ("loop", "foreach", "fused"):
                options = {} if kind == "loop" else {kind: True}
                figures[f"{name}_{optimizer}_{kind}_ms"] = round(
                    ms_per_step(cls(net.parameters(), lr=1e-3, **options), args.steps), 2)
            loop, fused = figures[f"{name}_{optimizer}_loop_ms"], figures[f"{name}_{optimizer}_fused_ms"]
            figures[f"{name}_{optimizer}_fused_speedup"] = round(loop / fused, 2)
    report(figures, args.json)


if __name__ == "__main__":
    main()
