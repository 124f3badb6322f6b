"""Random hyperparameter search for one encoder and distance (rule search_hparams)."""

from neuroseed import workflow


def main(smk):
    from neuroseed.hparam_search import run_stage
    from neuroseed.settings import TrainSettings

    run_stage(
        TrainSettings(**smk.params.settings),
        smk.params.space,
        smk.params.trials,
        smk.input.encoded,
        smk.input.distances,
        smk.input.split,
        smk.output[0],
        smk.params.state,
        threads=smk.threads,
    )


workflow.run(main, snakemake)  # noqa: F821
