rule split_sequences:
    input:
        fasta="results/{dataset}/sequences/sequences.fasta",
    output:
        split="results/{dataset}/splits/{split}.json",
    log:
        "results/{dataset}/logs/split_sequences/{split}.log",
    benchmark:
        "results/{dataset}/benchmarks/split_sequences/{split}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        options=config["split"],
    script:
        "../scripts/split_sequences.py"
