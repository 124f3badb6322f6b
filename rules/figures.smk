# One plot rule per figure, plot_<figure>, from one skeleton: what it reads, its report category,
# its title and params differ (the table below, built with plot() of common.smk); its outputs
# (figure_outputs), log, benchmark, environment and script (scripts/plot_<figure>.py) follow
# from its name.
PLOTS = {
    "rmse": plot(
        "Accuracy",
        "test %RMSE by encoder and distance",
        metrics=training_runs("metrics"),
    ),
    "training_curves": plot(
        "Training",
        "%RMSE per epoch",
        histories=training_runs("history"),
        metrics=training_runs("metrics"),
    ),
    "split_depth": plot(
        "Split depth",
        f"{config['split_depth']['encoder']} + {config['split_depth']['distance']}",
        companions=("split_depth_relative", "split_depth_leakage"),
        metrics=split_depth_runs("metrics"),
        leakage=split_depth_leakage(),
    ),
    "retrieval": plot(
        "Use of the embeddings",
        "closest-string retrieval",
        training_runs("retrieval"),
    ),
    "clustering": plot(
        "Use of the embeddings",
        "hierarchical clustering",
        training_runs("clustering"),
    ),
    "rmse_table": plot(
        "Accuracy",
        "test %RMSE, encoder x distance",
        outputs={
            "claims": report(
                paths.artifact("table", table="rmse_table_claims"),
                category="Accuracy",
                labels={"result": "rmse_table", "type": "the paper's claims"},
            )
        },
        metrics=training_runs("metrics"),
        split=paths.artifact("split", split=split_name()),
    ),
    "training_time": plot(
        "Training",
        "training time",
        params={"reference": is_gg2000()},
        metrics=training_runs("metrics"),
        benchmarks=training_benchmarks(),
    ),
    "embedding_dim": plot(
        "Embedding dimension",
        f"{config['embedding_dim_sweep']['encoder']} encoder,"
        " test %RMSE vs embedding dimension",
        metrics=embedding_dim_runs(),
    ),
    "hparam_search": plot(
        "Hyperparameter search",
        f"random search, {config['hparam_search']['trials']} trials"
        f" per encoder ({config['hparam_search']['distance']})",
        outputs={"best": paths.artifact("best_hparams")},
        params={
            "config": {"encoders": config["encoders"], "training": config["training"]}
        },
        trials=hparam_search_runs(),
    ),
}

for figure, spec in PLOTS.items():

    rule:
        name:
            f"plot_{figure}"
        input:
            *spec.inputs,
            **spec.named_inputs,
        output:
            **figure_outputs(figure, spec.category, spec.companions, **spec.outputs),
        log:
            paths.log(f"plot_{figure}"),
        benchmark:
            paths.benchmark(f"plot_{figure}")
        conda:
            "../envs/neuroseed.yaml"
        params:
            **spec.params,
        script:
            f"../scripts/plot_{figure}.py"
