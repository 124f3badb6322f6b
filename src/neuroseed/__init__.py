"""NeuroSEED: neural distance embeddings of biological sequences.

One module per concern: ``config`` (the workflow config, checked before any job), ``io``
(files, atomic writes), ``artifacts`` (loading checked artifacts), ``sequences`` (sources and
validation),
``trees`` (phylogenies), ``encoding`` (padding to integer arrays), ``edit_distance`` (exact
Levenshtein matrices), ``splits`` (train/val/test), ``geometry`` (embedding distances),
``models`` (Keras encoders), ``settings`` (training settings from the config), ``training``
(pair sampling, fitting, evaluation), ``metrics`` and ``plots``.
"""

__version__ = "0.1.0"


class NeuroseedError(ValueError):
    """A user-facing error: bad input, bad configuration or a failed run, told in one line."""
