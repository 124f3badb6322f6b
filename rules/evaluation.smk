rule evaluate_retrieval:
    input:
        model="results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/model.keras",
        encoded="results/{dataset}/encoding/encoded.npz",
        distances="results/{dataset}/edit_distance/distances.npy",
        split="results/{dataset}/splits/{split}.json",
    output:
        "results/{dataset}/evaluation/{split}/{encoder}-{distance}/seed{seed}/retrieval.json",
    log:
        "results/{dataset}/logs/evaluate_retrieval/{split}/{encoder}-{distance}-seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate_retrieval/{split}/{encoder}-{distance}-seed{seed}.tsv"
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
        model="results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/model.keras",
        encoded="results/{dataset}/encoding/encoded.npz",
        distances="results/{dataset}/edit_distance/distances.npy",
        split="results/{dataset}/splits/{split}.json",
    output:
        "results/{dataset}/evaluation/{split}/{encoder}-{distance}/seed{seed}/clustering.tsv",
    log:
        "results/{dataset}/logs/evaluate_clustering/{split}/{encoder}-{distance}-seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/evaluate_clustering/{split}/{encoder}-{distance}-seed{seed}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    params:
        size=config["evaluation"]["clustering_size"],
    script:
        "../scripts/evaluate_clustering.py"
