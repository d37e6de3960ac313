#!/usr/bin/env bash
# Install the `dense` extra into a virtual environment: full mmcv with its
# compiled ops, then mmdet and mmseg.
#
# No mmcv wheel exists for the torch we pin, so mmcv is built once from the
# PyPI sdist for the installed torch and Python, and the wheel is cached
# outside the repository (MMVIT_EXT_CACHE, default ~/.cache/mmvit_ext).
# Later runs install the cached wheel in seconds. pip's own wheel cache is
# not used: it would hand back a wheel built against another torch.
#
# Two things keep mmcv 2.1.0's setup.py from building against current torch:
#   * it imports pkg_resources, which setuptools >= 70 dropped; the build runs
#     with setuptools < 70 on PYTHONPATH, leaving the venv's own untouched;
#   * it asks for -std=c++14/17, while torch's headers need C++20; a compiler
#     wrapper rewrites those flags to -std=c++20.
#
# Usage: tools/dense/install_dense.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail

PY=${1:-.venv/bin/python}
MMCV_VERSION=2.1.0
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${MMVIT_EXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmvit_ext}
PIP=("$PY" -m pip --disable-pip-version-check)

# mmcv builds its CUDA ops too when torch sees a GPU; the key says which.
key=$("$PY" -c 'import sys, sysconfig, torch
ops = f"cuda{torch.version.cuda}" if torch.cuda.is_available() else "cpu"
print(f"torch{torch.__version__}-cp{sys.version_info.major}{sys.version_info.minor}-{sysconfig.get_platform()}-{ops}")')
wheel_dir="$CACHE/wheels/mmcv-$MMCV_VERSION-$key"
wheel=$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)

if [ -z "$wheel" ]; then
    echo "Building mmcv $MMCV_VERSION with ops for $key (12 to 16 minutes on 2 CPU cores)."
    echo "The wheel will be cached in $wheel_dir."
    mkdir -p "$CACHE/wheels"
    build=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$build"' EXIT

    # Build-only tools, kept out of the venv.
    "${PIP[@]}" install -q --no-warn-conflicts --target "$build/deps" \
        'setuptools<70' wheel ninja

    # g++ that turns mmcv's -std=c++14/17 into the C++20 torch requires.
    mkdir -p "$build/bin"
    cat > "$build/bin/c++20" <<'WRAP'
#!/usr/bin/env bash
args=()
for a in "$@"; do
    case "$a" in
        -std=c++14|-std=c++17|-std=gnu++14|-std=gnu++17) args+=(-std=c++20) ;;
        *) args+=("$a") ;;
    esac
done
exec "${MMVIT_EXT_REAL_CXX:-g++}" "${args[@]}"
WRAP
    chmod +x "$build/bin/c++20"

    PATH="$build/deps/bin:$build/bin:$PATH" \
    PYTHONPATH="$build/deps${PYTHONPATH:+:$PYTHONPATH}" \
    CC="$build/bin/c++20" CXX="$build/bin/c++20" \
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        "${PIP[@]}" wheel --no-deps --no-build-isolation --no-binary mmcv \
        --no-cache-dir -w "$build/wheels" "mmcv==$MMCV_VERSION"

    # Publish atomically: a killed build leaves no half-written wheel behind.
    rm -rf "$wheel_dir"
    mv "$build/wheels" "$wheel_dir"
    wheel=$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl)
fi

echo "Installing $wheel"
# mmcv-lite and mmcv ship the same package; keep only the full one.
"${PIP[@]}" uninstall -q -y mmcv-lite 2>/dev/null || true
"${PIP[@]}" install -q --no-deps --force-reinstall "$wheel"
"${PIP[@]}" install -q -r "$ROOT/requirements/dense.txt"
"$PY" -c 'import mmcv.ops, mmdet.models, mmseg.models; print("dense extra ready: mmcv", mmcv.__version__)'
