rule plot_rmse:
    input:
        metrics=training_runs("metrics.json"),
    output:
        pdf="results/{dataset}/figures/rmse.pdf",
        png="results/{dataset}/figures/rmse.png",
        table="results/{dataset}/tables/rmse.tsv",
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
        png="results/{dataset}/figures/training_curves.png",
        table="results/{dataset}/tables/training_curves.tsv",
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
        png="results/{dataset}/figures/split_depth.png",
        relative_pdf="results/{dataset}/figures/split_depth_relative.pdf",
        relative_png="results/{dataset}/figures/split_depth_relative.png",
        leakage_pdf="results/{dataset}/figures/split_depth_leakage.pdf",
        leakage_png="results/{dataset}/figures/split_depth_leakage.png",
        table="results/{dataset}/tables/split_depth.tsv",
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
        png="results/{dataset}/figures/retrieval.png",
        table="results/{dataset}/tables/retrieval.tsv",
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
        png="results/{dataset}/figures/clustering.png",
        table="results/{dataset}/tables/clustering.tsv",
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
