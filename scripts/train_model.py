"""Train one Siamese encoder with one distance (rule train_model)."""

from neuroseed import jobs


def main(smk):
    from neuroseed.settings import TrainSettings
    from neuroseed.training import run_stage

    run_stage(
        TrainSettings(**smk.params.settings),
        smk.input.encoded,
        smk.input.distances,
        smk.input.split,
        smk.wildcards.split,
        smk.output.model,
        smk.output.history,
        smk.output.metrics,
        threads=smk.threads,
        pool_npz=smk.input.get("pool"),
        sequences_fasta=smk.input.get("fasta"),
        # how the job runs, not what it makes: not a param, so toggling it reruns nothing
        keep_previous=smk.config["training"]["keep_previous"],
    )


jobs.run(main, snakemake)
