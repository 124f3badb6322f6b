rule search_hparams:
    input:
        encoded="results/{dataset}/encoding/encoded.npz",
        distances="results/{dataset}/edit_distance/distances.npy",
        split="results/{dataset}/splits/{split}.json",
    output:
        "results/{dataset}/hparam_search/{split}/{encoder}-{distance}/trials.tsv",
    log:
        "results/{dataset}/logs/search_hparams/{split}/{encoder}-{distance}.log",
    benchmark:
        "results/{dataset}/benchmarks/search_hparams/{split}/{encoder}-{distance}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    resources:
        **capacity.per_attempt(training_capacity),
        gpu=TRAINING_GPUS,
    params:
        settings=hparam_settings,
        space=hparam_space,
        trials=config["hparam_search"]["trials"],
        # keras-tuner's records of finished trials: an interrupted search resumes from them
        state=lambda wildcards: (
            f"results/{wildcards.dataset}/hparam_search/{wildcards.split}/"
            f"{wildcards.encoder}-{wildcards.distance}/tuner"
        ),
    script:
        "../scripts/search_hparams.py"
