rule encode_sequences:
    input:
        unpack(encoding_input),
    output:
        encoded="results/{dataset}/encoding/encoded.npz",
    log:
        "results/{dataset}/logs/encode_sequences.log",
    benchmark:
        "results/{dataset}/benchmarks/encode_sequences.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        length=config["encoding"]["length"],
    script:
        "../scripts/encode_sequences.py"
