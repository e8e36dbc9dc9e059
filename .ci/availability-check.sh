#!/usr/bin/env bash
# check.sh — type-check Swift sources on Linux as if for an Apple target, to catch uses of APIs whose
# @available is newer than the deployment target (Task.immediate, Mutex, Int128, withDiscardingTaskGroup, …).
#
# How: the Linux toolchain ships textual interfaces (.swiftinterface) of Swift, _Concurrency, Synchronization,
# _StringProcessing, … with the Apple availability attributes intact. They are recompiled once for an Apple
# triple into a stand-in "SDK" (cached), together with
#   * Darwin   — a stub: a small C header (pthread, stdio, dlfcn, time, os_unfair_lock) + a Swift overlay
#                (stdout/stderr/errno), enough for `import Darwin` and the Darwin branches of the sources;
#   * Dispatch — a stub: the Linux Dispatch overlay's API, printed by swift-synthesize-interface and
#                recompiled for the Apple triple (declarations only, no C dispatch_* functions).
# Then swift-log's Logging is compiled for the same triple (declarations only), and the sources are
# type-checked with `swiftc -typecheck -target <apple triple>`.
#
# Usage:
#   check.sh [options] PATH...
#     PATH: a package directory (contains Package.swift; checks PATH/Sources/<module>) or source directories /
#           .swift files, all type-checked together as one module.
#   Options:
#     -t, --target TRIPLE   Apple triple, repeatable. Default: x86_64-apple-macosx13.0.
#                           e.g. arm64-apple-ios16.0, arm64-apple-tvos16.0, arm64-apple-watchos9.0
#     -m, --module NAME     module name of the checked sources (default: Cancellation). With a package
#                           directory, repeatable: the modules are checked in the order given, and each
#                           one checked is available to the ones after it (give dependencies first)
#     -l, --logging DIR     swift-log's Sources/Logging (default: <package>/.build/checkouts/swift-log/…,
#                           else tag 1.16.2 of /opt/swift-packages/apple/swift-log.git)
#     -v, --verbose         also print the compiler's full output
# Environment:
#   SWIFTC             compiler (default /opt/swift/usr/bin/swiftc)
#   AVAILCHECK_CACHE   where the stand-in SDKs are kept (default /tmp/availcheck/cache)
#   AVAILCHECK_FLAGS   language flags for the checked module (default matches swift-cancellation's Package.swift)
# Exit status: 0 no availability errors, 1 availability errors, 2 other compile errors only, 3 setup failure.
set -euo pipefail

SWIFTC=${SWIFTC:-/opt/swift/usr/bin/swiftc}
CACHE=${AVAILCHECK_CACHE:-/tmp/availcheck/cache}
FLAGS=${AVAILCHECK_FLAGS:--swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault -package-name swift_cancellation}
MODULES=()
LOGGING_SRC=
VERBOSE=0
TARGETS=()
PATHS=()

while [ $# -gt 0 ]; do
    case "$1" in
        -t|--target) TARGETS+=("$2"); shift 2 ;;
        -m|--module) MODULES+=("$2"); shift 2 ;;
        -l|--logging) LOGGING_SRC=$2; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) PATHS+=("$1"); shift ;;
    esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x86_64-apple-macosx13.0)
