"""Multiple sequence alignment with MAFFT (rule align_sequences)."""

from neuroseed import alignment, workflow


def main(smk):
    alignment.align(smk.input.fasta, smk.output.aligned, smk.threads, smk.params.options)


workflow.run(main, snakemake)  # noqa: F821
