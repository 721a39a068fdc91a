"""The model directory: round trip, atomic save, no pickle, clear errors for broken directories."""

from __future__ import annotations

import json

import pytest
import torch

from textrnn import checkpoint
from textrnn.errors import FormatVersionError, ModelError, ModelNotFound
from textrnn.models import build_model
from textrnn.text import Vocab


def _saved(vocab_size=12):
    cfg = {"vocab_size": vocab_size, "embedding_size": 8, "hidden_size": 8, "num_layers": 1}
    model = build_model("language_model", cfg)
    from dataclasses import asdict

    saved = checkpoint.Saved(task="lm", model_kind="language_model", model_config=asdict(model.config),
                             tokenizers={"text": {"name": "whitespace", "lang": "en", "lowercase": False}},
                             vocabs={"text": Vocab([f"w{i}" for i in range(vocab_size - 4)])})
    return model, saved


def test_round_trip_gives_the_same_outputs(tmp_path):
    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    loaded, again = checkpoint.load(tmp_path / "m")
    ids = torch.randint(0, 12, (2, 5))
    model.eval()
    assert torch.equal(model.step(ids)[0], loaded.step(ids)[0])
    assert again.vocabs["text"] == saved.vocabs["text"] and again.tokenizers == saved.tokenizers
    assert checkpoint.parameter_count(tmp_path / "m") == sum(p.numel() for p in model.parameters())
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors", "vocab.json"]


def test_weights_are_safetensors_not_pickle(tmp_path):
    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    data = (tmp_path / "m" / "model.safetensors").read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    assert json.loads(data[8: 8 + header_len])  # a JSON header, as safetensors defines it
    assert not data.startswith(b"PK") and b"\x80\x02" not in data[:2]  # neither a torch zip nor a pickle


def test_a_crash_during_save_keeps_the_previous_model(tmp_path, monkeypatch):
    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    before = (tmp_path / "m" / "model.safetensors").read_bytes()
    import safetensors.torch

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_model", crash)
    with torch.no_grad():
        model.embedding.weight.add_(1.0)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(tmp_path / "m", model, saved)
    assert (tmp_path / "m" / "model.safetensors").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no half-written folder left behind


def test_missing_file_and_newer_format_are_clear_errors(tmp_path):
    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model, saved)
    (tmp_path / "m" / "vocab.json").unlink()
    with pytest.raises(ModelError, match="incomplete: vocab.json is missing"):
        checkpoint.read_config(tmp_path / "m")
    checkpoint.save(tmp_path / "n", model, saved)
    cfg = json.loads((tmp_path / "n" / "config.json").read_text())
    cfg["format_version"] = checkpoint.FORMAT_VERSION + 1
    (tmp_path / "n" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(FormatVersionError, match="reads format 1 and older"):
        checkpoint.load(tmp_path / "n")
    with pytest.raises(ModelNotFound, match="no model directory or bundled model named") as err:
        checkpoint.resolve(tmp_path / "nothing")
    assert err.value.hint.startswith("bundled models:")


def _outputs(model) -> torch.Tensor:
    model.eval().reset_state()
    with torch.no_grad():
        return model.step(torch.tensor([[4, 5, 6]], device=next(model.parameters()).device))[0].float().cpu()


def test_loads_on_cpu_whatever_device_it_was_saved_from(tmp_path):
    """A directory as a GPU run leaves it (training device cuda, weights saved from other tensors than the
    CPU float32 ones the loader builds: here float64) loads on the CPU, as float32, with the same outputs.
    A loader that went back to the recorded device, or kept the saved dtype, fails here."""
    model, saved = _saved()
    saved.training = {"device": "cuda:0"}
    checkpoint.save(tmp_path / "m", model.double(), saved)
    loaded, again = checkpoint.load(tmp_path / "m", device="cpu")
    assert again.training["device"] == "cuda:0"
    assert {(p.device.type, p.dtype) for p in loaded.parameters()} == {("cpu", torch.float32)}
    assert torch.allclose(_outputs(loaded), _outputs(model.float()), atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here: the GPU-to-CPU leg needs one")
def test_a_model_saved_from_cuda_loads_on_cpu(tmp_path):
    model, saved = _saved()
    checkpoint.save(tmp_path / "m", model.to("cuda"), saved)
    loaded, _ = checkpoint.load(tmp_path / "m", device="cpu")
    assert {p.device.type for p in loaded.parameters()} == {"cpu"}
    assert torch.allclose(_outputs(loaded), _outputs(model), atol=1e-5)
