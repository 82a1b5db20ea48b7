#!/usr/bin/env bash
# Builds the wasm module and its JavaScript glue into web/pkg/, installing
# what is missing first:
#   - Debian packages: rustc-web, cargo-web, rust-web-src (a rustc that can
#     rebuild std for wasm32), lld-22 (wasm-ld-22), wabt (wasm-objdump, used
#     by the tests);
#   - wasm-bindgen-cli, at exactly the version of wasm-bindgen in
#     web/Cargo.lock (cargo install, about 3.5 minutes the first time).
# Then: cargo build for wasm32-unknown-unknown (std rebuilt with
# -Zbuild-std, tail calls enabled), wasm-bindgen --target web, and a copy of
# shapes/examples/*.expr into web/pkg/examples/ with an index.json.
#
# When everything is already there it takes a few seconds.
# Usage: web/build.sh [--debug]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
profile=release
[[ "${1:-}" == "--debug" ]] && profile=dev

say() { printf '[web/build.sh] %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else say "need root to run: $*"; exit 1
    fi
}

# 1. Debian packages.
missing=()
for pkg in rustc-web cargo-web rust-web-src lld-22 wabt; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for tool in /usr/bin/cargo /usr/bin/rustc wasm-ld-22; do
    command -v "$tool" >/dev/null || { say "missing $tool after installing packages"; exit 1; }
done

# 2. wasm-bindgen-cli at the version in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$here/Cargo.lock")
[[ -n "$want" ]] || { say "cannot find wasm-bindgen's version in web/Cargo.lock"; exit 1; }
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$cargo_home/bin:$PATH"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have" != "$want" ]]; then
    say "installing wasm-bindgen-cli $want (found: ${have:-none}); this takes a few minutes"
    # With rustup's cargo (its default toolchain, or the one the caller runs
    # under, e.g. `cargo test`'s); from $HOME, away from the repository's
    # .cargo/config.toml.
    installer="$cargo_home/bin/cargo"
    [[ -x "$installer" ]] || installer=cargo
    (cd "$HOME" && env -u CARGO_TARGET_DIR -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
        "$installer" install wasm-bindgen-cli --version "$want" --no-default-features --bin wasm-bindgen --force)
    have=$(wasm-bindgen --version | awk '{print $2}')
    [[ "$have" == "$want" ]] || { say "wasm-bindgen is $have after installing $want (PATH order?)"; exit 1; }
fi

# 3. The wasm module. Debian's cargo and rustc, not rustup's (whose
# toolchains have no wasm32 std); RUSTC_BOOTSTRAP for -Zbuild-std and the
# crate's #![feature]s. Flags from the environment are meant for native builds
# and would replace the wasm rustflags, so they are dropped.
say "building the wasm module ($profile)"
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_BUILD_TARGET \
    -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u CARGO_TARGET_DIR -u RUSTUP_TOOLCHAIN -u RUSTDOC \
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build --profile "$profile" \
        --manifest-path "$here/Cargo.toml" \
        --target wasm32-unknown-unknown \
        --target-dir "$here/target" \
        --config "$here/wasm.cargo.toml"
outdir=release
[[ "$profile" == dev ]] && outdir=debug
wasm="$here/target/wasm32-unknown-unknown/$outdir/tapir_web.wasm"

# 4. JavaScript glue (an ES module the page and its workers import).
wasm-bindgen --target web --no-typescript --out-dir "$here/pkg" "$wasm"

# 5. Example shapes, served from pkg/examples/ (pkg/ is not committed).
ex="$here/pkg/examples"
rm -rf "$ex"
mkdir -p "$ex"
names=()
shopt -s nullglob
for f in "$root"/shapes/examples/*.expr; do
    name=$(basename "$f")
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { say "skipping example with an odd name: $name"; continue; }
    cp "$f" "$ex/$name"
    names+=("\"$name\"")
done
(IFS=,; printf '{"examples":[%s]}\n' "${names[*]:-}") > "$ex/index.json"

say "done: $(du -h "$here/pkg/tapir_web_bg.wasm" | cut -f1) wasm, ${#names[@]} examples; serve with web/serve.sh"
