"""textrnn: recurrent neural networks on text, from tokens to trained models.

The library is imported by concern, so that `import textrnn` costs nothing: `textrnn.api` (train, load,
predict from Python), `textrnn.tasks` (language model, classifier, translator), `textrnn.models`,
`textrnn.text` (tokenizers, vocabulary), `textrnn.data` (corpora), `textrnn.inspect` (inside a network).
"""

from textrnn._version import __version__

__all__ = ["__version__"]
