"""Exact all-pairs edit-distance matrix (rule compute_edit_distance)."""

from neuroseed import edit_distance, workflow


def main(smk):
    edit_distance.compute(smk.input.fasta, smk.output.distances, workers=smk.threads)


workflow.run(main, snakemake)  # noqa: F821
