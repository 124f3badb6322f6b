rule plot_rmse:
    input:
        metrics=training_runs("metrics"),
    output:
        pdf=paths.artifact("figure", figure="rmse", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="rmse", ext="png"),
            caption="../report/rmse.rst",
            category="Accuracy",
            labels={"result": "rmse", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="rmse"),
            category="Accuracy",
            labels={"result": "rmse", "type": "table"},
        ),
    log:
        paths.log("plot_rmse"),
    benchmark:
        paths.benchmark("plot_rmse")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: test %RMSE by encoder and distance",
    script:
        "../scripts/plot_rmse.py"


rule plot_training_curves:
    input:
        histories=training_runs("history"),
        metrics=training_runs("metrics"),
    output:
        pdf=paths.artifact("figure", figure="training_curves", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="training_curves", ext="png"),
            caption="../report/training_curves.rst",
            category="Training",
            labels={"result": "training_curves", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="training_curves"),
            category="Training",
            labels={"result": "training_curves", "type": "table"},
        ),
    log:
        paths.log("plot_training_curves"),
    benchmark:
        paths.benchmark("plot_training_curves")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: %RMSE per epoch",
    script:
        "../scripts/plot_training_curves.py"


rule plot_split_depth:
    input:
        metrics=split_depth_runs("metrics"),
        leakage=split_depth_leakage(),
    output:
        pdf=paths.artifact("figure", figure="split_depth", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="split_depth", ext="png"),
            caption="../report/split_depth.rst",
            category="Split depth",
            labels={"result": "split_depth", "type": "figure"},
        ),
        relative_pdf=paths.artifact("figure", figure="split_depth_relative", ext="pdf"),
        relative_png=report(
            paths.artifact("figure", figure="split_depth_relative", ext="png"),
            caption="../report/split_depth_relative.rst",
            category="Split depth",
            labels={"result": "split_depth_relative", "type": "figure"},
        ),
        leakage_pdf=paths.artifact("figure", figure="split_depth_leakage", ext="pdf"),
        leakage_png=report(
            paths.artifact("figure", figure="split_depth_leakage", ext="png"),
            caption="../report/split_depth_leakage.rst",
            category="Split depth",
            labels={"result": "split_depth_leakage", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="split_depth"),
            category="Split depth",
            labels={"result": "split_depth", "type": "table"},
        ),
    log:
        paths.log("plot_split_depth"),
    benchmark:
        paths.benchmark("plot_split_depth")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: (
            f"{wildcards.dataset}: {config['split_depth']['encoder']}"
            f" + {config['split_depth']['distance']}"
        ),
    script:
        "../scripts/plot_split_depth.py"


rule plot_retrieval:
    input:
        training_runs("retrieval"),
    output:
        pdf=paths.artifact("figure", figure="retrieval", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="retrieval", ext="png"),
            caption="../report/retrieval.rst",
            category="Use of the embeddings",
            labels={"result": "retrieval", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="retrieval"),
            category="Use of the embeddings",
            labels={"result": "retrieval", "type": "table"},
        ),
    log:
        paths.log("plot_retrieval"),
    benchmark:
        paths.benchmark("plot_retrieval")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: closest-string retrieval",
    script:
        "../scripts/plot_retrieval.py"


rule plot_clustering:
    input:
        training_runs("clustering"),
    output:
        pdf=paths.artifact("figure", figure="clustering", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="clustering", ext="png"),
            caption="../report/clustering.rst",
            category="Use of the embeddings",
            labels={"result": "clustering", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="clustering"),
            category="Use of the embeddings",
            labels={"result": "clustering", "type": "table"},
        ),
    log:
        paths.log("plot_clustering"),
    benchmark:
        paths.benchmark("plot_clustering")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: hierarchical clustering",
    script:
        "../scripts/plot_clustering.py"


rule plot_rmse_table:
    input:
        metrics=training_runs("metrics"),
        split=paths.artifact("split", split=split_name()),
    output:
        pdf=paths.artifact("figure", figure="rmse_table", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="rmse_table", ext="png"),
            caption="../report/rmse_table.rst",
            category="Accuracy",
            labels={"result": "rmse_table", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="rmse_table"),
            category="Accuracy",
            labels={"result": "rmse_table", "type": "table"},
        ),
        claims=report(
            paths.artifact("table", table="rmse_table_claims"),
            category="Accuracy",
            labels={"result": "rmse_table", "type": "the paper's claims"},
        ),
    log:
        paths.log("plot_rmse_table"),
    benchmark:
        paths.benchmark("plot_rmse_table")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: test %RMSE, encoder x distance",
    script:
        "../scripts/plot_rmse_table.py"


rule plot_training_time:
    input:
        metrics=training_runs("metrics"),
        benchmarks=training_benchmarks(),
    output:
        pdf=paths.artifact("figure", figure="training_time", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="training_time", ext="png"),
            caption="../report/training_time.rst",
            category="Training",
            labels={"result": "training_time", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="training_time"),
            category="Training",
            labels={"result": "training_time", "type": "table"},
        ),
    log:
        paths.log("plot_training_time"),
    benchmark:
        paths.benchmark("plot_training_time")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: training time",
        reference=is_gg2000(),
    script:
        "../scripts/plot_training_time.py"


rule plot_embedding_dim:
    input:
        metrics=embedding_dim_runs(),
    output:
        pdf=paths.artifact("figure", figure="embedding_dim", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="embedding_dim", ext="png"),
            caption="../report/embedding_dim.rst",
            category="Embedding dimension",
            labels={"result": "embedding_dim", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="embedding_dim"),
            category="Embedding dimension",
            labels={"result": "embedding_dim", "type": "table"},
        ),
    log:
        paths.log("plot_embedding_dim"),
    benchmark:
        paths.benchmark("plot_embedding_dim")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: (
            f"{wildcards.dataset}: {config['embedding_dim_sweep']['encoder']} encoder,"
            " test %RMSE vs embedding dimension"
        ),
    script:
        "../scripts/plot_embedding_dim.py"


rule plot_hparam_search:
    input:
        trials=hparam_search_runs(),
    output:
        pdf=paths.artifact("figure", figure="hparam_search", ext="pdf"),
        png=report(
            paths.artifact("figure", figure="hparam_search", ext="png"),
            caption="../report/hparam_search.rst",
            category="Hyperparameter search",
            labels={"result": "hparam_search", "type": "figure"},
        ),
        table=report(
            paths.artifact("table", table="hparam_search"),
            category="Hyperparameter search",
            labels={"result": "hparam_search", "type": "table"},
        ),
        best=paths.artifact("best_hparams"),
    log:
        paths.log("plot_hparam_search"),
    benchmark:
        paths.benchmark("plot_hparam_search")
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: (
            f"{wildcards.dataset}: random search, {config['hparam_search']['trials']} trials"
            f" per encoder ({config['hparam_search']['distance']})"
        ),
        config={"encoders": config["encoders"], "training": config["training"]},
    script:
        "../scripts/plot_hparam_search.py"
