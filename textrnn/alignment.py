"""The attention alignment of one translation as a heatmap PNG (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path


def plot_alignment(source_tokens: list[str], target_tokens: list[str], weights: list[list[float]],
                   path: str | Path, title: str | None = None) -> Path:
    """Rows are target tokens, columns source tokens, shade the attention weight; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    width = max(4.0, 0.55 * len(source_tokens) + 2.0)
    height = max(3.0, 0.4 * len(target_tokens) + 1.5)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    image = ax.imshow(weights or [[0.0]], cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), source_tokens, rotation=45, ha="right")
    ax.set_yticks(range(len(target_tokens)), target_tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    if title:
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    from textrnn.writing import replace_file

    try:
        return replace_file(path, lambda tmp: fig.savefig(tmp, format="png"), "choose another --plot path")
    finally:
        plt.close(fig)
