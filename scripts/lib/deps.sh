# Shared by scripts/demo.sh and scripts/test.sh: make sure what cotrain needs is here.
# Installs missing system packages when run as root (Debian/Ubuntu apt), otherwise
# stops with a message naming exactly what to install.

cotrain_die() { echo "cotrain: $*" >&2; exit 1; }

# apt_install PKG...: installs Debian packages as root, or explains what to run.
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "cotrain: installing $* (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -qq "$@" >/dev/null 2>&1; then
            apt-get update -qq >/dev/null 2>&1 || true
            apt-get install -y -qq "$@" >/dev/null || cotrain_die "apt-get install $* failed"
        fi
    else
        cotrain_die "missing system packages: $*. Install them with: sudo apt-get install -y $* (on macOS: brew install openssl@3 zstd pkg-config)"
    fi
}

# ensure_system_deps: Swift toolchain, pkg-config, OpenSSL 3 and zstd headers.
ensure_system_deps() {
    command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] ||
        cotrain_die "the Swift 6 toolchain is not on PATH; install it from swift.org (cotrain needs Swift ≥ 6.0)"
    command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
    local missing=()
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    if command -v pkg-config >/dev/null 2>&1; then
        pkg-config --exists 'openssl >= 3.0' || missing+=(libssl-dev)
        pkg-config --exists libzstd || missing+=(libzstd-dev)
    else
        missing+=(libssl-dev libzstd-dev)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# ensure_python_test_deps: a Python 3 with numpy and safetensors for the interop tests.
# Uses python3 when it already has both; otherwise a venv in .build-py (git-ignored),
# whose bin/ is put first on PATH so the tests' `python3` is the venv's.
ensure_python_test_deps() {
    local py
    command -v python3 >/dev/null 2>&1 || apt_install python3
    if python3 -c 'import numpy, safetensors' >/dev/null 2>&1; then
        return
    fi
    if [ ! -x .build-py/bin/python ]; then
        python3 -m venv .build-py >/dev/null 2>&1 || {
            apt_install python3-venv
            python3 -m venv .build-py || cotrain_die "could not create a Python venv in .build-py"
        }
    fi
    py=.build-py/bin/python
    if ! "$py" -c 'import numpy, safetensors' >/dev/null 2>&1; then
        echo "cotrain: installing numpy and safetensors into .build-py (pip)" >&2
        "$py" -m pip install -q numpy safetensors ||
            cotrain_die "pip could not install numpy and safetensors (needed by the interoperability tests)"
    fi
    PATH="$(pwd)/.build-py/bin:$PATH"
    export PATH
}
