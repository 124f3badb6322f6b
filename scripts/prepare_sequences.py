"""Draw, validate and write the dataset's sequences (rule prepare_sequences)."""

from neuroseed import jobs, sequences


def main(smk):
    # params.source decides reruns (it leaves out region: full); the config has every key
    sequences.prepare(
        smk.config["source"],
        smk.params.options,
        smk.output.fasta,
        smk.output.provenance,
        smk.input.get("fasta"),
    )


jobs.run(main, snakemake)
