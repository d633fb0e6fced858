/*
 * fo_crypto: `failover key` protection of failover link messages.
 *
 * AES-256-GCM (OpenSSL EVP).  Each direction has its own key,
 * HKDF-SHA256(shared secret, salt, info = direction || sender epoch), so
 * the two units never encrypt under the same key and a unit that restarts
 * (new epoch) never reuses a nonce.  The 12-byte nonce is
 * channel(1) || 0(3) || seq(8): sequences are per channel because channels
 * travel on separate connections/streams with no ordering between them.
 * The 28-byte header (with flags and body_len as sent) is the associated
 * data; the 16-byte tag follows the ciphertext.
 *
 * Receive side, checks in this order, each with its own drop counter:
 * length, header (magic/version/type/channel/flags), body length,
 * encrypted flag matches keyed mode, epoch not older than the peer's
 * current one, sequence not too old for the window, replay (already
 * seen), authentication.  The window (1024 sequences per channel) is only
 * updated after authentication, so forged packets cannot move it; a newer
 * peer epoch (the mate restarted) resets the windows once a message of it
 * authenticates.
 *
 * With no key (cleartext mode) messages are not encrypted but epoch and
 * sequence are still stamped and checked.
 */
#ifndef MCTX_FO_CRYPTO_H
#define MCTX_FO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "failover/fo_wire.h"
#include "system/sys_buf.h"

#define FO_CRYPTO_WINDOW 1024
#define FO_CRYPTO_SECRET_MAX 64   /* ASA: failover key is 1..63 chars */

enum fo_crypto_verdict {
	FO_CRYPTO_OK,
	FO_CRYPTO_BAD_LENGTH,     /* shorter than header, or body_len mismatch */
	FO_CRYPTO_BAD_HEADER,     /* magic, version, type, channel or flags */
	FO_CRYPTO_NOT_ENCRYPTED,  /* cleartext message while a key is set */
	FO_CRYPTO_UNEXPECTED_KEY, /* encrypted message while no key is set */
	FO_CRYPTO_STALE_EPOCH,    /* from an older session of the peer */
	FO_CRYPTO_TOO_OLD,        /* sequence left of the replay window */
	FO_CRYPTO_AUTH_FAILED,    /* tag mismatch: wrong key or tampering */
	FO_CRYPTO_REPLAY,         /* sequence already seen */
	FO_CRYPTO_NO_MEMORY,      /* the cipher could not be set up */
	FO_CRYPTO_VERDICT_MAX
};

struct fo_crypto;

/*
 * self: this unit's role (chooses the send and receive directions).
 * secret/len: the failover key; NULL or 0 for cleartext mode.
 * epoch: this unit's session epoch, strictly increasing across restarts
 * (the daemon passes CLOCK_REALTIME in microseconds at start); must be > 0.
 * Returns 0 or -EINVAL / -ENOMEM / -EIO.
 */
int fo_crypto_create(struct fo_crypto **out, enum fo_wire_role self,
		     const void *secret, size_t secret_len, uint64_t epoch);
void fo_crypto_destroy(struct fo_crypto *c);

bool fo_crypto_keyed(const struct fo_crypto *c);

/*
 * Protects the one message at the end of pkt, starting at offset start
 * (as produced by fo_wire_encode): stamps epoch and the channel's next
 * sequence, and when keyed encrypts the body and appends the tag.
 * Returns 0, -EINVAL (not a valid header/body), -EOVERFLOW (sequence
 * space exhausted: rekey), -EIO (cipher failure).
 */
int fo_crypto_seal(struct fo_crypto *c, struct buf *pkt, size_t start);

/*
 * Checks and, when keyed, decrypts one received frame in place.  On OK,
 * *msg_len is the cleartext message length (header + body) ready for
 * fo_wire_decode, with the header's flags and body_len rewritten.
 * Every verdict but OK is counted.  Authentication failures are logged
 * with ASA's "Failover message decryption failure" text (MSG_920101),
 * other drops with MSG_920107.
 */
enum fo_crypto_verdict fo_crypto_open(struct fo_crypto *c, uint8_t *pkt,
				      size_t len, size_t *msg_len);

/* Drops counted for verdict v since create (v = OK counts accepted). */
uint64_t fo_crypto_count(const struct fo_crypto *c, enum fo_crypto_verdict v);
/* The peer epoch being accepted now (0 before the first message). */
uint64_t fo_crypto_peer_epoch(const struct fo_crypto *c);

const char *fo_crypto_verdict_name(enum fo_crypto_verdict v);

#endif
