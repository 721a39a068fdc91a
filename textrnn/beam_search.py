"""Beam search over any step function: the beams are the batch dimension of one recurrent step.

`step(tokens, state)` takes the last token of each live beam, (N,), and returns log-probabilities (N, V)
and the new state; `reorder(state, index)` picks state rows (beams) by index. Finished hypotheses are
scored by length-normalised log-probability, score / len ** alpha (Wu et al. 2016, GNMT, simplified).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class Hypothesis:
    tokens: list[int]
    logprob: float

    def score(self, alpha: float) -> float:
        return self.logprob / max(len(self.tokens), 1) ** alpha


def beam_search(step: Callable, reorder: Callable, state, first_token: int, beam: int, max_len: int,
                eos_id: int | None, alpha: float = 0.7, banned: tuple[int, ...] = ()) -> list[Hypothesis]:
    """Best-first list of finished hypotheses (tokens exclude the first token and the end token)."""
    tokens = torch.tensor([first_token])
    live = [Hypothesis([], 0.0)]
    done: list[Hypothesis] = []
    for _ in range(max_len):
        logp, state = step(tokens, state)  # (N, V)
        logp = logp.float().clone()
        if banned:
            logp[:, list(banned)] = float("-inf")
        total = logp + torch.tensor([h.logprob for h in live]).unsqueeze(1)
        flat = total.view(-1)
        top = torch.topk(flat, min(beam * 2, flat.numel()))
        vocab = logp.size(1)
        next_live, rows, last = [], [], []
        for value, index in zip(top.values.tolist(), top.indices.tolist()):
            row, tok = divmod(index, vocab)
            hyp = Hypothesis(live[row].tokens + [tok], value)
            if eos_id is not None and tok == eos_id:
                done.append(Hypothesis(live[row].tokens, value))
            else:
                next_live.append(hyp)
                rows.append(row)
                last.append(tok)
            if len(next_live) == beam:
                break
        if len(done) >= beam or not next_live:
            break
        live = next_live
        state = reorder(state, torch.tensor(rows))
        tokens = torch.tensor(last)
    done.extend(live if len(done) < beam else [])
    return sorted(done, key=lambda h: h.score(alpha), reverse=True)
