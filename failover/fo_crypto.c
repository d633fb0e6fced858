/*
 * fo_crypto: see fo_crypto.h.  AES-256-GCM through OpenSSL's EVP
 * interface, keys from HKDF-SHA256, one 1024-bit sliding window per
 * channel for the peer's direction.
 */
#include "failover/fo_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "system/sys_log.h"

#define KEY_LEN 32
#define NONCE_LEN 12
#define WINDOW_WORDS (FO_CRYPTO_WINDOW / 64)

static const char hkdf_salt[] = "mctx failover key v1";
/* info labels by sending role: keys differ per direction. */
static const char *const dir_label[] = {
	[FO_WIRE_ROLE_NONE] = "",
	[FO_WIRE_ROLE_PRIMARY] = "primary->secondary",
	[FO_WIRE_ROLE_SECONDARY] = "secondary->primary",
};
_Static_assert(sizeof dir_label / sizeof dir_label[0] == FO_WIRE_ROLE_MAX,
	       "dir_label");

static const char *const verdict_names[] = {
	[FO_CRYPTO_OK] = "ok",
	[FO_CRYPTO_BAD_LENGTH] = "bad-length",
	[FO_CRYPTO_BAD_HEADER] = "bad-header",
	[FO_CRYPTO_NOT_ENCRYPTED] = "not-encrypted",
	[FO_CRYPTO_UNEXPECTED_KEY] = "unexpected-encryption",
	[FO_CRYPTO_STALE_EPOCH] = "stale-epoch",
	[FO_CRYPTO_TOO_OLD] = "too-old",
	[FO_CRYPTO_AUTH_FAILED] = "auth-failed",
	[FO_CRYPTO_REPLAY] = "replay",
	[FO_CRYPTO_NO_MEMORY] = "no-memory",
};
_Static_assert(sizeof verdict_names / sizeof verdict_names[0] ==
	       FO_CRYPTO_VERDICT_MAX, "verdict_names");

/* Sequences seen from the peer on one channel: top and the 1024 below. */
struct replay_window {
	uint64_t top;                 /* highest accepted sequence, 0 = none */
	uint64_t bits[WINDOW_WORDS];  /* bit (seq % WINDOW) set = seen */
};

struct fo_crypto {
	enum fo_wire_role self;
	enum fo_wire_role peer;
	bool keyed;
	uint8_t secret[FO_CRYPTO_SECRET_MAX];
	size_t secret_len;
	uint64_t epoch;                     /* ours */
	uint8_t tx_key[KEY_LEN];
	uint64_t tx_seq[FO_CH_MAX];         /* last sequence sent */
	uint64_t peer_epoch;                /* accepted peer session, 0 = none */
	uint8_t rx_key[KEY_LEN];            /* for peer_epoch */
	struct replay_window win[FO_CH_MAX];
	EVP_CIPHER_CTX *cipher;
	uint64_t counts[FO_CRYPTO_VERDICT_MAX];
};

const char *fo_crypto_verdict_name(enum fo_crypto_verdict v)
{
	return (unsigned)v >= FO_CRYPTO_VERDICT_MAX ? "?" : verdict_names[v];
}

/* key = HKDF-SHA256(secret, salt, label(sender) || epoch). */
static int derive_key(const struct fo_crypto *c, enum fo_wire_role sender,
		      uint64_t epoch, uint8_t key[KEY_LEN])
{
	uint8_t info[64];
	size_t label_len = strlen(dir_label[sender]);
	size_t key_len = KEY_LEN;
	int ok;

	memcpy(info, dir_label[sender], label_len);
	for (int i = 0; i < 8; i++)
		info[label_len + i] = (uint8_t)(epoch >> (56 - 8 * i));

	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!kctx)
		return -ENOMEM;
	ok = EVP_PKEY_derive_init(kctx) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(kctx, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(kctx, (const unsigned char *)hkdf_salt,
					 (int)strlen(hkdf_salt)) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(kctx, c->secret,
					(int)c->secret_len) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(kctx, info,
					 (int)(label_len + 8)) > 0 &&
	     EVP_PKEY_derive(kctx, key, &key_len) > 0 && key_len == KEY_LEN;
	EVP_PKEY_CTX_free(kctx);
	return ok ? 0 : -EIO;
}

