"""One tile job of the exact edit-distance matrix (rule edit_distance_tile)."""

from neuroseed import edit_distance, jobs


def main(smk):
    edit_distance.compute_fasta_tile(
        smk.input.fasta,
        smk.params.blocks,
        int(smk.wildcards.tile),
        smk.output.tile,
        workers=smk.threads,
    )


jobs.run(main, snakemake)
