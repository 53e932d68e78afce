# Sourced by ./tessera and ./test: finds a JDK 25+ and Maven, or stops with what to install.
# Order: $JAVA_HOME, the java on the PATH, then every JDK under /usr/lib/jvm (newest first).

tessera_java_major() { # prints the feature version of the JDK at $1, or nothing
  local release="$1/release"
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
  fi
}

tessera_find_jdk() {
  local candidates=() jdk major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for jdk in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${jdk%/}"); done
  for jdk in "${candidates[@]}"; do
    major=$(tessera_java_major "$jdk")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then echo "$jdk"; return 0; fi
  done
  return 1
}

if ! TESSERA_JDK=$(tessera_find_jdk); then
  cat >&2 <<'MSG'
tessera: no JDK 25 or newer was found (looked at $JAVA_HOME, the java on the PATH and /usr/lib/jvm).
Install one, for example Eclipse Temurin 25 (https://adoptium.net) or your distribution's
openjdk-25-jdk package, then run this command again (or point JAVA_HOME at it).
MSG
  exit 1
fi
export JAVA_HOME="$TESSERA_JDK"
if ! command -v mvn >/dev/null 2>&1; then
  echo "tessera: Apache Maven 3.8 or newer is needed to build Tessera; install it (package 'maven') and run this command again." >&2
  exit 1
fi
# Maven's own libraries still touch sun.misc.Unsafe; keep its warnings out of the output.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
