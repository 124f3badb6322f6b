"""Prune the reference tree to the dataset's sequences (rule prune_tree)."""

from neuroseed import jobs, trees
from neuroseed.io import read_fasta


def main(smk):
    ids = [rid for rid, _, _ in read_fasta(smk.input.fasta)]
    trees.prepare(smk.params.source, ids, smk.output.tree)


jobs.run(main, snakemake)
