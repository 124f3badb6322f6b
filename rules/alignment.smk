rule align_sequences:
    input:
        fasta="results/{dataset}/sequences/sequences.fasta",
    output:
        aligned="results/{dataset}/alignment/aligned.fasta",
    log:
        "results/{dataset}/logs/align_sequences.log",
    benchmark:
        "results/{dataset}/benchmarks/align_sequences.tsv"
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