[ ${#MODULES[@]} -gt 0 ] || MODULES=(Cancellation)
[ ${#PATHS[@]} -gt 0 ] || { echo "usage: $0 [options] PACKAGE_DIR | SOURCE_DIR... (see --help)" >&2; exit 3; }

die() { echo "availcheck: $*" >&2; exit 3; }

TOOLCHAIN_LIB=$(cd "$(dirname "$(readlink -f "$SWIFTC")")/../lib/swift" && pwd)
LINUX_MODS=$TOOLCHAIN_LIB/linux
HOST_TRIPLE=$(uname -m)-unknown-linux-gnu
SYNTH=$(dirname "$(readlink -f "$SWIFTC")")/swift-synthesize-interface
COMPILER_VERSION=$("$SWIFTC" --version 2>/dev/null | head -1)

# ---------------------------------------------------------------------------------------------------------
# Sources
PACKAGE_DIR=
FILES=()
for p in "${PATHS[@]}"; do
    if [ -f "$p/Package.swift" ]; then
        PACKAGE_DIR=$(cd "$p" && pwd)
    elif [ -d "$p" ]; then
        while IFS= read -r f; do FILES+=("$f"); done < <(find "$(cd "$p" && pwd)" -name '*.swift' | sort)
    elif [ -f "$p" ]; then
        FILES+=("$(readlink -f "$p")")
    else
        die "no such file or directory: $p"
    fi
done
if [ -n "$PACKAGE_DIR" ]; then
    [ ${#FILES[@]} -eq 0 ] || die "give either a package directory or source files, not both"
    for m in "${MODULES[@]}"; do
        [ -d "$PACKAGE_DIR/Sources/$m" ] || die "no $PACKAGE_DIR/Sources/$m"
    done
else
    [ ${#MODULES[@]} -eq 1 ] || die "several modules need a package directory"
    [ ${#FILES[@]} -gt 0 ] || die "no .swift files found"
fi

# The sources of module $1: those given, or the package's Sources/$1.
module_files() {
    if [ -n "$PACKAGE_DIR" ]; then
        find "$PACKAGE_DIR/Sources/$1" -name '*.swift' | sort
    else
        printf '%s\n' "${FILES[@]}"
    fi
}

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/availcheck-run.XXXXXX")
trap 'rm -rf "$RUN_DIR"' EXIT

if [ -z "$LOGGING_SRC" ]; then
    if [ -n "$PACKAGE_DIR" ] && [ -d "$PACKAGE_DIR/.build/checkouts/swift-log/Sources/Logging" ]; then
        LOGGING_SRC=$PACKAGE_DIR/.build/checkouts/swift-log/Sources/Logging
    elif [ -d /opt/swift-packages/apple/swift-log.git ]; then
        mkdir -p "$RUN_DIR/swift-log"
        git -C /opt/swift-packages/apple/swift-log.git archive 1.16.2 Sources/Logging | tar -x -C "$RUN_DIR/swift-log"
        LOGGING_SRC=$RUN_DIR/swift-log/Sources/Logging
    fi
fi

# ---------------------------------------------------------------------------------------------------------
# Stand-in SDK for one Apple triple: <sdk>/res/<platform>/*.swiftmodule and <sdk>/sdk/usr/include (Darwin C).
# Modules are built for the platform's oldest deployment target so any newer -target can import them.

platform_of() {   # triple -> "platform-dir module-os min-version sdk-name"
    local t=$1 sim=
    case "$t" in *-simulator) sim=1 ;; esac
    case "$t" in
        *-apple-macos*)   echo "macosx macos 10.13 macosx" ;;
        *-apple-ios*)     if [ -n "$sim" ]; then echo "iphonesimulator ios-simulator 12.0 iphonesimulator"; else echo "iphoneos ios 12.0 iphoneos"; fi ;;
        *-apple-tvos*)    if [ -n "$sim" ]; then echo "appletvsimulator tvos-simulator 12.0 appletvsimulator"; else echo "appletvos tvos 12.0 appletvos"; fi ;;
        *-apple-watchos*) if [ -n "$sim" ]; then echo "watchsimulator watchos-simulator 4.0 watchsimulator"; else echo "watchos watchos 4.0 watchos"; fi ;;
        *-apple-xros*|*-apple-visionos*) if [ -n "$sim" ]; then echo "xrsimulator xros-simulator 1.0 xrsimulator"; else echo "xros xros 1.0 xros"; fi ;;
        *) return 1 ;;
    esac
}

write_darwin_stub() {   # $1 = include dir, $2 = overlay source path
    mkdir -p "$1"
    cat > "$1/module.modulemap" <<'EOF'
module _AvailcheckCDarwin [system] {
  header "AvailcheckDarwin.h"
  export *
}
EOF
    cat > "$1/AvailcheckDarwin.h" <<'EOF'
/*
 * Stand-in for Apple's Darwin C module, used only to TYPE-CHECK Swift code for an Apple target on Linux.
 * A small subset of the C library with Darwin-like types; nothing here is ever linked. Anything missing
 * shows up as "cannot find 'x' in scope" and check.sh reports it under "other errors".
 * None of these C APIs is newer than macOS 10.12 / iOS 10, so no availability attributes are declared.
 */
#ifndef AVAILCHECK_DARWIN_H
#define AVAILCHECK_DARWIN_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef long ssize_t;
typedef int pid_t;
typedef unsigned int useconds_t;
typedef long time_t;
typedef unsigned short mode_t;
typedef long long off_t;

/* stdio (the overlay adds stdin/stdout/stderr) */
typedef struct __sFILE { unsigned char *_p; int _r; int _w; short _flags; short _file; } FILE;
extern FILE *__stdinp;
extern FILE *__stdoutp;
extern FILE *__stderrp;
size_t fwrite(const void *ptr, size_t size, size_t count, FILE *stream);
size_t fread(void *ptr, size_t size, size_t count, FILE *stream);
int fflush(FILE *stream);
int fputs(const char *s, FILE *stream);
int fputc(int c, FILE *stream);
int puts(const char *s);
void flockfile(FILE *stream);
void funlockfile(FILE *stream);
int setvbuf(FILE *stream, char *buf, int mode, size_t size);
int fileno(FILE *stream);
FILE *fopen(const char *path, const char *mode);
int fclose(FILE *stream);
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

/* stdlib, string, errno, unistd */
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void abort(void) __attribute__((noreturn));
void exit(int status) __attribute__((noreturn));
char *getenv(const char *name);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);
char *strerror(int errnum);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
extern int *__error(void);
#define EPERM 1
#define EINTR 4
#define EDEADLK 11
#define ENOMEM 12
#define EBUSY 16
#define EINVAL 22
#define EAGAIN 35
#define ETIMEDOUT 60
ssize_t write(int fd, const void *buf, size_t n);
ssize_t read(int fd, void *buf, size_t n);
int close(int fd);
int pipe(int fds[2]);
int isatty(int fd);
pid_t getpid(void);
unsigned int sleep(unsigned int seconds);
int usleep(useconds_t usec);
long sysconf(int name);
#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2
#define _SC_NPROCESSORS_ONLN 58

/* time */
struct timespec { time_t tv_sec; long tv_nsec; };
struct timeval { time_t tv_sec; int tv_usec; };
typedef enum {
    _CLOCK_REALTIME = 0, _CLOCK_MONOTONIC_RAW = 4, _CLOCK_MONOTONIC_RAW_APPROX = 5, _CLOCK_MONOTONIC = 6,
    _CLOCK_UPTIME_RAW = 8, _CLOCK_UPTIME_RAW_APPROX = 9, _CLOCK_PROCESS_CPUTIME_ID = 12, _CLOCK_THREAD_CPUTIME_ID = 16
} clockid_t;
#define CLOCK_REALTIME _CLOCK_REALTIME
#define CLOCK_MONOTONIC _CLOCK_MONOTONIC
#define CLOCK_MONOTONIC_RAW _CLOCK_MONOTONIC_RAW
#define CLOCK_UPTIME_RAW _CLOCK_UPTIME_RAW
int clock_gettime(clockid_t clock_id, struct timespec *tp);
int clock_getres(clockid_t clock_id, struct timespec *tp);
uint64_t clock_gettime_nsec_np(clockid_t clock_id);
int nanosleep(const struct timespec *req, struct timespec *rem);
int gettimeofday(struct timeval *tv, void *tz);
time_t time(time_t *t);
uint64_t mach_absolute_time(void);
uint64_t mach_continuous_time(void);
typedef struct { uint32_t numer; uint32_t denom; } mach_timebase_info_data_t;
int mach_timebase_info(mach_timebase_info_data_t *info);

/* dlfcn; RTLD_DEFAULT is ((void *)-2) on Darwin and, being pointer-valued, not imported into Swift */
void *dlopen(const char *path, int mode);
void *dlsym(void *handle, const char *symbol);
int dlclose(void *handle);
char *dlerror(void);
#define RTLD_LAZY 0x1
#define RTLD_NOW 0x2
#define RTLD_LOCAL 0x4
#define RTLD_GLOBAL 0x8

/* pthread, with Darwin's opaque layouts (a signature word plus bytes) */
typedef struct _availcheck_pthread *pthread_t;
typedef struct { long __sig; char __opaque[56]; } pthread_attr_t;
typedef struct { long __sig; char __opaque[56]; } pthread_mutex_t;
typedef struct { long __sig; char __opaque[8]; } pthread_mutexattr_t;
typedef struct { long __sig; char __opaque[40]; } pthread_cond_t;
typedef struct { long __sig; char __opaque[8]; } pthread_condattr_t;
typedef struct { long __sig; char __opaque[192]; } pthread_rwlock_t;
typedef struct { long __sig; char __opaque[16]; } pthread_rwlockattr_t;
typedef struct { long __sig; char __opaque[8]; } pthread_once_t;
typedef unsigned long pthread_key_t;
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_ERRORCHECK 1
#define PTHREAD_MUTEX_RECURSIVE 2
#define PTHREAD_MUTEX_DEFAULT 0
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg);
int pthread_join(pthread_t thread, void **value);
int pthread_detach(pthread_t thread);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);
int pthread_setname_np(const char *name);
int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_destroy(pthread_attr_t *attr);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);
int pthread_mutexattr_init(pthread_mutexattr_t *attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t *attr);
int pthread_mutexattr_settype(pthread_mutexattr_t *attr, int type);
int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *mutex);
int pthread_mutex_lock(pthread_mutex_t *mutex);
int pthread_mutex_trylock(pthread_mutex_t *mutex);
int pthread_mutex_unlock(pthread_mutex_t *mutex);
int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *cond);
int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);
int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *abstime);
int pthread_cond_timedwait_relative_np(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *reltime);
int pthread_cond_signal(pthread_cond_t *cond);
int pthread_cond_broadcast(pthread_cond_t *cond);
int pthread_rwlock_init(pthread_rwlock_t *lock, const pthread_rwlockattr_t *attr);
int pthread_rwlock_destroy(pthread_rwlock_t *lock);
int pthread_rwlock_rdlock(pthread_rwlock_t *lock);
int pthread_rwlock_wrlock(pthread_rwlock_t *lock);
int pthread_rwlock_unlock(pthread_rwlock_t *lock);
int pthread_key_create(pthread_key_t *key, void (*destructor)(void *));
int pthread_key_delete(pthread_key_t key);
void *pthread_getspecific(pthread_key_t key);
int pthread_setspecific(pthread_key_t key, const void *value);

