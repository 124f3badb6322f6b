"""Exact all-pairs edit-distance matrix (rule compute_edit_distance)."""

from neuroseed import edit_distance, jobs


def main(smk):
    edit_distance.compute(smk.input.fasta, smk.output.distances, workers=smk.threads)


jobs.run(main, snakemake)
