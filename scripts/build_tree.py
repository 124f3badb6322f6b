"""UPGMA tree from the exact edit distances, for datasets without a tree (rule build_tree)."""

from neuroseed import jobs, trees


def main(smk):
    trees.build(smk.input.distances, smk.input.fasta, smk.output.tree)


jobs.run(main, snakemake)