/* os_unfair_lock (<os/lock.h> on Darwin) */
typedef struct os_unfair_lock_s { uint32_t _os_unfair_lock_opaque; } os_unfair_lock, *os_unfair_lock_t;
void os_unfair_lock_lock(os_unfair_lock_t lock);
bool os_unfair_lock_trylock(os_unfair_lock_t lock);
void os_unfair_lock_unlock(os_unfair_lock_t lock);
void os_unfair_lock_assert_owner(const os_unfair_lock *lock);
#endif
EOF
    cat > "$2" <<'EOF'
// Stand-in Swift overlay for Darwin, for type-checking only.
@_exported import _AvailcheckCDarwin

public var stdin: UnsafeMutablePointer<FILE> {
    get { __stdinp }
    set { __stdinp = newValue }
}
public var stdout: UnsafeMutablePointer<FILE> {
    get { __stdoutp }
    set { __stdoutp = newValue }
}
public var stderr: UnsafeMutablePointer<FILE> {
    get { __stderrp }
    set { __stderrp = newValue }
}
public var errno: Int32 {
    get { __error().pointee }
    set { __error().pointee = newValue }
}
EOF
}

# Rewrites a Linux stdlib interface for the Apple triple: the target in the flags line, no @backDeployed
# (Linux interfaces keep the attribute but may omit the body it needs), no Glibc import (Synchronization).
rewrite_interface() {   # $1 module, $2 triple, $3 out
    sed -e "1,6s/-target $HOST_TRIPLE/-target $2/" \
        -e 's/^\([[:space:]]*\)@backDeployed([^)]*)[[:space:]]*$/\1/' \
        -e '/^import Glibc$/d' \
        "$LINUX_MODS/$1.swiftmodule/$HOST_TRIPLE.swiftinterface" > "$3"
    if [ "$1" = Synchronization ]; then
        # Linux's Mutex calls a shim that exists only under __linux__; declare it for the inlinable bodies.
        printf '\n@usableFromInline internal func _swift_stdlib_gettid() -> Swift.UInt32 { 0 }\n' >> "$3"
    fi
}

