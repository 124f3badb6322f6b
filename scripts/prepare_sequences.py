"""Draw, validate and write the dataset's sequences (rule prepare_sequences)."""

from neuroseed import sequences, workflow


def main(smk):
    fetched = smk.input.fasta if smk.params.source["type"] == "patric" else None
    sequences.prepare(
        smk.params.source, smk.params.options, smk.output.fasta, smk.output.provenance, fetched
    )


workflow.run(main, snakemake)  # noqa: F821
