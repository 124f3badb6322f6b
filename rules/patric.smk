rule fetch_patric:
    output:
        raw=directory(paths.artifact("patric_raw")),
    log:
        paths.log("fetch_patric"),
    benchmark:
        paths.benchmark("fetch_patric")
    conda:
        "../envs/neuroseed.yaml"
    params:
        query=patric_query("fetch"),
    script:
        "../scripts/fetch_patric.py"


rule process_patric:
    input:
        raw=paths.artifact("patric_raw"),
    output:
        fasta=paths.artifact("patric_fasta"),
        provenance=paths.artifact("patric_provenance"),
    log:
        paths.log("process_patric"),
    benchmark:
        paths.benchmark("process_patric")
    conda:
        "../envs/neuroseed.yaml"
    params:
        query=patric_query("process"),
    script:
        "../scripts/process_patric.py"
