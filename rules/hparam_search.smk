rule search_hparams:
    input:
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
        split=paths.artifact("split"),
    output:
        paths.artifact("trials"),
    log:
        paths.log("search_hparams", "{split}/{encoder}-{distance}"),
    benchmark:
        paths.benchmark("search_hparams", "{split}/{encoder}-{distance}")
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
        state=lambda wildcards: paths.artifact(
            "tuner",
            wildcards.dataset,
            split=wildcards.split,
            encoder=wildcards.encoder,
            distance=wildcards.distance,
        ),
    script:
        "../scripts/search_hparams.py"
