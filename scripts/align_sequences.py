"""Multiple sequence alignment with MAFFT (rule align_sequences)."""

from neuroseed import alignment, jobs


def main(smk):
    alignment.align(smk.input.fasta, smk.output.aligned, smk.threads, smk.params.options)


jobs.run(main, snakemake)
