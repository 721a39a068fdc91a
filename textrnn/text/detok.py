"""Rule-based detokenization: join word tokens so that text reads naturally ("Hello, world!")."""

from __future__ import annotations

# Tokens that attach to the word before them: closing punctuation and English clitics.
_NO_SPACE_BEFORE = {",", ".", "!", "?", ";", ":", "%", ")", "]", "}", "...", "…", "n't", "'s", "'m", "'re",
                    "'ve", "'ll", "'d", "'S", "'M", "'RE", "'VE", "'LL", "'D", "N'T", "’s", "’m", "’re",
                    "’ve", "’ll", "’d", "n’t", "'", "’"}
# Tokens that attach to the word after them: opening brackets and currency signs.
_NO_SPACE_AFTER = {"(", "[", "{", "$", "£", "€", "#", "¿", "¡"}
# Tokens that glue both sides when they stand between words (well-known, 3/4, e-mail).
_GLUE = {"-", "/", "–"}
# French typography puts a space before these high punctuation marks.
_FRENCH_SPACED = {"?", "!", ":", ";", "»"}
_QUOTES = {'"', "“", "”", "«", "»"}


def detokenize_words(tokens: list[str], lang: str = "en") -> str:
    """Join tokens with spaces except where punctuation, clitics or elision say otherwise.

    >>> detokenize_words(["Do", "n't", "stop", ",", "Mr.", "Smith", "!"])
    "Don't stop, Mr. Smith!"
    """
    out: list[str] = []
    glue_next = True  # no space before the first token
    open_quote = False
    for tok in tokens:
        if tok == "\n":
            out.append("\n")
            glue_next = True
            continue
        space = not glue_next
        if tok in _NO_SPACE_BEFORE and not (lang == "fr" and tok in _FRENCH_SPACED):
            space = False
        if tok in _GLUE and out:
            space = False
        if lang == "fr" and len(tok) > 1 and tok[0] == "-" and tok[1:].replace("-", "").isalpha() and out:
            space = False  # French inversion, as spaCy splits it: "Avez" "-vous", "Est" "-ce", "Va" "-t-il"
        if tok in _QUOTES:
            if tok in {"«", "“"} or (tok == '"' and not open_quote):
                open_quote = True
            else:
                space = lang == "fr" and tok == "»" and not glue_next
                open_quote = False
        if space:
            out.append(" ")
        out.append(tok)
        glue_next = (
            tok in _NO_SPACE_AFTER
            or tok in _GLUE
            or (tok in {'"', "“"} and open_quote)
            or (tok == "«" and lang != "fr")
            or (len(tok) > 1 and tok[-1] in "'’" and tok[:-1].isalpha())  # French elision: l', j', qu'
        )
    return "".join(out)
