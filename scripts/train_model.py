"""Train one Siamese encoder with one distance (rule train_model)."""

from neuroseed import workflow


def main(smk):
    from neuroseed.training import TrainSettings, run_stage

    settings = TrainSettings(**smk.params.settings)
    run_stage(
        settings,
        smk.input.encoded,
        smk.input.distances,
        smk.input.split,
        smk.output.model,
        smk.output.history,
        smk.output.metrics,
        threads=smk.threads,
    )


workflow.run(main, snakemake)  # noqa: F821
