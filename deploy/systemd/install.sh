#!/bin/sh
# Installs the driftwatch agent as a systemd service on a host (docs/deploy.md#systemd).
#
# Run from a built checkout or an unpacked release (the folder with dist/, node_modules/,
# package.json): sudo deploy/systemd/install.sh
#
# Layout:
#   /opt/driftwatch/                 the program (dist/, production node_modules/, docs/)
#   /etc/driftwatch/driftwatch.yaml  the config (kept if it exists); baselines beside it
#   /etc/driftwatch/driftwatch.env   optional environment (AWS_REGION, HTTPS_PROXY, ...)
#   /var/lib/driftwatch/             state (SQLite), made by systemd (StateDirectory=)
#   /etc/systemd/system/driftwatch-agent.service
#
# DESTDIR=/staging installs under a staging root and leaves systemctl alone (packaging, tests).
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=${PREFIX:-/opt/driftwatch}
DESTDIR=${DESTDIR:-}
NODE=${NODE:-$(command -v node || true)}

fail() { echo "install.sh: $*" >&2; exit 1; }

[ -n "$NODE" ] || fail "node (>= 20) is not on PATH; install Node.js 20 or later first"
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "node $("$NODE" --version) is too old; driftwatch needs Node.js 20 or later"
[ -f "$SRC/dist/cli/main.js" ] || fail "$SRC/dist/cli/main.js is missing; run 'npm ci && npm run build' first"
[ -d "$SRC/node_modules/better-sqlite3" ] || fail "$SRC/node_modules is missing; run 'npm ci' first"

echo "Installing driftwatch into $DESTDIR$PREFIX"
install -d -m 0755 "$DESTDIR$PREFIX"
rm -rf "$DESTDIR$PREFIX/dist" "$DESTDIR$PREFIX/node_modules"
cp -R "$SRC/dist" "$SRC/node_modules" "$SRC/docs" "$SRC/package.json" "$SRC/package-lock.json" "$DESTDIR$PREFIX/"
# Only what runs: the build and test tools stay behind.
if command -v npm >/dev/null 2>&1; then
  (cd "$DESTDIR$PREFIX" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
fi

install -d -m 0755 "$DESTDIR/etc/driftwatch" "$DESTDIR/etc/driftwatch/baselines"
if [ ! -e "$DESTDIR/etc/driftwatch/driftwatch.yaml" ]; then
  install -m 0644 "$SRC/deploy/systemd/driftwatch.yaml" "$DESTDIR/etc/driftwatch/driftwatch.yaml"
fi

install -d -m 0755 "$DESTDIR/etc/systemd/system"
install -m 0644 "$SRC/deploy/systemd/driftwatch-agent.service" "$DESTDIR/etc/systemd/system/driftwatch-agent.service"
if [ "$NODE" != /usr/bin/node ]; then
  # The unit runs /usr/bin/node; point it at this host's node instead.
  install -d -m 0755 "$DESTDIR/etc/systemd/system/driftwatch-agent.service.d"
  cat > "$DESTDIR/etc/systemd/system/driftwatch-agent.service.d/node.conf" <<UNIT
[Service]
ExecStartPre=
ExecStartPre=$NODE $PREFIX/dist/cli/main.js agent --config /etc/driftwatch/driftwatch.yaml --check
ExecStart=
ExecStart=$NODE $PREFIX/dist/cli/main.js agent --config /etc/driftwatch/driftwatch.yaml
UNIT
fi

if [ -z "$DESTDIR" ]; then
  systemctl daemon-reload
  echo "Installed. Put the baselines in /etc/driftwatch/baselines/, edit /etc/driftwatch/driftwatch.yaml, then:"
  echo "  systemctl enable --now driftwatch-agent && journalctl -u driftwatch-agent -f"
fi