int fo_crypto_create(struct fo_crypto **out, enum fo_wire_role self,
		     const void *secret, size_t secret_len, uint64_t epoch)
{
	struct fo_crypto *c;
	int rc;

	*out = NULL;
	if ((self != FO_WIRE_ROLE_PRIMARY && self != FO_WIRE_ROLE_SECONDARY) ||
	    epoch == 0 || secret_len > FO_CRYPTO_SECRET_MAX ||
	    (secret_len && !secret))
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->self = self;
	c->peer = self == FO_WIRE_ROLE_PRIMARY ? FO_WIRE_ROLE_SECONDARY : FO_WIRE_ROLE_PRIMARY;
	c->epoch = epoch;
	c->keyed = secret_len > 0;
	if (c->keyed) {
		memcpy(c->secret, secret, secret_len);
		c->secret_len = secret_len;
		c->cipher = EVP_CIPHER_CTX_new();
		if (!c->cipher) {
			fo_crypto_destroy(c);
			return -ENOMEM;
		}
		rc = derive_key(c, self, epoch, c->tx_key);
		if (rc) {
			fo_crypto_destroy(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

void fo_crypto_destroy(struct fo_crypto *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->cipher);
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}

bool fo_crypto_keyed(const struct fo_crypto *c) { return c->keyed; }

uint64_t fo_crypto_count(const struct fo_crypto *c, enum fo_crypto_verdict v)
{
	return (unsigned)v >= FO_CRYPTO_VERDICT_MAX ? 0 : c->counts[v];
}

uint64_t fo_crypto_peer_epoch(const struct fo_crypto *c)
{
	return c->peer_epoch;
}

static void make_nonce(uint8_t nonce[NONCE_LEN], uint8_t channel, uint64_t seq)
{
	memset(nonce, 0, NONCE_LEN);
	nonce[0] = channel;
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

int fo_crypto_seal(struct fo_crypto *c, struct buf *pkt, size_t start)
{
	struct fo_hdr h;
	uint8_t nonce[NONCE_LEN];
	int outl = 0;

	if (start > pkt->len ||
	    fo_wire_hdr_parse((uint8_t *)pkt->data + start, pkt->len - start,
			      &h) != FO_WIRE_OK ||
	    h.flags != 0 || h.body_len > FO_WIRE_BODY_MAX ||
	    pkt->len - start - FO_WIRE_HDR_LEN != h.body_len)
		return -EINVAL;
	if (c->tx_seq[h.channel] == UINT64_MAX)
		return -EOVERFLOW;
	h.seq = ++c->tx_seq[h.channel];
	h.epoch = c->epoch;
	if (!c->keyed) {
		fo_wire_hdr_write((uint8_t *)pkt->data + start, &h);
		return 0;
	}

	h.flags |= FO_HDR_F_ENCRYPTED;
	h.body_len += FO_WIRE_TAG_LEN;
	buf_reserve(pkt, FO_WIRE_TAG_LEN);
	uint8_t *hdr = (uint8_t *)pkt->data + start;
	uint8_t *body = hdr + FO_WIRE_HDR_LEN;
	size_t body_len = h.body_len - FO_WIRE_TAG_LEN;
	fo_wire_hdr_write(hdr, &h);
	make_nonce(nonce, h.channel, h.seq);

	EVP_CIPHER_CTX *x = c->cipher;
	if (EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, c->tx_key, nonce) <= 0 ||
	    EVP_EncryptUpdate(x, NULL, &outl, hdr, FO_WIRE_HDR_LEN) <= 0 ||
	    (body_len &&
	     EVP_EncryptUpdate(x, body, &outl, body, (int)body_len) <= 0) ||
	    EVP_EncryptFinal_ex(x, body + body_len, &outl) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, FO_WIRE_TAG_LEN,
				body + body_len) <= 0) {
		/* Leave nothing half-encrypted behind. */
		pkt->len = start;
		pkt->data[start] = '\0';
		return -EIO;
	}
	pkt->len += FO_WIRE_TAG_LEN;
	pkt->data[pkt->len] = '\0';
	return 0;
}

/* Authenticates and decrypts in place; true when the tag matches. */
static bool aead_open(struct fo_crypto *c, const uint8_t key[KEY_LEN],
		      uint8_t *pkt, const struct fo_hdr *h)
{
	uint8_t nonce[NONCE_LEN];
	uint8_t *body = pkt + FO_WIRE_HDR_LEN;
	size_t ct_len = h->body_len - FO_WIRE_TAG_LEN;
	int outl = 0;

	make_nonce(nonce, h->channel, h->seq);
	EVP_CIPHER_CTX *x = c->cipher;
	return EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, nonce) > 0 &&
	       EVP_DecryptUpdate(x, NULL, &outl, pkt, FO_WIRE_HDR_LEN) > 0 &&
	       (ct_len == 0 ||
		EVP_DecryptUpdate(x, body, &outl, body, (int)ct_len) > 0) &&
	       EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, FO_WIRE_TAG_LEN,
				   body + ct_len) > 0 &&
	       EVP_DecryptFinal_ex(x, body + ct_len, &outl) > 0;
}

static bool window_seen(const struct replay_window *w, uint64_t seq)
{
	unsigned bit = (unsigned)(seq % FO_CRYPTO_WINDOW);
	return w->bits[bit / 64] & (1ull << (bit % 64));
}

