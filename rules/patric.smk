rule fetch_patric:
    output:
        raw=directory("results/{dataset}/raw/patric"),
    log:
        "results/{dataset}/logs/fetch_patric.log",
    benchmark:
        "results/{dataset}/benchmarks/fetch_patric.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        query=patric_query("fetch"),
    script:
        "../scripts/fetch_patric.py"


rule process_patric:
    input:
        raw="results/{dataset}/raw/patric",
    output:
        fasta=sources.fetched_fasta("{dataset}"),
        provenance="results/{dataset}/raw/patric_provenance.json",
    log:
        "results/{dataset}/logs/process_patric.log",
    benchmark:
        "results/{dataset}/benchmarks/process_patric.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        query=patric_query("process"),
    script:
        "../scripts/process_patric.py"
