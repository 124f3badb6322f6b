rule align_sequences:
    input:
        fasta=paths.artifact("sequences"),
    output:
        aligned=paths.artifact("aligned"),
    log:
        paths.log("align_sequences"),
    benchmark:
        paths.benchmark("align_sequences")
    conda:
        "../envs/mafft.yaml"
    threads: config["threads"]["alignment"]
    resources:
        **capacity.per_attempt(
            lambda wildcards, input, threads: capacity.alignment(input.fasta)
        ),
    params:
        options=config["encoding"]["mafft_options"],
    script:
        "../scripts/align_sequences.py"
