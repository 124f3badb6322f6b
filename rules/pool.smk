rule prepare_pool:
    input:
        unpack(pool_source),
        fasta="results/{dataset}/sequences/sequences.fasta",
        encoded="results/{dataset}/encoding/encoded.npz",
    output:
        pool="results/{dataset}/pool/pool-n{size}-s{pool_seed}.npz",
        report="results/{dataset}/pool/pool-n{size}-s{pool_seed}.json",
    log:
        "results/{dataset}/logs/prepare_pool/pool-n{size}-s{pool_seed}.log",
    benchmark:
        "results/{dataset}/benchmarks/prepare_pool/pool-n{size}-s{pool_seed}.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        options=config["sequences"],
    script:
        "../scripts/prepare_pool.py"
