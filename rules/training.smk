rule train_model:
    input:
        unpack(pool_input),
        encoded="results/{dataset}/encoding/encoded.npz",
        distances="results/{dataset}/edit_distance/distances.npy",
        split="results/{dataset}/splits/{split}.json",
    output:
        model="results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/model.keras",
        history="results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/history.tsv",
        metrics="results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/metrics.json",
    log:
        "results/{dataset}/logs/train_model/{split}/{encoder}-{distance}-seed{seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/train_model/{split}/{encoder}-{distance}-seed{seed}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    resources:
        **capacity.per_attempt(training_capacity),
        gpu=TRAINING_GPUS,
    params:
        settings=train_settings,
    script:
        "../scripts/train_model.py"
