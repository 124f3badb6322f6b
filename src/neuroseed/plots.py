"""Figures (seaborn), each written as PDF and PNG together with the tidy table behind it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from neuroseed import NeuroseedError, registry
from neuroseed.io import atomic_path
from neuroseed.published import peer_epoch_seconds, qiita_rmse

# What identifies a run in every table: its encoder, distance and seed.
RUN = ("model", "distance", "seed")


def _save(fig, pdf: str | Path, png: str | Path) -> None:
    with atomic_path(pdf, suffix=".pdf") as tmp:
        fig.savefig(tmp, bbox_inches="tight")
    with atomic_path(png, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=150, bbox_inches="tight")


def _setup():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper", font_scale=1.2)
    return plt, sns


def collect_metrics(paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per training run from its ``metrics.json``."""
    rows = [json.loads(Path(p).read_text()) for p in paths]
    keep = [
        "model",
        "distance",
        "seed",
        "embedding_dim",
        "epochs",
        "epochs_run",
        "best_epoch",
        "test_rmse_pct",
        "val_rmse_pct",
        "constant_predictor_test_rmse_pct",
        "train_seconds",
        "train_pairs_per_second",
        "parameters",
    ]
    table = pd.DataFrame(rows)
    # the test %RMSE without its worst read (runs trained before it was recorded: empty)
    worst = table.get("test_worst_read", pd.Series([None] * len(table)))
    table["test_rmse_pct_without_worst_read"] = [
        w["rmse_pct_without"] if isinstance(w, dict) else float("nan") for w in worst
    ]
    keep.append("test_rmse_pct_without_worst_read")
    return table[keep].sort_values(["model", "distance", "seed"], ignore_index=True)


def collect_histories(paths: Sequence[str | Path], metrics: Sequence[str | Path]) -> pd.DataFrame:
    """Epoch-by-epoch history of every trained run, long format (one row per epoch and split
    part); the k-mer baseline has no epochs and is left out."""
    frames = []
    for hist_path, met_path in zip(paths, metrics, strict=True):
        meta = json.loads(Path(met_path).read_text())
        if meta["model"] not in registry.TRAINED:
            continue
        h = pd.read_csv(hist_path, sep="\t")
        h = h.rename(columns={"rmse_pct": "train (sampled pairs)", "val_rmse_pct": "validation"})
        long = h.melt(
            id_vars="epoch",
            value_vars=["train (sampled pairs)", "validation"],
            var_name="part",
            value_name="rmse_pct",
        )
        long.insert(0, "seed", meta["seed"])
        long.insert(0, "distance", meta["distance"])
        long.insert(0, "model", meta["model"])
        frames.append(long)
    if not frames:
        raise NeuroseedError("no training curves to plot: every run is the k-mer baseline")
    return pd.concat(frames, ignore_index=True)


def plot_rmse(table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = "") -> None:
    """Bar chart of test %RMSE per encoder and distance, with the constant predictor as a line."""
    plt, sns = _setup()
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * table["model"].nunique(), 4))
    sns.barplot(data=table, x="model", y="test_rmse_pct", hue="distance", ax=ax, errorbar="sd")
    baseline = table["constant_predictor_test_rmse_pct"].mean()
    ax.axhline(baseline, ls="--", color="0.3", lw=1)
    ax.annotate(
        "constant predictor",
        (0.99, baseline),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        fontsize=9,
        color="0.3",
    )
    ax.set_xlabel("encoder")
    ax.set_ylabel("test %RMSE (100·RMSE of ED/L)")
    ax.set_title(title)
    ax.legend(title="distance", frameon=False)
    _save(fig, pdf, png)
    plt.close(fig)


def plot_training_curves(
    table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = ""
) -> None:
    """Train and validation %RMSE per epoch, one panel per encoder, one colour per distance."""
    plt, sns = _setup()
    grid = sns.relplot(
        data=table,
        x="epoch",
        y="rmse_pct",
        hue="distance",
        style="part",
        col="model",
        kind="line",
        errorbar="sd",
        facet_kws={"sharey": False, "sharex": False},
        height=3.5,
        aspect=1.1,
    )
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    grid.set_axis_labels("epoch", "%RMSE (log scale)")
    grid.set_titles("encoder: {col_name}")
    for ax in grid.axes.flat:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    if title:
        grid.figure.suptitle(title, y=1.03)
    _save(grid.figure, pdf, png)
    plt.close(grid.figure)


