"""Train/validation/test split (rule split_sequences)."""

from neuroseed import jobs, splits


def main(smk):
    inputs = dict(smk.input.items())
    splits.make_split(
        smk.params.options,
        smk.input.fasta,
        smk.output.split,
        distances_npy=inputs.get("distances"),
        tree_path=inputs.get("tree"),
        split_file=inputs.get("file"),
        provenance=inputs.get("provenance"),
    )


jobs.run(main, snakemake)
