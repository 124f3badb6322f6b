#!/usr/bin/env bash
# A single-node SLURM cluster on localhost with two fake GPUs, for testing cluster execution
# (needs root).
#   tests/slurm/cluster.sh start STATE_DIR   install slurm-wlm + munge if missing, start munged,
#                                            slurmctld and slurmd; their pids go to STATE_DIR
#   tests/slurm/cluster.sh stop STATE_DIR    stop exactly the daemons that start started
set -euo pipefail
action=${1:?start|stop}
state=${2:?state directory}
mkdir -p "$state"

wait_for() {  # wait_for SECONDS CMD...: retry until CMD succeeds
    local limit=$1; shift
    for _ in $(seq "$((limit * 4))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    echo "timed out waiting for: $*" >&2; return 1
}

start() {
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

    # munge: authentication between the SLURM daemons and clients
    install -d -o munge -g munge -m 700 /etc/munge /var/log/munge /var/lib/munge
    install -d -o munge -g munge -m 755 /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        head -c 1024 /dev/urandom > /etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged
        wait_for 10 sh -c 'munge -n | unmunge'
        cp /run/munge/munged.pid "$state/munged.pid"  # munged writes it as user munge
        touch "$state/munged.started"
    fi

    install -d /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=3600
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
GresTypes=gpu
NodeName=$host CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    # Two fake GPUs (GRES backed by plain files, nothing uses them): jobs that ask for --gpus=1
    # are scheduled as on a GPU cluster, and run on the CPU.
    touch "$state/gpu0" "$state/gpu1"
    printf 'AutoDetect=off\nName=gpu File=%s/gpu[0-1]\n' "$state" > /etc/slurm/gres.conf
    if scontrol ping 2>/dev/null | grep -q "is UP"; then
        echo "a slurmctld is already running here: using it, and leaving it running" >&2
        rm -f "$state/slurmctld.pid" "$state/slurmd.pid"
        sinfo
        return 0
    fi
    /usr/sbin/slurmctld
    wait_for 20 scontrol ping
    /usr/sbin/slurmd
    # a node left drained by an earlier configuration (saved state) is back in service
    scontrol update nodename="$host" state=resume 2>/dev/null || true
    wait_for 30 sh -c "sinfo -h -o %t | grep -qE '^(idle|mix|alloc)'"
    sinfo
}

stop() {
    for daemon in slurmd slurmctld; do
        if [ -s "$state/$daemon.pid" ]; then
            kill "$(cat "$state/$daemon.pid")" 2>/dev/null || true
        fi
    done
    if [ -e "$state/munged.started" ] && [ -s "$state/munged.pid" ]; then
        kill "$(cat "$state/munged.pid")" 2>/dev/null || true
    fi
}

"$action"
