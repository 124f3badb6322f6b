"""Train/validation/test split (rule split_sequences)."""

from neuroseed import splits, workflow


def main(smk):
    splits.make_split(smk.params.options, smk.input.fasta, smk.output.split)


workflow.run(main, snakemake)  # noqa: F821