static void window_accept(struct replay_window *w, uint64_t seq)
{
	if (seq > w->top) {
		if (seq - w->top >= FO_CRYPTO_WINDOW) {
			memset(w->bits, 0, sizeof w->bits);
		} else {
			for (uint64_t s = w->top + 1; s < seq; s++) {
				unsigned b = (unsigned)(s % FO_CRYPTO_WINDOW);
				w->bits[b / 64] &= ~(1ull << (b % 64));
			}
		}
		w->top = seq;
	}
	unsigned bit = (unsigned)(seq % FO_CRYPTO_WINDOW);
	w->bits[bit / 64] |= 1ull << (bit % 64);
}

static enum fo_crypto_verdict drop(struct fo_crypto *c,
				   enum fo_crypto_verdict v,
				   const struct fo_hdr *h)
{
	c->counts[v]++;
	if (v == FO_CRYPTO_AUTH_FAILED)
		mlog(MSG_920101, "Failover message decryption failure. Please "
		     "make sure both units have the same failover shared key "
		     "and crypto license or system is not out of memory");
	else
		mlog(MSG_920107, "failover message dropped: %s (type %s, "
		     "channel %s, seq %llu)", verdict_names[v],
		     h ? fo_wire_type_name(h->type) : "?",
		     h ? fo_channel_name(h->channel) : "?",
		     h ? (unsigned long long)h->seq : 0ull);
	return v;
}

enum fo_crypto_verdict fo_crypto_open(struct fo_crypto *c, uint8_t *pkt,
				      size_t len, size_t *msg_len)
{
	struct fo_hdr h;
	uint8_t new_key[KEY_LEN];
	const uint8_t *key = c->rx_key;
	bool new_epoch;

	*msg_len = 0;
	if (len < FO_WIRE_HDR_LEN)
		return drop(c, FO_CRYPTO_BAD_LENGTH, NULL);
	switch (fo_wire_hdr_parse(pkt, len, &h)) {
	case FO_WIRE_OK:
		break;
	case FO_WIRE_TOO_LONG:
		return drop(c, FO_CRYPTO_BAD_LENGTH, NULL);
	default:
		return drop(c, FO_CRYPTO_BAD_HEADER, NULL);
	}
	if (len - FO_WIRE_HDR_LEN != h.body_len)
		return drop(c, FO_CRYPTO_BAD_LENGTH, &h);
	bool encrypted = h.flags & FO_HDR_F_ENCRYPTED;
	if (c->keyed && !encrypted)
		return drop(c, FO_CRYPTO_NOT_ENCRYPTED, &h);
	if (!c->keyed && encrypted)
		return drop(c, FO_CRYPTO_UNEXPECTED_KEY, &h);
	if (encrypted && h.body_len < FO_WIRE_TAG_LEN)
		return drop(c, FO_CRYPTO_BAD_LENGTH, &h);
	if (h.epoch == 0 || h.epoch < c->peer_epoch)
		return drop(c, FO_CRYPTO_STALE_EPOCH, &h);
	if (h.seq == 0)
		return drop(c, FO_CRYPTO_TOO_OLD, &h);

	/* A newer epoch starts a fresh window once it authenticates. */
	new_epoch = h.epoch > c->peer_epoch;
	struct replay_window *w = &c->win[h.channel];
	if (!new_epoch) {
		if (h.seq + FO_CRYPTO_WINDOW <= w->top)
			return drop(c, FO_CRYPTO_TOO_OLD, &h);
		if (h.seq <= w->top && window_seen(w, h.seq))
			return drop(c, FO_CRYPTO_REPLAY, &h);
	}
	if (encrypted) {
		if (new_epoch) {
			if (derive_key(c, c->peer, h.epoch, new_key))
				return drop(c, FO_CRYPTO_NO_MEMORY, &h);
			key = new_key;
		}
		if (!aead_open(c, key, pkt, &h)) {
			OPENSSL_cleanse(new_key, sizeof new_key);
			return drop(c, FO_CRYPTO_AUTH_FAILED, &h);
		}
	}
	if (new_epoch) {
		c->peer_epoch = h.epoch;
		if (encrypted)
			memcpy(c->rx_key, new_key, KEY_LEN);
		OPENSSL_cleanse(new_key, sizeof new_key);
		memset(c->win, 0, sizeof c->win);
	}
	window_accept(w, h.seq);

	if (encrypted) {
		h.flags &= (uint8_t)~FO_HDR_F_ENCRYPTED;
		h.body_len -= FO_WIRE_TAG_LEN;
		fo_wire_hdr_write(pkt, &h);
	}
	*msg_len = FO_WIRE_HDR_LEN + h.body_len;
	c->counts[FO_CRYPTO_OK]++;
	return FO_CRYPTO_OK;
}
