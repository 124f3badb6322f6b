rule plot_rmse:
    input:
        metrics=training_runs("metrics.json"),
    output:
        pdf="results/{dataset}/figures/rmse.pdf",
        png=report(
            "results/{dataset}/figures/rmse.png",
            caption="../report/rmse.rst",
            category="Accuracy",
            labels={"result": "rmse", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/rmse.tsv",
            category="Accuracy",
            labels={"result": "rmse", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_rmse.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_rmse.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: test %RMSE by encoder and distance",
    script:
        "../scripts/plot_rmse.py"


rule plot_training_curves:
    input:
        histories=training_runs("history.tsv"),
        metrics=training_runs("metrics.json"),
    output:
        pdf="results/{dataset}/figures/training_curves.pdf",
        png=report(
            "results/{dataset}/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Training",
            labels={"result": "training_curves", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/training_curves.tsv",
            category="Training",
            labels={"result": "training_curves", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_training_curves.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_training_curves.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: %RMSE per epoch",
    script:
        "../scripts/plot_training_curves.py"


rule plot_split_depth:
    input:
        metrics=split_depth_runs("metrics.json"),
        leakage=split_depth_leakage(),
    output:
        pdf="results/{dataset}/figures/split_depth.pdf",
        png=report(
            "results/{dataset}/figures/split_depth.png",
            caption="../report/split_depth.rst",
            category="Split depth",
            labels={"result": "split_depth", "type": "figure"},
        ),
        relative_pdf="results/{dataset}/figures/split_depth_relative.pdf",
        relative_png=report(
            "results/{dataset}/figures/split_depth_relative.png",
            caption="../report/split_depth_relative.rst",
            category="Split depth",
            labels={"result": "split_depth_relative", "type": "figure"},
        ),
        leakage_pdf="results/{dataset}/figures/split_depth_leakage.pdf",
        leakage_png=report(
            "results/{dataset}/figures/split_depth_leakage.png",
            caption="../report/split_depth_leakage.rst",
            category="Split depth",
            labels={"result": "split_depth_leakage", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/split_depth.tsv",
            category="Split depth",
            labels={"result": "split_depth", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_split_depth.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_split_depth.tsv"
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
        training_runs("retrieval.json", stage="evaluation"),
    output:
        pdf="results/{dataset}/figures/retrieval.pdf",
        png=report(
            "results/{dataset}/figures/retrieval.png",
            caption="../report/retrieval.rst",
            category="Use of the embeddings",
            labels={"result": "retrieval", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/retrieval.tsv",
            category="Use of the embeddings",
            labels={"result": "retrieval", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_retrieval.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_retrieval.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: closest-string retrieval",
    script:
        "../scripts/plot_retrieval.py"


rule plot_clustering:
    input:
        training_runs("clustering.tsv", stage="evaluation"),
    output:
        pdf="results/{dataset}/figures/clustering.pdf",
        png=report(
            "results/{dataset}/figures/clustering.png",
            caption="../report/clustering.rst",
            category="Use of the embeddings",
            labels={"result": "clustering", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/clustering.tsv",
            category="Use of the embeddings",
            labels={"result": "clustering", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_clustering.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_clustering.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: hierarchical clustering",
    script:
        "../scripts/plot_clustering.py"


rule plot_rmse_table:
    input:
        metrics=training_runs("metrics.json"),
        split=f"results/{{dataset}}/splits/{split_name()}.json",
    output:
        pdf="results/{dataset}/figures/rmse_table.pdf",
        png=report(
            "results/{dataset}/figures/rmse_table.png",
            caption="../report/rmse_table.rst",
            category="Accuracy",
            labels={"result": "rmse_table", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/rmse_table.tsv",
            category="Accuracy",
            labels={"result": "rmse_table", "type": "table"},
        ),
        claims=report(
            "results/{dataset}/tables/rmse_table_claims.tsv",
            category="Accuracy",
            labels={"result": "rmse_table", "type": "the paper's claims"},
        ),
    log:
        "results/{dataset}/logs/plot_rmse_table.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_rmse_table.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        title=lambda wildcards: f"{wildcards.dataset}: test %RMSE, encoder x distance",
    script:
        "../scripts/plot_rmse_table.py"


rule plot_training_time:
    input:
        metrics=training_runs("metrics.json"),
        benchmarks=training_benchmarks(),
    output:
        pdf="results/{dataset}/figures/training_time.pdf",
        png=report(
            "results/{dataset}/figures/training_time.png",
            caption="../report/training_time.rst",
            category="Training",
            labels={"result": "training_time", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/training_time.tsv",
            category="Training",
            labels={"result": "training_time", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_training_time.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_training_time.tsv"
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
        pdf="results/{dataset}/figures/embedding_dim.pdf",
        png=report(
            "results/{dataset}/figures/embedding_dim.png",
            caption="../report/embedding_dim.rst",
            category="Embedding dimension",
            labels={"result": "embedding_dim", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/embedding_dim.tsv",
            category="Embedding dimension",
            labels={"result": "embedding_dim", "type": "table"},
        ),
    log:
        "results/{dataset}/logs/plot_embedding_dim.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_embedding_dim.tsv"
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
        pdf="results/{dataset}/figures/hparam_search.pdf",
        png=report(
            "results/{dataset}/figures/hparam_search.png",
            caption="../report/hparam_search.rst",
            category="Hyperparameter search",
            labels={"result": "hparam_search", "type": "figure"},
        ),
        table=report(
            "results/{dataset}/tables/hparam_search.tsv",
            category="Hyperparameter search",
            labels={"result": "hparam_search", "type": "table"},
        ),
        best="results/{dataset}/hparam_search/best.yaml",
    log:
        "results/{dataset}/logs/plot_hparam_search.log",
    benchmark:
        "results/{dataset}/benchmarks/plot_hparam_search.tsv"
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
