rule tune_hparams:
    input:
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
        split=paths.artifact("split"),
    output:
        paths.artifact("trials"),
    log:
        paths.log("tune_hparams", "{split}/{encoder}-{distance}"),
    benchmark:
        paths.benchmark("tune_hparams", "{split}/{encoder}-{distance}")
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    resources:
        **capacity.per_attempt(training_capacity),
        gpu=TRAINING_GPUS,
    params:
        settings=tuning_settings_of,
        space=tuning_space_of,
        trials=config["tuning"]["trials"],
        # keras-tuner's records of finished trials: an interrupted search resumes from them
        state=lambda wildcards: paths.artifact(
            "tuner",
            wildcards.dataset,
            split=wildcards.split,
            encoder=wildcards.encoder,
            distance=wildcards.distance,
        ),
    script:
        "../scripts/tune_hparams.py"
