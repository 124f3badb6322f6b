# One rule per figure, plot_<figure>: its inputs, report category, title and params differ; its
# outputs (PDF, PNG in the report, the table behind them) come from figure_outputs() of
# common.smk, its log and benchmark from neuroseed.paths. Each stays a rule of its own, with its
# script written out: Snakemake records that line's text with every output ("code" rerun
# trigger), so a rule built in a loop would rerun every figure made before.


rule plot_rmse:
    input:
        metrics=training_runs("metrics"),
    output:
        **figure_outputs("rmse", "Accuracy"),
    log:
        paths.log("plot_rmse"),
    benchmark:
        paths.benchmark("plot_rmse")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("test %RMSE by encoder and distance"),
    script:
        "../scripts/plot_rmse.py"


rule plot_training_curves:
    input:
        histories=training_runs("history"),
        metrics=training_runs("metrics"),
    output:
        **figure_outputs("training_curves", "Training"),
    log:
        paths.log("plot_training_curves"),
    benchmark:
        paths.benchmark("plot_training_curves")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("%RMSE per epoch"),
    script:
        "../scripts/plot_training_curves.py"


rule plot_split_depth:
    input:
        metrics=split_depth_runs("metrics"),
        leakage=split_depth_leakage(),
    output:
        **figure_outputs(
            "split_depth",
            "Split depth",
            companions=("split_depth_relative", "split_depth_leakage"),
        ),
    log:
        paths.log("plot_split_depth"),
    benchmark:
        paths.benchmark("plot_split_depth")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title(
            f"{config['split_depth']['encoder']} + {config['split_depth']['distance']}"
        ),
    script:
        "../scripts/plot_split_depth.py"


rule plot_retrieval:
    input:
        training_runs("retrieval"),
    output:
        **figure_outputs("retrieval", "Use of the embeddings"),
    log:
        paths.log("plot_retrieval"),
    benchmark:
        paths.benchmark("plot_retrieval")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("closest-string retrieval"),
    script:
        "../scripts/plot_retrieval.py"


rule plot_clustering:
    input:
        training_runs("clustering"),
    output:
        **figure_outputs("clustering", "Use of the embeddings"),
    log:
        paths.log("plot_clustering"),
    benchmark:
        paths.benchmark("plot_clustering")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("hierarchical clustering"),
    script:
        "../scripts/plot_clustering.py"


rule plot_rmse_table:
    input:
        metrics=training_runs("metrics"),
        split=paths.artifact("split", split=split_name()),
    output:
        **figure_outputs(
            "rmse_table",
            "Accuracy",
            claims=report(
                paths.artifact("table", table="rmse_table_claims"),
                category="Accuracy",
                labels={"result": "rmse_table", "type": "the paper's claims"},
            ),
            paper=paths.artifact("table", table="rmse_table_paper"),
        ),
    log:
        paths.log("plot_rmse_table"),
    benchmark:
        paths.benchmark("plot_rmse_table")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("test %RMSE, encoder x distance"),
    script:
        "../scripts/plot_rmse_table.py"


rule plot_training_time:
    input:
        metrics=training_runs("metrics"),
        benchmarks=training_benchmarks(),
    output:
        **figure_outputs("training_time", "Training"),
    log:
        paths.log("plot_training_time"),
    benchmark:
        paths.benchmark("plot_training_time")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title("training time"),
        reference=is_gg2000(),
    script:
        "../scripts/plot_training_time.py"


rule plot_embedding_dim:
    input:
        metrics=embedding_dim_runs(),
    output:
        **figure_outputs("embedding_dim", "Embedding dimension"),
    log:
        paths.log("plot_embedding_dim"),
    benchmark:
        paths.benchmark("plot_embedding_dim")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title(
            f"{config['embedding_dim_sweep']['encoder']} encoder,"
            " test %RMSE vs embedding dimension"
        ),
    script:
        "../scripts/plot_embedding_dim.py"


rule plot_tuning:
    input:
        trials=tuning_runs(),
    output:
        **figure_outputs(
            "tuning",
            "Hyperparameter search",
            best=paths.artifact("best_hparams"),
        ),
    log:
        paths.log("plot_tuning"),
    benchmark:
        paths.benchmark("plot_tuning")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=figure_title(
            f"random search, {config['tuning']['trials']} trials"
            f" per encoder ({config['tuning']['distance']})"
        ),
        config={"encoders": config["encoders"], "training": config["training"]},
    script:
        "../scripts/plot_tuning.py"
