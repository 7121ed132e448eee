#!/usr/bin/env bash
# Publishes every first-party plugin (plugins/SupportPlatform.Plugins.*, except the Sample) into DEST/<name>, e.g.
# DEST/Notifications.ChatWebhook, each folder with its plugin.json: what the packages ship as plugins-available.
# Usage: packaging/publish-plugins.sh DEST VERSION
# SP_PLUGINS_FROM_BUILD=CONFIG copies each plugin's existing build output (bin/CONFIG/net10.0, which holds every
# dependency and plugin.json) instead of publishing: the package test uses it to stay fast.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$1"; version="$2"
mkdir -p "$dest"
for project in "$root"/plugins/SupportPlatform.Plugins.*/; do
  name="$(basename "$project")"
  [[ "$name" == SupportPlatform.Plugins.Sample ]] && continue
  target="$dest/${name#SupportPlatform.Plugins.}"
  if [[ -n "${SP_PLUGINS_FROM_BUILD:-}" ]]; then
    build="$project/bin/$SP_PLUGINS_FROM_BUILD/net10.0"
    [[ -f "$build/plugin.json" ]] || { echo "publish-plugins: $build has no plugin.json (build $name first)" >&2; exit 1; }
    mkdir -p "$target"
    cp -a "$build/." "$target/"
  else
    dotnet publish "$project" -c Release -p:Version="$version" -o "$target" --nologo -v quiet
  fi
  [[ -f "$target/plugin.json" ]] || { echo "publish-plugins: $target has no plugin.json" >&2; exit 1; }
done
