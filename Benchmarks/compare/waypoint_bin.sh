# Sourced by the compare scripts: sets WAYPOINT to a release build of waypoint, building one (after
# installing what the machine lacks) unless WAYPOINT already names a binary. Needs $root.
if [ -z "${WAYPOINT:-}" ]; then
  "$root/scripts/setup"
  echo "building waypoint (release)..." >&2
  (cd "$root" && swift build -c release --product waypoint >/dev/null)
  WAYPOINT="$(cd "$root" && swift build -c release --show-bin-path)/waypoint"
fi