build_sdk() {   # $1 triple -> sets SDK_ROOT
    local triple=$1 plat modos minver sdkname arch
    read -r plat modos minver sdkname < <(platform_of "$triple") || die "not an Apple triple: $triple"
    arch=${triple%%-*}
    local build_triple="$arch-apple-${modos%-simulator}$minver"
    case "$modos" in *-simulator) build_triple="$build_triple-simulator" ;; esac
    local key
    key=$(printf '%s\n%s\n%s\n' "$COMPILER_VERSION" "$arch-$plat" "$(sed -n '/^write_darwin_stub()/,/^status=0/p' "$0")" | sha1sum | cut -c1-12)
    SDK_ROOT=$CACHE/$arch-$plat-$key
    PLAT_DIR=$plat
    MOD_FILE=$arch-apple-$modos.swiftmodule
    [ -f "$SDK_ROOT/.complete" ] && return 0

    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$arch-$plat"
    flock 9
    if [ -f "$SDK_ROOT/.complete" ]; then exec 9>&-; return 0; fi
    echo "availcheck: building stand-in SDK for $arch-$plat (once; about a minute) in $SDK_ROOT" >&2
    local tmp=$SDK_ROOT.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp/res/$plat" "$tmp/sdk/usr/include" "$tmp/ifc" "$tmp/modcache"
    ln -s "$TOOLCHAIN_LIB/shims" "$tmp/res/shims"
    ln -s "$TOOLCHAIN_LIB/clang" "$tmp/res/clang"
    # SDKs from version 15 on carry SwiftShims in usr/include; the compiler looks there for such SDKs.
    ln -s "$TOOLCHAIN_LIB/shims" "$tmp/sdk/usr/include/SwiftShims"
    local v=26.0
    printf '{"Version":"%s","CanonicalName":"%s%s","MaximumDeploymentTarget":"%s.99","VersionMap":{"macOS_iOSMac":{"%s":"%s"},"iOSMac_macOS":{"%s":"%s"}}}\n' \
        "$v" "$sdkname" "$v" "$v" "$v" "$v" "$v" "$v" > "$tmp/sdk/SDKSettings.json"
    write_darwin_stub "$tmp/sdk/usr/include" "$tmp/ifc/Darwin.swift"

    local common=(-target "$build_triple" -resource-dir "$tmp/res" -sdk "$tmp/sdk" -module-cache-path "$tmp/modcache"
                  -disable-availability-checking -disable-objc-interop)
    local m extra log=$tmp/build.log
    for m in Swift SwiftOnoneSupport _Concurrency _RegexParser _StringProcessing Synchronization; do
        [ -f "$LINUX_MODS/$m.swiftmodule/$HOST_TRIPLE.swiftinterface" ] || die "missing $m interface in $LINUX_MODS"
        rewrite_interface "$m" "$build_triple" "$tmp/ifc/$m.swiftinterface"
        extra=()
        case "$m" in Swift|SwiftOnoneSupport|_Concurrency) extra=(-parse-stdlib) ;; esac
        mkdir -p "$tmp/res/$plat/$m.swiftmodule"
        "$SWIFTC" -frontend -compile-module-from-interface "$tmp/ifc/$m.swiftinterface" -module-name "$m" \
            "${common[@]}" "${extra[@]}" -o "$tmp/res/$plat/$m.swiftmodule/$MOD_FILE" >>"$log" 2>&1 \
            || { cat "$log" >&2; die "could not build $m for $build_triple"; }
    done
    mkdir -p "$tmp/res/$plat/Darwin.swiftmodule"
    "$SWIFTC" -frontend -emit-module "$tmp/ifc/Darwin.swift" -module-name Darwin -parse-as-library -swift-version 5 \
        "${common[@]}" -o "$tmp/res/$plat/Darwin.swiftmodule/$MOD_FILE" >>"$log" 2>&1 \
        || { cat "$log" >&2; die "could not build the Darwin stub"; }

    # Dispatch stub: the Linux overlay's declarations (its C part, CDispatch, is replaced by Darwin + 2 typealiases).
    if [ -x "$SYNTH" ] && "$SYNTH" -module-name Dispatch -target "$HOST_TRIPLE" -print-fully-qualified-types \
            -o "$tmp/ifc/Dispatch.linux.swift" >>"$log" 2>&1; then
        {
            echo '// swift-interface-format-version: 1.0'
            echo "// swift-module-flags: -target $build_triple -enable-library-evolution -swift-version 5 -module-name Dispatch"
            echo '@_exported import Darwin'
            echo 'public typealias dispatch_time_t = Swift.UInt64'
            echo 'public typealias dispatch_fd_t = Swift.Int32'
            sed -e '/^import CDispatch$/d' -e 's/CDispatch\.dispatch_/Dispatch.dispatch_/g' -e 's/CDispatch\./Darwin./g' \
                -e 's/^public class DispatchObject {$/public class DispatchObject {\n    @usableFromInline internal init()/' \
                "$tmp/ifc/Dispatch.linux.swift"
        } > "$tmp/ifc/Dispatch.swiftinterface"
        mkdir -p "$tmp/res/$plat/Dispatch.swiftmodule"
        "$SWIFTC" -frontend -compile-module-from-interface "$tmp/ifc/Dispatch.swiftinterface" -module-name Dispatch \
            "${common[@]}" -o "$tmp/res/$plat/Dispatch.swiftmodule/$MOD_FILE" >>"$log" 2>&1 \
            || { rm -rf "$tmp/res/$plat/Dispatch.swiftmodule"; echo "availcheck: warning: no Dispatch stub (see $SDK_ROOT/build.log)" >&2; }
    else
        echo "availcheck: warning: could not print the Dispatch interface; no Dispatch stub" >&2
    fi
    rm -rf "$tmp/modcache"
    touch "$tmp/.complete"
    rm -rf "$SDK_ROOT"; mv "$tmp" "$SDK_ROOT"
    exec 9>&-
}

