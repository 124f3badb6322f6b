"""Every trial of the hyperparameter search, and the best settings as a config fragment
(rule plot_tuning)."""

from neuroseed import jobs, plots


def main(smk):
    from neuroseed.io import write_yaml
    from neuroseed.tuning import best_settings, collect_trials

    table = collect_trials(smk.input.trials)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.6g")
    write_yaml(smk.output.best, best_settings(table, smk.params.config))
    plots.plot_tuning(table, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
