"""Text written for textrnn, installed as the package `textrnn_corpora`; see README.md and corpora.json."""
