"""The tile jobs' files assembled into the exact matrix (rule merge_edit_distance)."""

from neuroseed import edit_distance, jobs


def main(smk):
    edit_distance.merge_fasta_tiles(
        smk.input.fasta, smk.params.blocks, list(smk.input.tiles), smk.output.distances
    )


jobs.run(main, snakemake)
