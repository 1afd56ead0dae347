#!/usr/bin/env bash
# A real single-node Slurm on this machine, for finemix's cluster tests and for trying a plan:
# munged, slurmctld and slurmd from Debian's packages (slurm-wlm, munge), configured for localhost
# in a private folder (no system files changed, no cgroups, no accounting database).
#
#   scripts/slurm-local.sh start [DIR]   install if missing, configure, start, wait until the node is idle
#   scripts/slurm-local.sh stop [DIR]    stop the three daemons started from DIR
#   scripts/slurm-local.sh status [DIR]  sinfo and squeue
#
# DIR defaults to $FINEMIX_SLURM_DIR or /tmp/finemix-slurm. Slurm's commands find this cluster
# through SLURM_CONF: `export SLURM_CONF=DIR/slurm.conf` (start prints it).
set -euo pipefail
cmd=${1:-status}
dir=${2:-${FINEMIX_SLURM_DIR:-/tmp/finemix-slurm}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export SLURM_CONF="$dir/slurm.conf"
sbin=/usr/sbin

say() { echo "slurm-local: $*" >&2; }

install_if_missing() {
  local need=()
  command -v slurmctld >/dev/null 2>&1 || [ -x $sbin/slurmctld ] || need+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || [ -x $sbin/munged ] || need+=(munge)
  ((${#need[@]})) || return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing ${need[*]} (about two minutes on a fresh machine)"
  local t0=$SECONDS
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  say "installed in $((SECONDS - t0)) s"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

configure() {
  local user host cpus mem
  user=$(id -un)
  host=$(hostname -s)
  cpus=$(nproc)
  # MB the node offers: what is available now, less a margin for the daemons.
  mem=$(awk '/MemAvailable/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/log"
  chmod 700 "$dir/munge"
  if [ ! -f "$dir/munge/munge.key" ]; then
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
  fi
  cat > "$dir/slurm.conf" <<CONF
# Written by scripts/slurm-local.sh: one node, this machine.
ClusterName=finemix-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmctldPort=${FINEMIX_SLURMCTLD_PORT:-6817}
SlurmdPort=${FINEMIX_SLURMD_PORT:-6818}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
KillWait=10
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install_if_missing
  if alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid"; then
    say "already running from $dir"
  else
    stop_daemons quiet
    configure
    $sbin/munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
      </dev/null >/dev/null 2>&1
    # The daemons write their own logs; their stdio must not hold the caller's pipes open (a
    # test reading this script's output would wait for them forever).
    $sbin/slurmctld -c -f "$SLURM_CONF" </dev/null >/dev/null 2>&1 || { say "slurmctld did not start:"; tail -5 "$dir/log/slurmctld.log" >&2; exit 1; }
    $sbin/slurmd -c -f "$SLURM_CONF" </dev/null >/dev/null 2>&1 || { say "slurmd did not start:"; tail -5 "$dir/log/slurmd.log" >&2; exit 1; }
  fi
  local host; host=$(hostname -s)
  for _ in $(seq 1 60); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
      idle|mixed|allocated) say "node $host $state; export SLURM_CONF=$SLURM_CONF"; echo "export SLURM_CONF=$SLURM_CONF"; return 0 ;;
      down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
  done
  say "the node did not become idle in 60 s (sinfo: ${state:-no answer}); logs in $dir/log:"
  tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

stop_daemons() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if alive "$pidfile"; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  [ "${1:-}" = quiet ] || say "stopped (state kept in $dir)"
}

case "$cmd" in
  start) start ;;
  stop) stop_daemons ;;
  status)
    if alive "$dir/slurmctld.pid"; then sinfo; squeue; else say "not running (from $dir)"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
