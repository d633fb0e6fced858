#!/bin/sh
# Builds and runs the failover wire/crypto fuzzer (libFuzzer, ASan, UBSan)
# for FUZZ_SECONDS (default 60).  Sources are compiled directly, not from
# libmctx.a, so the fuzzer instruments exactly the code under test.
# Output: build/fuzz/; crashes land in build/fuzz/artifacts/.
set -eu
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-60}
OUT=build/fuzz
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang)"; exit 77
fi
mkdir -p "$OUT/corpus" "$OUT/artifacts"
SRCS="failover/fo_wire.c failover/fo_crypto.c system/sys_buf.c system/sys_log.c"
CFLAGS="-std=gnu11 -D_GNU_SOURCE -I. -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter"

# Seeds: every message type, cleartext, cleartext-sealed and encrypted.
$CC $CFLAGS -o "$OUT/gen_corpus" tests/fuzz/gen_corpus.c $SRCS -lcrypto
"$OUT/gen_corpus" "$OUT/corpus"

$CC $CFLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$OUT/fuzz_fo_wire" tests/fuzz/fuzz_fo_wire.c $SRCS -lcrypto

echo "fuzz: running fuzz_fo_wire for ${SECS}s on $(ls "$OUT/corpus" | wc -l) seeds"
"$OUT/fuzz_fo_wire" -max_total_time="$SECS" -max_len=70000 -timeout=10 \
	-artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus"
