use rule train_model as train_model_dim with:
    output:
        model="results/{dataset}/embedding_dim/{split}/{encoder}-{distance}/dim{dim}/seed{seed}/model.keras",
        history="results/{dataset}/embedding_dim/{split}/{encoder}-{distance}/dim{dim}/seed{seed}/history.tsv",
        metrics="results/{dataset}/embedding_dim/{split}/{encoder}-{distance}/dim{dim}/seed{seed}/metrics.json",
    log:
        "results/{dataset}/logs/train_model_dim/{split}/{encoder}-{distance}-dim{dim}-seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/train_model_dim/{split}/{encoder}-{distance}-dim{dim}-seed{seed}.tsv"