def collect_split_depth(
    metrics: Sequence[str | Path], leakage: Sequence[str | Path]
) -> pd.DataFrame:
    """One row per split-depth run: method, depth, seed, train/val/test %RMSE, leakage."""
    leak = {}
    for path in leakage:
        s = json.loads(Path(path).read_text())
        p = s["split"]
        leak[(p["method"], p.get("depth", 0), p["seed"])] = s
    rows = []
    for path in metrics:
        m = json.loads(Path(path).read_text())
        method, depth, seed = _split_of(m, path)
        s = leak[(method, depth, seed)]
        rows.append(
            {
                "method": method,
                "depth": depth,
                "seed": seed,
                "cluster_size": 2**depth,
                "train_rmse_pct": m["train_rmse_pct"],
                "val_rmse_pct": m["val_rmse_pct"],
                "test_rmse_pct": m["test_rmse_pct"],
                "constant_predictor_test_rmse_pct": m["constant_predictor_test_rmse_pct"],
                "nearest_train_median": s["nearest_train_normalised_distance"]["median"],
                "nearest_train_q25": s["nearest_train_normalised_distance"]["q25"],
                "nearest_train_q75": s["nearest_train_normalised_distance"]["q75"],
                "identical_in_train": s["identical_to_a_training_sequence"],
            }
        )
    return pd.DataFrame(rows).sort_values(["method", "depth", "seed"], ignore_index=True)


def _split_of(metrics: dict, path: str | Path) -> tuple[str, int, int]:
    """Method, depth and seed of the split a run was trained on, as its metrics record it."""
    split = _recorded(metrics, "split", path)
    return split["method"], split["depth"], split["seed"]


def _recorded(table: dict, key: str, path: str | Path):
    """``table[key]``, or a one-line error for an output written before the key existed."""
    if key not in table:
        raise NeuroseedError(
            f"{path}: no '{key}' in it (written by an older version); delete it and run "
            "snakemake again"
        )
    return table[key]


def plot_split_depth(
    table: pd.DataFrame,
    absolute: tuple[str, str],
    relative: tuple[str, str],
    leakage: tuple[str, str],
    title: str = "",
) -> None:
    """Test %RMSE vs depth; train/val/test error relative to depth 0; nearest-train distance."""
    plt, sns = _setup()
    methods = {"distance": "distance-based", "tree": "tree-based"}
    t = table.assign(method=table["method"].map(methods))

    _depth_line(t, "test_rmse_pct", "test %RMSE", title, absolute)

    long = t.melt(
        id_vars=["method", "depth", "seed"],
        value_vars=["train_rmse_pct", "val_rmse_pct", "test_rmse_pct"],
        var_name="part",
        value_name="rmse",
    )
    long["part"] = (
        long["part"]
        .str.replace("_rmse_pct", "")
        .map({"train": "train", "val": "validation", "test": "test"})
    )
    base = long[long["depth"] == long["depth"].min()].groupby(["method", "part"])["rmse"].mean()
    long["relative"] = (
        long["rmse"] / base.reindex(pd.MultiIndex.from_frame(long[["method", "part"]])).to_numpy()
    )
    grid = sns.relplot(
        data=long,
        x="depth",
        y="relative",
        hue="part",
        col="method",
        kind="line",
        marker="o",
        err_style="bars",
        errorbar="sd",
        height=3.5,
        aspect=1.1,
    )
    grid.set_axis_labels("split depth n", "%RMSE relative to the lowest depth")
    grid.set_titles("{col_name}")
    if title:
        grid.figure.suptitle(title, y=1.03)
    _save(grid.figure, *relative)
    plt.close(grid.figure)

    _depth_line(
        t, "nearest_train_median", "median ED/L, test to nearest training sequence", title, leakage
    )


