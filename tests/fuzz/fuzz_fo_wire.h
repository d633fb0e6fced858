/*
 * Shared by the fuzz target and its seed generator: the key and epochs the
 * target's receivers use, so generated sealed seeds authenticate and the
 * fuzzer starts from inputs that reach the decoder through fo_crypto_open.
 */
#ifndef MCTX_FUZZ_FO_WIRE_H
#define MCTX_FUZZ_FO_WIRE_H

#define FUZZ_KEY "fuzz-failover-key"
#define FUZZ_SENDER_EPOCH 7
#define FUZZ_RECEIVER_EPOCH 8

#endif
