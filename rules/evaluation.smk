rule evaluate_retrieval:
    input:
        model=paths.artifact("model"),
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
        split=paths.artifact("split"),
    output:
        paths.artifact("retrieval"),
    log:
        paths.log("evaluate_retrieval", paths.RUN_JOB),
    benchmark:
        paths.benchmark("evaluate_retrieval", paths.RUN_JOB)
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    params:
        references=config["evaluation"]["references"],
        queries=config["evaluation"]["queries"],
    script:
        "../scripts/evaluate_retrieval.py"


rule evaluate_clustering:
    input:
        model=paths.artifact("model"),
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
        split=paths.artifact("split"),
    output:
        paths.artifact("clustering"),
    log:
        paths.log("evaluate_clustering", paths.RUN_JOB),
    benchmark:
        paths.benchmark("evaluate_clustering", paths.RUN_JOB)
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    params:
        size=config["evaluation"]["clustering_size"],
    script:
        "../scripts/evaluate_clustering.py"
