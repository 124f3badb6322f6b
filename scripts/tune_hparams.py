"""Random hyperparameter search for one encoder and distance (rule tune_hparams)."""

from neuroseed import jobs


def main(smk):
    from neuroseed.settings import TrainSettings
    from neuroseed.tuning import run_stage

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


jobs.run(main, snakemake)
