#!/usr/bin/env bash
# A new user's first hour, scripted: a clean clone of this repository's HEAD, a new virtual
# environment, the README's install, then what the README and docs/ promise — a bundled
# problem with --quick, a problem of one's own written from docs/spec.md, a parameter inferred
# with its trajectory plotted, the result reloaded later, a typo answered in one line, and
# ProbConserv through the same solve. Each step's command and its output go to
# newcomer_log.txt here.
#   bash results/fresh_machine/newcomer.sh
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
log="$repo/results/fresh_machine/newcomer_log.txt"
work=$(mktemp -d)
git clone -q "$repo" "$work/clone"
python -m venv "$work/venv"
source "$work/venv/bin/activate"
cd "$work/clone"
export OMP_NUM_THREADS=1
step() {  # step "what" command...: print the command, run it, time it, show its exit code
  echo; echo "## $1"; shift; echo "\$ $*"
  local t0=$SECONDS; "$@"; local rc=$?
  echo "[exit $rc, $((SECONDS - t0)) s]"
}
{
  echo "# $(date -u +%F) $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores"
  step "install (the README's command)" bash -c "pip install -q torch==2.13.0 && pip install -q -e ."
  step "a bundled problem, quick" pinnlab solve problems/burgers.toml --quick --out runs/quick
  cat > my_heat.toml <<'SPEC'
name = "my_heat"
fields = ["u"]

[domain]
x = [0.0, 1.0]
t = [0.0, 0.5]

[parameters]
kappa = 0.1

[equations]
heat = "u_t - kappa*u_xx"

[conditions.start]
kind = "initial"
field = "u"
value = "sin(pi*x)"

[conditions.ends]
kind = "dirichlet"
field = "u"
on = "x"
value = "0"

[reference]
solver = "exact"
u = "exp(-kappa*pi**2*t)*sin(pi*x)"
SPEC
  step "a problem of my own: check it" pinnlab check my_heat.toml
  step "a problem of my own: solve it" pinnlab solve my_heat.toml --quick --out runs/my_heat
  step "infer a parameter (quick)" pinnlab solve problems/burgers_inverse.toml --quick --out runs/inverse
  step "its trajectory is plotted" ls runs/inverse
  step "reload the result later" python -c "
import numpy as np, pinnlab
r = pinnlab.load_result('runs/inverse')
print('nu =', r.metrics['params']['nu'], '+-', r.metrics['uncertainty']['std']['nu'])
print('u(0.5, 0.5) =', float(r.predict({'x': np.array([0.5]), 't': np.array([0.5])})['u'][0]))"
  sed 's/- nu\*u_xx/- nuu*u_xx/' problems/burgers.toml > typo.toml
  step "a typo in an equation (nuu for nu): one line, exit code 2" pinnlab check typo.toml
  step "ProbConserv without its extra: one line, exit code 2" pinnlab solve problems/gpme_stefan.toml --method probconserv --quick --quiet --out runs/stefan
  step "install the Gaussian-process extra" pip install -q -e '.[gp]'
  step "ProbConserv through the same solve" pinnlab solve problems/gpme_stefan.toml --method probconserv --quick --quiet --out runs/stefan
} 2>&1 | grep -v "^WARNING: Location" | tr '\r' '\n' | grep -v "step/s\|s/step\|it/s\]" | tee "$log"
