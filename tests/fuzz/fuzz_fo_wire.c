/*
 * libFuzzer target: the failover wire decoder and the fo_crypto receive
 * path, on the same bytes.  Properties checked beyond "no crash":
 *  - a decoded message re-encodes, and the re-encoding decodes;
 *  - an input that opens (keyed or cleartext) yields a message length no
 *    larger than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "failover/fo_crypto.h"
#include "failover/fo_wire.h"
#include "system/sys_log.h"
#include "tests/fuzz/fuzz_fo_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fo_wire_msg *msg, *msg2;

static void init_once(void)
{
	if (msg)
		return;
	log_init("fuzz_fo_wire", true, LOG_SEV_EMERG);   /* drops are expected */
	msg = calloc(1, sizeof *msg);
	msg2 = calloc(1, sizeof *msg2);
	if (!msg || !msg2)
		abort();
}

static void decode_and_reencode(const uint8_t *p, size_t n)
{
	if (fo_wire_decode(p, n, msg) != FO_WIRE_OK)
		return;
	struct buf b;
	buf_init(&b);
	if (fo_wire_encode(&b, msg) != 0)
		abort();   /* the decoder accepted what the encoder refuses */
	if (fo_wire_decode((const uint8_t *)b.data, b.len, msg2) != FO_WIRE_OK)
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	decode_and_reencode(data, size);

	/* Fresh receivers per input keep the target deterministic (a
	 * long-lived one would answer "replay" to every repeated seed). */
	struct fo_crypto *rx[2];
	if (fo_crypto_create(&rx[0], FO_WIRE_ROLE_SECONDARY, FUZZ_KEY,
			     strlen(FUZZ_KEY), FUZZ_RECEIVER_EPOCH) ||
	    fo_crypto_create(&rx[1], FO_WIRE_ROLE_SECONDARY, NULL, 0,
			     FUZZ_RECEIVER_EPOCH))
		abort();
	for (int i = 0; i < 2; i++) {
		uint8_t *copy = malloc(size ? size : 1);
		size_t n = 0;
		memcpy(copy, data, size);
		if (fo_crypto_open(rx[i], copy, size, &n) == FO_CRYPTO_OK) {
			if (n > size)
				abort();
			decode_and_reencode(copy, n);
		}
		free(copy);
		fo_crypto_destroy(rx[i]);
	}
	return 0;
}