def _depth_line(table: pd.DataFrame, y: str, ylabel: str, title: str, out: tuple[str, str]) -> None:
    """One line per split method against depth, error bars over seeds."""
    plt, sns = _setup()
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(
        data=table, x="depth", y=y, hue="method", marker="o", err_style="bars", errorbar="sd", ax=ax
    )
    ax.set_xlabel("split depth n (withheld groups of 2ⁿ sequences)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _save(fig, *out)
    plt.close(fig)


def collect_retrieval(paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per run and k: top-k accuracy of closest-string retrieval."""
    rows = []
    for path in paths:
        r = json.loads(Path(path).read_text())
        for key in sorted(k for k in r if k.startswith("top")):
            rows.append(
                {
                    **{key: _recorded(r, key, path) for key in RUN},
                    "k": int(key[3:]),
                    "accuracy": r[key],
                    "queries_scored": r["queries_scored"],
                    "references": r["references"],
                }
            )
    return pd.DataFrame(rows).sort_values(["model", "distance", "seed", "k"], ignore_index=True)


def collect_clustering(paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per run and linkage method: % increase of Dasgupta's cost over exact ED."""
    frames = [pd.read_csv(p, sep="\t") for p in paths]
    for frame, path in zip(frames, paths, strict=True):
        _recorded(frame, "model", path)
    cols = [*RUN, "linkage", "sequences", "increase_pct"]
    cols += ["cost_embedding", "cost_exact"]
    return pd.concat(frames, ignore_index=True)[cols]


def _grouped_bars(table, y, col, ylabel, col_title, title, pdf, png):
    plt, sns = _setup()
    grid = sns.catplot(
        data=table,
        x="model",
        y=y,
        hue="distance",
        col=col,
        kind="bar",
        errorbar="sd",
        height=3.5,
        aspect=1.1,
    )
    grid.set_axis_labels("encoder", ylabel)
    grid.set_titles(col_title)
    for ax in grid.axes.flat:
        ax.tick_params(axis="x", rotation=30)
    if title:
        grid.figure.suptitle(title, y=1.03)
    _save(grid.figure, pdf, png)
    plt.close(grid.figure)


def plot_retrieval(table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = "") -> None:
    """Top-k accuracy of finding each query's true nearest reference, one panel per k."""
    t = table.assign(accuracy=100 * table["accuracy"])
    _grouped_bars(
        t,
        "accuracy",
        "k",
        "queries whose true nearest is found (%)",
        "top-{col_name}",
        title,
        pdf,
        png,
    )


def plot_clustering(table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = "") -> None:
    """% increase of Dasgupta's cost over clustering on exact edit distances, per linkage."""
    _grouped_bars(
        table,
        "increase_pct",
        "linkage",
        "Dasgupta cost increase over exact ED (%)",
        "{col_name} linkage",
        title,
        pdf,
        png,
    )


def summarize_rmse(table: pd.DataFrame, train_reads: int | None = None) -> pd.DataFrame:
    """Test %RMSE mean ± sd over seeds per encoder and distance, beside the paper's Qiita
    numbers (a different dataset: a reference, not a target), with each cell's budget and what
    it used: the epoch limit, epochs run and best epoch (means over seeds), minutes per run and
    the training reads."""
    g = table.groupby(["model", "distance"])
    out = g["test_rmse_pct"].agg(seeds="count", mean_rmse_pct="mean", sd_rmse_pct="std")
    out = out.reset_index()
    out["sd_rmse_pct"] = out["sd_rmse_pct"].fillna(0.0)
    out["constant_predictor_rmse_pct"] = g["constant_predictor_test_rmse_pct"].mean().values
    if "test_rmse_pct_without_worst_read" in table:
        out["mean_rmse_pct_without_worst_read"] = (
            g["test_rmse_pct_without_worst_read"].mean().values
        )
    out["published_qiita_rmse_pct"] = [
        qiita_rmse(m, d) for m, d in zip(out["model"], out["distance"], strict=True)
    ]
    out["max_epochs"] = g["epochs"].max().values  # empty for kmer: fitted in closed form
    out["epochs_run"] = g["epochs_run"].mean().values
    out["best_epoch"] = g["best_epoch"].mean().values
    out["train_minutes"] = g["train_seconds"].mean().values / 60.0
    out["train_reads"] = train_reads
    return out


# The comparison with the paper kept in the docs (docs/results/paper_v4.tsv): summarize_rmse's
# columns under the names the docs use
PAPER_COLUMNS = {
    "model": "encoder",
    "distance": "distance",
    "seeds": "seeds",
    "mean_rmse_pct": "test_rmse_pct",
    "sd_rmse_pct": "sd",
    "mean_rmse_pct_without_worst_read": "test_rmse_pct_without_worst_read",
    "published_qiita_rmse_pct": "paper_rmse_pct",
    "max_epochs": "max_epochs",
    "epochs_run": "epochs_run",
    "best_epoch": "best_epoch",
    "train_minutes": "train_minutes",
    "train_reads": "train_reads",
}


def paper_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """A :func:`summarize_rmse` table as ours beside the paper's, one row per cell."""
    return summary[[c for c in PAPER_COLUMNS if c in summary]].rename(columns=PAPER_COLUMNS)


def write_paper_comparison(summary: pd.DataFrame, paper: str | Path, claims: str | Path) -> None:
    """:func:`paper_comparison` and :func:`paper_claims` of a :func:`summarize_rmse` table as
    TSVs (``fig_rmse_table``'s, and the docs' built from kept runs)."""
    paper_comparison(summary).to_csv(paper, sep="\t", index=False, float_format="%.4f")
    paper_claims(summary).to_csv(claims, sep="\t", index=False, float_format="%.2f")


def paper_claims(summary: pd.DataFrame) -> pd.DataFrame:
    """The paper's two headline claims checked on a :func:`summarize_rmse` table, ours beside
    the published table's: (a) hyperbolic is the lowest geometry for every encoder, by how
    much below the next best (%, mean over encoders); (b) among hyperbolic models the CNN is
    best and linear worst (on the published Qiita table itself GRU is worst). Encoders with a
    hyperbolic and another distance count for (a); every trained one with hyperbolic for (b)."""
    rows = []
    for column, label in (("mean_rmse_pct", "ours"), ("published_qiita_rmse_pct", "paper")):
        table = summary.pivot(index="model", columns="distance", values=column).astype(float)
        table = table.drop(index=[m for m in table.index if m not in registry.TRAINED])
        gaps, lowest = {}, []
        for model, row in table.iterrows():
            others = row.drop("hyperbolic", errors="ignore").dropna()
            if pd.isna(row.get("hyperbolic")) or others.empty:
                continue
            gaps[model] = 100.0 * (others.min() - row["hyperbolic"]) / others.min()
            if row["hyperbolic"] < others.min():
                lowest.append(model)
        order = table["hyperbolic"].dropna().sort_values() if "hyperbolic" in table else None
        rows.append(
            {
                "table": label,
                "encoders": len(gaps),
                "hyperbolic_lowest_for": ", ".join(sorted(lowest)),
                "hyperbolic_lowest_everywhere": bool(gaps) and len(lowest) == len(gaps),
                "mean_pct_below_next_best": sum(gaps.values()) / len(gaps) if gaps else None,
                "pct_below_next_best": ", ".join(f"{m} {g:.0f}" for m, g in sorted(gaps.items())),
                "hyperbolic_order": "" if order is None else " < ".join(order.index),
                "cnn_best": order is not None and len(order) > 1 and order.index[0] == "cnn",
                "linear_worst": order is not None
                and len(order) > 1
                and order.index[-1] == "linear",
            }
        )
    return pd.DataFrame(rows)


def plot_rmse_table(
    summary: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = ""
) -> None:
    """Heatmaps of test %RMSE (mean ± sd over seeds) beside the paper's published Qiita table."""
    import numpy as np

    plt, sns = _setup()
    mean = summary.pivot(index="model", columns="distance", values="mean_rmse_pct")
    sd = summary.pivot(index="model", columns="distance", values="sd_rmse_pct")
    n = summary.pivot(index="model", columns="distance", values="seeds")
    published = summary.pivot(index="model", columns="distance", values="published_qiita_rmse_pct")
    published = published.astype(float)
    ours_text = mean.map(lambda v: "" if np.isnan(v) else f"{v:.2f}") + (
        sd.where(n > 1).map(lambda v: "" if np.isnan(v) else f"\n±{v:.2f}")
    )
    if "max_epochs" in summary:  # a cell trained on a reduced budget says so
        budget = summary.pivot(index="model", columns="distance", values="max_epochs")
        budget = budget.astype(float)
        reduced = budget.where(budget < np.nanmax(budget.to_numpy(), initial=0))
        ours_text = ours_text + reduced.map(lambda v: "" if np.isnan(v) else f"\n≤{v:.0f} ep.")
    pub_text = published.map(lambda v: "n/a" if np.isnan(v) else f"{v:.2f}")
    width = max(5.0, 2.0 + 1.1 * mean.shape[1])  # room for the panel titles
    fig, axes = plt.subplots(1, 2, figsize=(2 * width, 1.5 + 0.8 * mean.shape[0]))
    vmax = np.nanmax([mean.to_numpy().max(), np.nanmax(published.to_numpy(), initial=0)])
    panels = [
        (mean, ours_text, f"this workflow (mean ± sd over {int(n.max().max())} seed(s))"),
        (published, pub_text, "published, Qiita 16S V4 (different dataset)"),
    ]
    for i, (ax, (values, text, label)) in enumerate(zip(axes, panels, strict=True)):
        sns.heatmap(
            values,
            annot=text.to_numpy(),
            fmt="",
            cmap="viridis_r",
            vmin=0,
            vmax=vmax,
            cbar=i == 1,  # one colour scale for both panels
            cbar_kws={"label": "test %RMSE"},
            ax=ax,
        )
        ax.set_title(label)
        ax.set_xlabel("distance")
        ax.set_ylabel("encoder" if i == 0 else "")
    axes[1].annotate(
        "blank: not in the published table",
        (0, -0.2),
        xycoords="axes fraction",
        fontsize=8,
        color="0.3",
    )
    fig.subplots_adjust(wspace=0.35)
    if title:
        fig.suptitle(title, y=1.02)
    _save(fig, pdf, png)
    plt.close(fig)


def collect_training_time(
    metrics: Sequence[str | Path], benchmarks: Sequence[str | Path]
) -> pd.DataFrame:
    """Wall time (the rule's ``benchmark:`` file) and training throughput per run, beside the
    original code's seconds per epoch on gg2000 where a peer measured them."""
    rows = []
    for met_path, bench_path in zip(metrics, benchmarks, strict=True):
        m = json.loads(Path(met_path).read_text())
        bench = pd.read_csv(bench_path, sep="\t")
        epochs = m["epochs_run"] if m["model"] in registry.TRAINED else 0
        rows.append(
            {
                "model": m["model"],
                "distance": m["distance"],
                "seed": m["seed"],
                "wall_seconds": float(bench["s"].iloc[0]),
                "max_rss_mb": float(bench["max_rss"].iloc[0]),
                "train_seconds": m["train_seconds"],
                "epochs_run": epochs,
                "seconds_per_epoch": m["train_seconds"] / epochs if epochs else float("nan"),
                "train_pairs_per_second": m["train_pairs_per_second"],
                "original_code_seconds_per_epoch_gg2000": peer_epoch_seconds(
                    m["model"], m["distance"]
                ),
            }
        )
    return pd.DataFrame(rows).sort_values(["model", "distance", "seed"], ignore_index=True)


def plot_training_time(
    table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = "", reference: bool = True
) -> None:
    """Wall time per training job and seconds per epoch; with ``reference`` (gg2000 only), the
    original code's seconds per epoch on gg2000 (2 CPU cores) beside ours."""
    plt, sns = _setup()
    t = table.assign(
        run=table["model"] + "\n" + table["distance"], wall_minutes=table["wall_seconds"] / 60
    )
    per_epoch = t.dropna(subset=["seconds_per_epoch"])
    long = per_epoch[["run", "seconds_per_epoch"]].assign(source="this workflow")
    if reference:
        ref = (
            per_epoch.groupby("run", sort=False)["original_code_seconds_per_epoch_gg2000"]
            .first()
            .dropna()
        )
        peer = pd.DataFrame(
            {
                "run": ref.index,
                "seconds_per_epoch": ref.values,
                "source": "original code (peer, gg2000, 2 CPU cores)",
            }
        )
        long = pd.concat([long, peer], ignore_index=True)
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.6 * t["run"].nunique(), 4.5))
    sns.barplot(data=t, x="run", y="wall_minutes", ax=axes[0], errorbar="sd", color="C0")
    axes[0].set_ylabel("wall time per training job (min)")
    axes[0].set_title("training job wall time (rule benchmark)")
    if not long.empty:
        sns.barplot(
            data=long, x="run", y="seconds_per_epoch", hue="source", ax=axes[1], errorbar="sd"
        )
        axes[1].legend(title="", frameon=False, fontsize=8)
    axes[1].set_ylabel("seconds per epoch")
    axes[1].set_title("training epoch time")
    for ax in axes:
        ax.set_xlabel("encoder / distance")
        ax.tick_params(axis="x", labelsize=8)
    if title:
        fig.suptitle(title, y=1.02)
    _save(fig, pdf, png)
    plt.close(fig)


