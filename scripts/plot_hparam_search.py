"""Every trial of the hyperparameter search, and the best settings as a config fragment
(rule plot_hparam_search)."""

from neuroseed import plots, workflow


def main(smk):
    from neuroseed.hparam_search import best_settings, collect_trials
    from neuroseed.io import write_yaml

    table = collect_trials(smk.input.trials)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    write_yaml(smk.output.best, best_settings(table, smk.params.config))
    plots.plot_hparam_search(table, smk.output.pdf, smk.output.png, title=smk.params.title)


workflow.run(main, snakemake)  # noqa: F821
