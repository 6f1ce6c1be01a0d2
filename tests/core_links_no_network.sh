#!/bin/sh
# The launcher's core library (upkeep_core) must not need Poco or the
# network: no symbol it leaves undefined may come from Poco or name a
# socket call. Run by CTest with the built library's path.
set -eu
lib="$1"
undefined="$(nm -u --format=posix "$lib" | awk '{print $1}')"
count="$(printf '%s\n' "$undefined" | grep -c . || true)"
[ "$count" -gt 100 ] || { echo "expected the undefined symbols of $lib, got $count" >&2; exit 1; }
bad="$(printf '%s\n' "$undefined" | grep -E 'Poco|^(socket|connect|bind|listen|accept4?|getaddrinfo|gethostbyname|send|recv|sendto|recvfrom)$' || true)"
if [ -n "$bad" ]; then
  echo "$lib needs symbols the core must not use:" >&2
  printf '%s\n' "$bad" | sort -u | head -20 >&2
  exit 1
fi
echo "$lib: $count undefined symbols, none from Poco or the socket API"