# ---------------------------------------------------------------------------------------------------------
status=0
HOST_ARCH=$(uname -m)
for TRIPLE in "${TARGETS[@]}"; do
    # The Linux interfaces were generated for the host architecture (x86_64 has Float80 in them, say), so the
    # check runs with the host architecture; availability does not depend on it, `#if arch(...)` does.
    if [ "${TRIPLE%%-*}" != "$HOST_ARCH" ]; then
        echo "availcheck: note: $TRIPLE is checked with the host architecture, $HOST_ARCH (the toolchain's interfaces are for it)" >&2
        TRIPLE=$HOST_ARCH-${TRIPLE#*-}
        # An x86_64 iOS/tvOS/watchOS/visionOS triple is a simulator one (`targetEnvironment(simulator)` holds).
        case "$TRIPLE" in *-apple-macos*|*-simulator) ;; *) TRIPLE=$TRIPLE-simulator ;; esac
    fi
    build_sdk "$TRIPLE"
    # No Objective-C interop: the Linux stdlib interfaces lack the ObjC-only declarations (e.g. the pointer
    # intrinsics the ObjC-interop type checker looks up), so with interop on, pointer conversions fail.
    common=(-target "$TRIPLE" -resource-dir "$SDK_ROOT/res" -sdk "$SDK_ROOT/sdk" -module-cache-path "$RUN_DIR/modcache"
            -disable-objc-interop)
    mods=$RUN_DIR/mods-$TRIPLE
    mkdir -p "$mods"

    # Logging: declarations only (non-inlinable bodies skipped), availability not checked — it is not ours.
    if [ -n "$LOGGING_SRC" ]; then
        mkdir -p "$mods/Logging.swiftmodule"
        "$SWIFTC" -frontend -emit-module -module-name Logging -package-name swift_log -parse-as-library \
            "${common[@]}" -disable-availability-checking -experimental-skip-non-inlinable-function-bodies \
            -swift-version 6 -enable-upcoming-feature ExistentialAny -enable-upcoming-feature MemberImportVisibility \
            -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature NonisolatedNonsendingByDefault \
            -o "$mods/Logging.swiftmodule/$MOD_FILE" $(find "$LOGGING_SRC" -name '*.swift' | sort) \
            >"$RUN_DIR/logging.log" 2>&1 || { cat "$RUN_DIR/logging.log" >&2; die "could not build Logging for $TRIPLE"; }
    fi

    for MODULE in "${MODULES[@]}"; do
    MODULE_FILES=()
    while IFS= read -r f; do MODULE_FILES+=("$f"); done < <(module_files "$MODULE")
        out=$RUN_DIR/out-$TRIPLE-$MODULE.txt
        # shellcheck disable=SC2086
        "$SWIFTC" -typecheck -wmo -continue-building-after-errors -diagnostic-style=llvm -parse-as-library \
            -module-name "$MODULE" "${common[@]}" -I "$mods" $FLAGS "${MODULE_FILES[@]}" >"$out" 2>&1 || true
        [ "$VERBOSE" = 1 ] && cat "$out"

        avail_re='(is only available in|is unavailable in) (macOS|iOS|tvOS|watchOS|visionOS|Mac Catalyst|application extensions)'
        errs=$(grep -E '^([^ ].*:[0-9]+(:[0-9]+)?: |<unknown>:0: |)error: ' "$out" | sort -u || true)
        avail=$(printf '%s\n' "$errs" | grep -E "$avail_re" || true)
        other=$(printf '%s\n' "$errs" | grep -v -E "$avail_re" | grep -v '^$' || true)
        n_avail=$( [ -n "$avail" ] && printf '%s\n' "$avail" | wc -l || echo 0)
        n_other=$( [ -n "$other" ] && printf '%s\n' "$other" | wc -l || echo 0)

        echo "== $TRIPLE: ${#MODULE_FILES[@]} files, module $MODULE: $n_avail availability error(s), $n_other other error(s)"
        if [ -n "$avail" ]; then
            # Group by API: the quoted name (or the runtime feature) and the platform version it needs.
            printf '%s\n' "$avail" | awk '
                {
                    loc = $0; sub(/: error: .*/, "", loc)
                    msg = $0; sub(/^.*: error: /, "", msg)
                    key = msg
                    if (match(msg, /^.* is only available in [^ ]+( [^ ]+)? [0-9.]+( or newer)?/)) key = substr(msg, RSTART, RLENGTH)
                    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
                    locs[key] = locs[key] "      " loc "\n"; count[key]++
                }
                END { for (i = 1; i <= n; i++) { k = order[i]; printf "  %s  [%d]\n%s", k, count[k], locs[k] } }'
        fi
        if [ -n "$other" ]; then
            echo "  -- other errors (stub gaps, non-Apple code, or real errors; availability inside those expressions may go unreported):"
            printf '%s\n' "$other" | sed 's/^/      /'
        fi
        if [ "$n_avail" -gt 0 ]; then status=1; elif [ "$n_other" -gt 0 ] && [ $status -eq 0 ]; then status=2; fi
        # Declarations of the module just checked, for the modules checked after it.
        mkdir -p "$mods/$MODULE.swiftmodule"
        # shellcheck disable=SC2086
        "$SWIFTC" -frontend -emit-module -module-name "$MODULE" -parse-as-library "${common[@]}" -I "$mods" $FLAGS \
            -plugin-path "$TOOLCHAIN_LIB/host/plugins" \
            -disable-availability-checking -experimental-skip-non-inlinable-function-bodies \
            -o "$mods/$MODULE.swiftmodule/$MOD_FILE" "${MODULE_FILES[@]}" >"$RUN_DIR/emit-$MODULE.log" 2>&1 \
            || { cat "$RUN_DIR/emit-$MODULE.log" >&2; rm -rf "$mods/$MODULE.swiftmodule"; }
    done
done
exit $status
