rule split_sequences:
    input:
        unpack(split_input),
    output:
        split="results/{dataset}/splits/{split}.json",
    log:
        "results/{dataset}/logs/split_sequences/{split}.log",
    benchmark:
        "results/{dataset}/benchmarks/split_sequences/{split}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        options=split_options,
    script:
        "../scripts/split_sequences.py"


rule report_leakage:
    input:
        unpack(leakage_pool_input),
        split="results/{dataset}/splits/{split}.json",
        encoded="results/{dataset}/encoding/encoded.npz",
        distances="results/{dataset}/edit_distance/distances.npy",
    output:
        table="results/{dataset}/splits/{split}.leakage.tsv",
        summary="results/{dataset}/splits/{split}.leakage.json",
    log:
        "results/{dataset}/logs/report_leakage/{split}.log",
    benchmark:
        "results/{dataset}/benchmarks/report_leakage/{split}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    threads: config["threads"]["edit_distance"]
    script:
        "../scripts/report_leakage.py"
