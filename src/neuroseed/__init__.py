"""NeuroSEED: neural distance embeddings of biological sequences.

One module per concern, in the order the workflow uses them:

- names and settings: ``config`` (the workflow config, checked; ``schema.yaml`` holds every
  default), ``registry`` (encoder, distance, split and source names; split-name format),
  ``settings`` (one training run's settings), ``sources`` (where sequences and trees come from)
- files: ``paths`` (where every artifact of a dataset lies under ``results/<dataset>/``, each
  path written once), ``io`` (FASTA and FASTQ through Biopython, JSON, atomic writes),
  ``artifacts`` (loading checked artifacts), ``jobs`` (how the workflow's jobs run: threads,
  GPUs, logs and one-line errors), ``capacity`` (memory and wall time a heavy job asks a
  cluster for)
- data stages: ``patric`` (PATRIC/BV-BRC retrieval), ``regions`` (in-silico amplicons),
  ``sequences`` (validation), ``trees`` (Newick through Bio.Phylo; pruning, UPGMA trees),
  ``alignment`` (MAFFT), ``encoding`` (padding to integer arrays),
  ``edit_distance`` (exact Levenshtein matrices), ``tiles`` (the matrix cut into tile jobs),
  ``splits`` (train/val/test), ``pool`` (training sequences beyond the matrix)
- models: ``geometry`` (embedding distances), ``models`` (Keras encoders, a package: one
  module per encoder family, the shared layers in ``models.layers``, the CNN's first block on
  a CPU in ``models.fast_cnn``), ``kernels`` (compiled CPU kernels of that block),
  ``sampling`` (each epoch's training pairs or groups), ``training`` (fitting, evaluation,
  the training stage), ``checkpoint`` (a killed run resumes after its last
  saved epoch), ``kept`` (finished runs kept, so an interrupted retrain loses nothing),
  ``tuning`` (random hyperparameter search), ``model_file`` (the
  trained-model file and its identity), ``runtime`` (backend set-up, embedding)
- use and figures: ``embedding_search`` (embed and search new sequences), ``unary`` (counts'
  unary codes: manhattan profiles as matrix products), ``index`` (references
  embedded once, searched fast), ``verify`` (exact nearest neighbours among candidates: banded
  Levenshtein, the calibrated stop, certificates), ``cli`` (the ``neuroseed`` command),
  ``outfmt`` (its tables: ours, BLAST tabular, VSEARCH-style fields), ``console`` (its
  standard error without TensorFlow's native notices, the progress of long work),
  ``retrieval`` and ``clustering`` (evaluations), ``metrics``, ``plots``, ``published``
  (reference numbers)
"""

__version__ = "0.1.0"


class NeuroseedError(ValueError):
    """A user-facing error: bad input, bad configuration or a failed run, told in one line."""
