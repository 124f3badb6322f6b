rule encode_sequences:
    input:
        unpack(encoding_input),
    output:
        encoded=paths.artifact("encoded"),
    log:
        paths.log("encode_sequences"),
    benchmark:
        paths.benchmark("encode_sequences")
    conda:
        "../envs/neuroseed.yaml"
    params:
        length=config["encoding"]["length"],
    script:
        "../scripts/encode_sequences.py"
