#!/usr/bin/env bash
# Debian packages the platform needs at run and test time. Installs only what is missing, and
# only as root (otherwise it prints what to install).
set -euo pipefail

packages=()
# Headless OpenGL for MuJoCo's offscreen renderer (MUJOCO_GL=egl).
ldconfig -p | grep -q 'libEGL_mesa.so' || packages+=(libegl-mesa0)
ldconfig -p | grep -q 'libEGL.so.1' || packages+=(libegl1)
ldconfig -p | grep -q 'libGL.so.1' || packages+=(libgl1)
# The research agent's sandbox: bubblewrap, and prlimit/setpriv/unshare; ps for its tests.
command -v bwrap >/dev/null || packages+=(bubblewrap)
command -v prlimit >/dev/null && command -v setpriv >/dev/null || packages+=(util-linux)
command -v ps >/dev/null || packages+=(procps)
# ROS 1 (Noetic-era Debian packages) for the deploy bridge: roscore, rospy and the message packages.
command -v roscore >/dev/null || packages+=(ros-core)
for pkg in rospy std_msgs sensor_msgs geometry_msgs nav_msgs; do
    [ -d "/usr/lib/python3/dist-packages/$pkg" ] || packages+=("python3-${pkg//_/-}")
done
# Headless Chromium (and its WebDriver) for the dashboard's browser tests, driven by Playwright.
command -v chromium >/dev/null || packages+=(chromium)
command -v chromedriver >/dev/null || packages+=(chromium-driver)

if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages (install them as root): ${packages[*]}" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