def plot_embedding_dim(
    table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = ""
) -> None:
    """Test %RMSE against embedding dimension (log scales), one line per distance."""
    plt, sns = _setup()
    from matplotlib import ticker

    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.lineplot(
        data=table,
        x="embedding_dim",
        y="test_rmse_pct",
        hue="distance",
        style="distance",
        markers=True,
        dashes=False,
        errorbar="sd",
        ax=ax,
    )
    ax.set_xscale("log", base=2)
    dims = sorted(table["embedding_dim"].unique())
    ax.set_xticks(dims, [str(d) for d in dims])
    # geometries differ by an order of magnitude at small dimensions (or when one fails to learn)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.axhline(table["constant_predictor_test_rmse_pct"].mean(), ls="--", color="0.3", lw=1)
    ax.set_xlabel("embedding dimension")
    ax.set_ylabel("test %RMSE (100·RMSE of ED/L)")
    ax.set_title(title)
    ax.legend(
        title="distance\n(dashed: constant\npredictor)",
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
    )
    _save(fig, pdf, png)
    plt.close(fig)


def write_embedding_dim(
    table: pd.DataFrame, tsv: str | Path, pdf: str | Path, png: str | Path, title: str = ""
) -> None:
    """A :func:`collect_metrics` table of the embedding-dimension sweep as its TSV and its
    figure (``fig_embedding_dim``'s, and the docs' built from kept runs)."""
    table.to_csv(tsv, sep="\t", index=False, float_format="%.4f")
    plot_embedding_dim(table, pdf, png, title=title)


def plot_tuning(table: pd.DataFrame, pdf: str | Path, png: str | Path, title: str = "") -> None:
    """Validation %RMSE of every trial, one panel per encoder; the best trial is marked and its
    settings printed under the panel."""
    plt, sns = _setup()
    models = list(dict.fromkeys(table["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4.2), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        t = table[table["model"] == model].dropna(axis=1, how="all")
        best = t.loc[t["val_rmse_pct"].idxmin()]
        ax.plot(t["trial"], t["val_rmse_pct"], "o", color="C0", label="trial")
        ax.plot(best["trial"], best["val_rmse_pct"], "o", color="C3", ms=10, label="best")
        ax.set_xticks(t["trial"])
        ax.legend(frameon=False, fontsize=8)
        ax.set_title(f"encoder: {model}")
        ax.set_xlabel("trial")
        ax.set_ylabel("validation %RMSE (best epoch)")
        names = [c for c in t.columns if c not in ("model", "distance", "trial", "val_rmse_pct")]
        text = "best:\n" + "\n".join(f"  {n} = {best[n]:g}" for n in names)
        ax.text(0.0, -0.2, text, transform=ax.transAxes, fontsize=8, va="top")
    fig.subplots_adjust(wspace=0.45)
    if title:
        fig.suptitle(title, y=1.02)
    _save(fig, pdf, png)
    plt.close(fig)
